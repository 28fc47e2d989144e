import Foundation
import GRDB
import MonitoringRecords
import StoreInterface
import ThresholdRules
import Vitals

extension MonitoringStore {
    /// Records the reminders not recorded before for the same rule and due day, inside the
    /// caller's transaction; returns those that are new (to publish once, not every check).
    func recordReminders(_ reminders: [MeasurementReminder], patientID: PatientID, at now: Date, db: Database) throws
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
    func pairedSerials(patientID: PatientID, at instant: Date, db: Database) throws -> [DeviceSerial] {
        let at = instant.millisecondsSince1970
        return try DeviceSerial.fetchAll(
            db,
            sql: """
                SELECT serial FROM pairing
                WHERE patient_id = ? AND valid_from <= ? AND (valid_to IS NULL OR valid_to > ?) ORDER BY serial
                """,
            arguments: [patientID, at, at])
    }

    /// The reminders recorded for a patient (since `since`, or all), newest first.
    public func reminders(patientID: PatientID, since: Date? = nil) throws -> [ReminderRecord] {
        try database.read { db in try reminders(patientID: patientID, since: since, db: db) }
    }

    func reminders(patientID: PatientID, since: Date?, db: Database) throws -> [ReminderRecord] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT rule_id, measurement, due_day, created_at FROM reminder
                WHERE patient_id = ? AND created_at >= ? ORDER BY due_day DESC, rule_id
                """,
            arguments: [patientID, since?.millisecondsSince1970 ?? Int64.min]
        ).map { row in
            ReminderRecord(
                ruleID: row[0], measurement: ReadingKind(rawValue: row[1]) ?? .weight, due: row[2],
                recordedAt: Date(millisecondsSince1970: row[3]))
        }
    }
}
