import Foundation
import GRDB
import MonitoringRecords

/// A person followed by the service.
public struct Patient: Sendable, Hashable, Codable {
    /// Internal id (not the CPR number).
    public var id: String
    public var name: String
    /// CPR number, `DDMMYY-SSSS`; personal data, shown masked outside the patient view.
    public var cpr: String?
    /// IANA zone that defines the patient's calendar days.
    public var timeZone: String
    public var createdAt: Date
    /// When follow-up began: the measurement plan is daily in the first days after it.
    public var monitoringStart: Date

    public init(
        id: String, name: String, cpr: String? = nil, timeZone: String = "Europe/Copenhagen", createdAt: Date,
        monitoringStart: Date? = nil
    ) {
        self.id = id
        self.name = name
        self.cpr = cpr
        self.timeZone = timeZone
        self.createdAt = createdAt
        self.monitoringStart = monitoringStart ?? createdAt
    }

    /// The CPR number with the serial part hidden (`010101-****`), or `nil`.
    public var maskedCPR: String? {
        cpr.map(CPRNumber.masked)
    }
}

/// Checks and masks Danish CPR numbers.
public enum CPRNumber {
    /// `DDMMYYSSSS` with an optional dash after the date, normalised to `DDMMYY-SSSS`;
    /// `nil` if it is not ten digits.
    public static func normalised(_ text: String) -> String? {
        let digits = text.filter { $0 != "-" && $0 != " " }
        guard digits.count == 10, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        return "\(digits.prefix(6))-\(digits.suffix(4))"
    }

    /// Keeps the date part only: `010101-****`.
    public static func masked(_ cpr: String) -> String {
        "\(cpr.prefix(6))-****"
    }
}

extension MonitoringStore {
    /// Registers a patient. Refuses a duplicate id, a malformed CPR number or an unknown zone.
    /// `monitoringStart` (default: now, by the store's clock) starts the measurement plan's daily phase.
    @discardableResult
    public func addPatient(
        id: String, name: String, cpr: String? = nil, timeZone: String = "Europe/Copenhagen",
        monitoringStart: Date? = nil
    ) throws -> Patient {
        let operation = "adding patient \(id)"
        guard !id.isEmpty, !name.isEmpty else { throw StoreError(operation, "id and name must not be empty") }
        var normalisedCPR: String?
        if let cpr {
            guard let checked = CPRNumber.normalised(cpr) else {
                throw StoreError(operation, "a CPR number has 10 digits (DDMMYY-SSSS)")
            }
            normalisedCPR = checked
        }
        guard TimeZone(identifier: timeZone) != nil else {
            throw StoreError(operation, "'\(timeZone)' is not a time zone name (e.g. Europe/Copenhagen)")
        }
        let patient = Patient(
            id: id, name: name, cpr: normalisedCPR, timeZone: timeZone, createdAt: clock.now(),
            monitoringStart: monitoringStart)
        try database.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM patient WHERE id = ?", arguments: [id]) == true {
                throw StoreError(operation, "a patient with this id exists already")
            }
            try db.execute(
                sql:
                    "INSERT INTO patient (id, name, cpr, time_zone, created_at, monitoring_start) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [
                    patient.id, patient.name, patient.cpr, patient.timeZone, patient.createdAt.millisecondsSince1970,
                    patient.monitoringStart.millisecondsSince1970,
                ])
        }
        return patient
    }

    /// All patients, by id.
    public func patients() throws -> [Patient] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM patient ORDER BY id").map(Patient.init(row:))
        }
    }

    /// One patient, or `nil`.
    public func patient(id: String) throws -> Patient? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM patient WHERE id = ?", arguments: [id]).map(Patient.init(row:))
        }
    }
}

extension Patient {
    init(row: Row) {
        let start: Int64? = row["monitoring_start"]
        self.init(
            id: row["id"], name: row["name"], cpr: row["cpr"], timeZone: row["time_zone"],
            createdAt: Date(millisecondsSince1970: row["created_at"]),
            monitoringStart: start.map(Date.init(millisecondsSince1970:)))
    }
}
