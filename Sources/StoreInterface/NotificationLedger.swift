import Foundation
import MonitoringRecords

/// Which events were sent through the site's notifier, so that each is sent once however many
/// workers and consoles see it.
public protocol NotificationLedger: Sendable {
    /// Claims the event `kind` about `reference` (a flag or escalation id) for sending; `false`
    /// when it was claimed before.
    func claimNotification(kind: String, reference: Int64, patientID: PatientID, at: Date) async throws -> Bool

    /// Gives a claim back after the notifier failed, so that the next check tries again.
    func releaseNotification(kind: String, reference: Int64) async throws
}
