import Foundation
import GRDB
import MonitoringRecords
import ThresholdRules
import Vitals

extension MonitoringStore {
    /// Records the reminders not recorded before for the same rule and due day, inside the
    /// caller's transaction; returns those that are new (to publish once, not every check).
    func recordReminders(_ reminders: [MeasurementReminder], patientID: String, at now: Date, db: Database) throws
        -> [MeasurementReminder]
    {
        var recorded: [MeasurementReminder] = []
        for reminder in reminders {
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO reminder (patient_id, rule_id, measurement, due_day, created_at)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [
                    patientID, reminder.ruleID, reminder.measurement.rawValue, reminder.due.description,
                    now.millisecondsSince1970,
                ])
            if db.changesCount > 0 { recorded.append(reminder) }
        }
        return recorded
    }

    /// The serials of the devices paired with the patient at `instant`.
    func pairedSerials(patientID: String, at instant: Date, db: Database) throws -> [String] {
        let at = instant.millisecondsSince1970
        return try String.fetchAll(
            db,
            sql: """
                SELECT serial FROM pairing
                WHERE patient_id = ? AND valid_from <= ? AND (valid_to IS NULL OR valid_to > ?) ORDER BY serial
                """,
            arguments: [patientID, at, at])
    }

    /// The days reminders were recorded for a patient, newest first: (rule, due day).
    public func reminders(patientID: String) throws -> [(ruleID: String, due: String)] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT rule_id, due_day FROM reminder WHERE patient_id = ? ORDER BY due_day DESC, rule_id",
                arguments: [patientID]
            ).map { ($0[0], $0[1]) }
        }
    }
}
