import Foundation
import GRDB
import MonitoringRecords
import ReadingIntake
import ThresholdRules
import Vitals

extension MonitoringStore {
    /// `WHERE` for a patient's readings of every kind from an instant on (arguments: the
    /// patient, the instant). Every kind is named so that SQLite searches `reading_history` per
    /// kind from the instant on instead of walking the patient's whole history: the rules read
    /// this for every patient in every batch.
    static let recentReadingsFilter =
        "WHERE patient_id = ? AND kind IN ("
        + ReadingKind.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ") + ") AND measured_at >= ?"

    /// The rules' read of a patient's recent readings (arguments: the patient, the instant),
    /// answered by `reading_history` alone.
    static let recentReadingsQuery = "SELECT id, kind, value, measured_at FROM reading \(recentReadingsFilter)"

    /// A patient's readings in measured-time order, optionally of one kind and since an instant.
    public func readings(patientID: PatientID, kind: ReadingKind? = nil, since: Date? = nil) throws -> [StoredReading] {
        try database.read { db in
            var sql = "SELECT * FROM reading WHERE patient_id = ?"
            var arguments: StatementArguments = [patientID]
            if let kind {
                sql += " AND kind = ?"
                _ = arguments.append(contentsOf: [kind.rawValue])
            }
            if let since {
                sql += " AND measured_at >= ?"
                _ = arguments.append(contentsOf: [since.millisecondsSince1970])
            }
            sql += " ORDER BY measured_at, kind, id"
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(StoredReading.init(row:))
        }
    }

    /// Every patient's latest reading of each kind.
    public func latestReadings() throws -> [StoredReading] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT reading.* FROM latest_reading JOIN reading ON reading.id = latest_reading.reading_id
                    ORDER BY reading.patient_id, reading.kind
                    """
            ).map(StoredReading.init(row:))
        }
    }

    /// How many readings are stored.
    public func readingCount() throws -> Int {
        try database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM reading") ?? 0 }
    }
}

extension StoredReading {
    init(row: Row) {
        self.init(
            id: row["id"], patientID: row["patient_id"], serial: row["serial"],
            kind: ReadingKind(rawValue: row["kind"]) ?? .weight, value: row["value"],
            unit: MeasurementUnit(rawValue: row["unit"]) ?? .kilogram, originalValue: row["original_value"],
            originalUnit: MeasurementUnit(rawValue: row["original_unit"]) ?? .kilogram,
            measuredAt: Date(millisecondsSince1970: row["measured_at"]),
            receivedAt: Date(millisecondsSince1970: row["received_at"]), journalID: row["journal_id"],
            messageID: row["message_id"], profileID: row["profile_id"])
    }
}
