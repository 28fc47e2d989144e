import Foundation
import MonitoringRecords
import ReadingIntake
import ThresholdRules
import Vitals

/// What the nurses' and cardiologists' follow-up needs of the store, with the same behaviour on
/// every backend (SQLite: `MonitoringStore`; PostgreSQL: `PostgresMonitoringStore`): the
/// worklist's and the patient view's reads, and the actions on a patient, each written with its
/// audit entry in one transaction. Refusals are `StoreError`s naming the operation; instants
/// default to the store's clock.
public protocol FollowUpStore: PatientRegistry, AuditTrail, PersonalSettingsLedger, ClinicianDirectory,
    NotificationLedger
{
    /// "Now" when an instant is not given.
    var clock: WallClock { get }

    /// Every patient with their open flags, latest values (with last week's reference and the
    /// days of their week measured), the measurement plan in force at `at`, `week`'s reviews and
    /// the escalations waiting for an answer; for a past week, the weighings in `weighings`.
    func worklistSnapshot(week: String, weighings: Range<Date>?, at: Date?) async throws -> WorklistSnapshot

    /// One patient's record: readings, closed flags and reminders since `since`, everything else
    /// in full; `nil` when there is no such patient.
    func patientRecord(id: PatientID, since: Date) async throws -> PatientRecord?

    /// Acknowledges an open flag with an optional comment. Refuses a flag that is not open, and,
    /// given the flag as the person's screen `shown` it, one that changed since (new evidence,
    /// another severity), saying what changed.
    @discardableResult
    func acknowledge(flagID: Int64, by clinician: Clinician, comment: String?, shown: PatientFlag?, at: Date?)
        async throws -> PatientFlag

    /// Appends a note to the patient's record. Refuses an empty note and an unknown patient.
    @discardableResult
    func addNote(patientID: PatientID, contact: ContactNote.Contact, text: String, by clinician: Clinician, at: Date?)
        async throws -> ContactNote

    /// Marks the patient reviewed for `week` (`2026-W47`); a second mark is refused, naming the first.
    @discardableResult
    func markReviewed(patientID: PatientID, week: String, by clinician: Clinician, at: Date?) async throws
        -> WeeklyReview

    /// Records an escalation to the hotline and marks the patient's open flags escalated. A
    /// patient has at most one unanswered escalation; a reason is required.
    @discardableResult
    func escalate(
        patientID: PatientID, reason: String, brief: String, hotlineOpen: Bool, by clinician: Clinician, at: Date?
    ) async throws -> Escalation

    /// Records a cardiologist's answer (anyone else is refused): the decision, personal settings
    /// through the same checks as `addPersonalSetting`, and the escalated flags closed with the
    /// decision as their comment. Answered once.
    @discardableResult
    func answer(
        escalationID: Int64, decision: Escalation.Decision, medicationChange: String?, comment: String?,
        nextReview: String?, settings: [PersonalSetting], ruleSet: RuleSet?, by clinician: Clinician, at: Date?
    ) async throws -> Escalation

    /// Ends the patient's monitoring period at `at`, audited: the devices paired then are
    /// unpaired at that instant, the open flags are closed with the reason, and the patient leaves
    /// the worklist; their record stays, read-only (notes, reviews, escalations and new pairings
    /// are refused) until the period is reopened. Escalated flags keep waiting for the answer.
    /// Refuses a period already ended, an end before monitoring began and a device paired with
    /// the patient from a later time.
    @discardableResult
    func endMonitoring(
        patientID: PatientID, reason: MonitoringEnd.Reason, comment: String?, by clinician: Clinician, at: Date?
    ) async throws -> MonitoringEnd

    /// Reopens the patient's ended period, audited; returns the end it lifts. Devices are paired
    /// again by hand.
    @discardableResult
    func reopenMonitoring(patientID: PatientID, by clinician: Clinician, at: Date?) async throws -> MonitoringEnd

    /// One escalation with its answer, if any.
    func escalation(id: Int64) async throws -> Escalation?

    /// One flag, or `nil`.
    func flag(id: Int64) async throws -> PatientFlag?

    /// Flags, newest first, optionally of one patient and one state.
    func flags(patientID: PatientID?, state: PatientFlag.State?) async throws -> [PatientFlag]

    /// A patient's readings in measured-time order, optionally of one kind and since a time.
    func readings(patientID: PatientID, kind: ReadingKind?, since: Date?) async throws -> [StoredReading]
}

/// The messages that could not become readings, kept with a reason a person can read.
public protocol MessageQuarantine: Sendable {
    /// The entries waiting for a decision, oldest first; with `includeResolved`, also those a
    /// reprocess run has since stored.
    func quarantine(includeResolved: Bool) async throws -> [QuarantineEntry]

    /// Sets a waiting entry aside for good (a test message, a device's garbage), with the reason
    /// and the operator's `account`, audited in the same transaction; reprocessing no longer
    /// tries it and the counts no longer show it. The raw message stays in the journal. Refuses
    /// an unknown or already resolved entry and an empty reason.
    @discardableResult
    func dismissQuarantine(id: Int64, reason: String, account: String) async throws -> String
}

extension QuarantineEntry {
    /// The resolution a dismissal records: "dismissed by ACCOUNT: REASON".
    public static func dismissal(reason: String, account: String, operation: String) throws -> String {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw StoreError(operation, "a reason is required: why it can be set aside") }
        return "dismissed by \(account): \(reason)"
    }
}

extension FollowUpStore {
    /// Records what an operator's tool showed or entered, under the account this store's
    /// session signed in with (`sessionAccount`) and the role `operator`.
    public func recordOperatorAudit(_ action: AuditEntry.Action, patientID: PatientID?, detail: String) async throws {
        try await recordOperatorAudit(action, account: try await sessionAccount(), patientID: patientID, detail: detail)
    }

    /// Acknowledges an open flag without a screen to compare with (scripts, the operator's tool).
    @discardableResult
    public func acknowledge(flagID: Int64, by clinician: Clinician, comment: String?, at: Date?) async throws
        -> PatientFlag
    {
        try await acknowledge(flagID: flagID, by: clinician, comment: comment, shown: nil, at: at)
    }
}
