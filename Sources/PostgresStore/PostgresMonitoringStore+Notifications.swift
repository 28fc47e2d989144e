import Foundation
import MonitoringRecords
import PostgresNIO
import StoreInterface

extension PostgresMonitoringStore: NotificationLedger {
    public func claimNotification(kind: String, reference: Int64, patientID: PatientID, at: Date) async throws -> Bool {
        try await failing("claiming the notification \(kind) \(reference)") {
            let claimed = try await client.query(
                """
                INSERT INTO notification (kind, reference, patient_id, sent_at)
                VALUES (\(kind), \(reference), \(patientID), \(at))
                ON CONFLICT (kind, reference) DO NOTHING RETURNING 1
                """, logger: logger
            ).collect()
            return !claimed.isEmpty
        }
    }

    public func releaseNotification(kind: String, reference: Int64) async throws {
        try await failing("releasing the notification \(kind) \(reference)") {
            try await client.query(
                "DELETE FROM notification WHERE kind = \(kind) AND reference = \(reference)", logger: logger)
        }
    }
}
