import Foundation
import MonitoringRecords
import ThresholdRules

/// The audit log: every view and action, append-only on every backend (the database itself
/// refuses to change or delete an entry).
public protocol AuditTrail: Sendable {
    /// Records a view or an action by `clinician` at `at` (default: now).
    func recordAudit(
        _ action: AuditEntry.Action, by clinician: Clinician, patientID: PatientID?, detail: String, at: Date?)
        async throws

    /// Records what an operator's tool showed (`tele-ingest readings`, `flags`, `quarantine`):
    /// under the signed-in `account` with the role `operator`.
    func recordOperatorAudit(_ action: AuditEntry.Action, account: String, patientID: PatientID?, detail: String)
        async throws

    /// The log, oldest first, optionally of one patient and limited to the newest `limit`.
    func auditLog(patientID: PatientID?, limit: Int?) async throws -> [AuditEntry]
}

/// A patient's personal settings: limits, dry weights, suspensions (a cardiologist's) and
/// measurement plans (a nurse's or a cardiologist's). Append-only on every backend; each one is
/// written with its audit entry in one transaction.
public protocol PersonalSettingsLedger: Sendable {
    /// Checks (`PersonalSettingRecord.check`) and appends `setting`, with the ids of the flags
    /// open at the time and an audit entry. A refusal stores nothing.
    @discardableResult
    func addPersonalSetting(
        patientID: PatientID, _ setting: PersonalSetting, reason: String, by clinician: Clinician, ruleSet: RuleSet?,
        at: Date?
    ) async throws -> PersonalSettingRecord

    /// A patient's settings in the order they take effect.
    func personalSettings(patientID: PatientID) async throws -> [PersonalSettingRecord]
}
