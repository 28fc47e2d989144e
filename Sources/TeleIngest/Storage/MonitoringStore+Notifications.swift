import Foundation
import GRDB
import MonitoringRecords
import StoreInterface

extension MonitoringStore: NotificationLedger {
    public func claimNotification(kind: String, reference: Int64, patientID: PatientID, at: Date) throws -> Bool {
        try database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO notification (kind, reference, patient_id, sent_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (kind, reference) DO NOTHING
                    """,
                arguments: [kind, reference, patientID, at.millisecondsSince1970])
            return db.changesCount == 1
        }
    }

    public func releaseNotification(kind: String, reference: Int64) throws {
        try database.write { db in
            try db.execute(
                sql: "DELETE FROM notification WHERE kind = ? AND reference = ?", arguments: [kind, reference])
        }
    }
}
