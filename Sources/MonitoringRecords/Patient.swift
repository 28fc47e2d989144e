import Foundation

/// A person followed by the service.
public struct Patient: Sendable, Hashable, Codable {
    /// Internal id (not the CPR number).
    public var id: PatientID
    public var name: String
    /// CPR number, `DDMMYY-SSSS`; personal data, shown masked outside the patient view.
    public var cpr: String?
    /// IANA zone that defines the patient's calendar days.
    public var timeZone: String
    public var createdAt: Date
    /// When follow-up began: the measurement plan is daily in the first days after it.
    public var monitoringStart: Date
    /// The end of the current monitoring period; `nil` while the patient is monitored.
    public var monitoringEnd: MonitoringEnd?
    /// The team that follows the patient; `nil`: none given yet (every nurse sees the patient).
    public var team: String?

    /// The zone a patient is registered in unless another is given.
    public static let defaultTimeZone = "Europe/Copenhagen"

    public init(
        id: PatientID, name: String, cpr: String? = nil, timeZone: String = Patient.defaultTimeZone, createdAt: Date,
        monitoringStart: Date? = nil, monitoringEnd: MonitoringEnd? = nil, team: String? = nil
    ) {
        self.id = id
        self.name = name
        self.cpr = cpr
        self.timeZone = timeZone
        self.createdAt = createdAt
        self.monitoringStart = monitoringStart ?? createdAt
        self.monitoringEnd = monitoringEnd
        self.team = team
    }

    /// Refuses `operation` when the patient's monitoring has ended.
    public func requireMonitored(_ operation: String) throws {
        if let monitoringEnd { throw monitoringEnd.refusal(operation, patientID: id) }
    }

    /// A new patient as registered: refuses an empty id or name, a CPR number that is not ten
    /// digits (normalised to `DDMMYY-SSSS`) and a zone name the system does not know. Every
    /// backend registers patients through here.
    public static func checked(
        id: PatientID, name: String, cpr: String?, timeZone: String, createdAt: Date, monitoringStart: Date?
    ) throws -> Patient {
        let operation = "adding patient \(id)"
        guard !id.rawValue.isEmpty, !name.isEmpty else { throw StoreError(operation, "id and name must not be empty") }
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
        return Patient(
            id: id, name: name, cpr: normalisedCPR, timeZone: timeZone, createdAt: createdAt.wholeMilliseconds,
            monitoringStart: monitoringStart?.wholeMilliseconds)
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
        // A stored number is ASCII digits: six ASCII digits followed by nothing or by an ASCII
        // byte are its first six characters, and copying bytes saves breaking the text into
        // characters (the worklist masks every patient's).
        let fast = cpr.utf8.withContiguousStorageIfAvailable { bytes -> String? in
            guard bytes.count >= 6, bytes[..<6].allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }),
                bytes.count == 6 || bytes[6] < 0x80
            else { return nil }
            return String(unsafeUninitializedCapacity: 11) { out in
                for index in 0..<6 { out[index] = bytes[index] }
                for index in 6..<11 { out[index] = UInt8(ascii: index == 6 ? "-" : "*") }
                return 11
            }
        }
        if let fast, let fast { return fast }
        return "\(cpr.prefix(6))-****"
    }
}

/// What an operator changes in a patient's registration; `nil` fields stay as they are.
public struct PatientEdit: Sendable, Hashable {
    public var name: String?
    /// A new CPR number; `.some(nil)` removes it.
    public var cpr: String??
    public var timeZone: String?
    public var monitoringStart: Date?

    public init(name: String? = nil, cpr: String?? = nil, timeZone: String? = nil, monitoringStart: Date? = nil) {
        self.name = name
        self.cpr = cpr
        self.timeZone = timeZone
        self.monitoringStart = monitoringStart
    }

    /// One changed field with the value it replaces, as the change history keeps it.
    public struct Change: Sendable, Hashable, Codable {
        public var field: String
        public var oldValue: String?
        public var newValue: String?

        public init(field: String, oldValue: String?, newValue: String?) {
            self.field = field
            self.oldValue = oldValue
            self.newValue = newValue
        }
    }

    /// The patient after the edit and the fields it changes, through the checks a new patient
    /// goes through (`Patient.checked`). Refuses an empty reason and an edit that changes nothing.
    public func applied(to patient: Patient, reason: String, operation: String) throws -> (Patient, [Change]) {
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw StoreError(operation, "a reason is required: why the registration changes")
        }
        let checked = try Patient.checked(
            id: patient.id, name: name ?? patient.name, cpr: cpr ?? patient.cpr,
            timeZone: timeZone ?? patient.timeZone, createdAt: patient.createdAt,
            monitoringStart: monitoringStart ?? patient.monitoringStart)
        var edited = patient
        edited.name = checked.name
        edited.cpr = checked.cpr
        edited.timeZone = checked.timeZone
        edited.monitoringStart = checked.monitoringStart
        let stamp = { (date: Date) in date.formatted(.iso8601) }
        let changes = [
            Change(field: "name", oldValue: patient.name, newValue: edited.name),
            Change(field: "cpr", oldValue: patient.cpr, newValue: edited.cpr),
            Change(field: "time_zone", oldValue: patient.timeZone, newValue: edited.timeZone),
            Change(
                field: "monitoring_start", oldValue: stamp(patient.monitoringStart),
                newValue: stamp(edited.monitoringStart)),
        ].filter { $0.oldValue != $0.newValue }
        guard !changes.isEmpty else { throw StoreError(operation, "nothing changes: give a new value") }
        return (edited, changes)
    }

    /// The audit entry's detail: the fields, not their values (a CPR number stays out of the log).
    public static func auditDetail(_ changes: [Change], reason: String) -> String {
        "changed \(changes.map(\.field).joined(separator: ", ")) (old values in the change history): \(reason)"
    }
}

/// One entry of a patient's change history.
public struct PatientChangeRecord: Sendable, Hashable, Codable {
    public var change: PatientEdit.Change
    public var reason: String
    public var changedBy: String
    public var changedAt: Date

    public init(change: PatientEdit.Change, reason: String, changedBy: String, changedAt: Date) {
        self.change = change
        self.reason = reason
        self.changedBy = changedBy
        self.changedAt = changedAt
    }
}
