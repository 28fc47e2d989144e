import Foundation

/// One line of the audit log: who did or looked at what, when, and for which patient.
public struct AuditEntry: Sendable, Hashable, Codable {
    /// What happened. The raw values are what the log stores and what `audit` prints.
    public enum Action: String, Sendable, Hashable, Codable, CaseIterable {
        case worklistViewed = "worklist.view"
        case patientViewed = "patient.view"
        case briefViewed = "escalation.brief.view"
        case auditViewed = "audit.view"
        case flagAcknowledged = "flag.acknowledge"
        case noteWritten = "note.write"
        case patientReviewed = "patient.review"
        case escalated = "escalation.create"
        case escalationAnswered = "escalation.answer"
        case thresholdChanged = "threshold.change"
        case measurementPlanChanged = "plan.change"
        case monitoringEnded = "monitoring.end"
        case monitoringReopened = "monitoring.reopen"
        case refused = "refused"
        /// An operator's tool printed readings, flags or the quarantine's raw payloads.
        case recordsRead = "records.read"
        /// An operator set a quarantined message aside for good, with the reason.
        case quarantineDismissed = "quarantine.dismiss"
        /// An operator changed a patient's registration; the old values are in the change history.
        case patientEdited = "patient.edit"
        /// An operator moved a pairing's start earlier (a kit handed out before it was registered).
        case pairingBackdated = "pairing.backdate"
        /// An operator entered a clinician's written order (`tele-ingest thresholds … --by`).
        case enteredForClinician = "operator.entry"
        /// A brief drafted and shown with the full CPR number, not sent (`escalate --dry-run`).
        case briefDrafted = "escalation.brief.draft"
        /// A status report for the GP was written (`nurse-console report`).
        case reportWritten = "report.write"
        /// The programme's quality indicators were computed over many patients' records.
        case indicatorsViewed = "indicators.view"
        /// An operator erased a patient's data where the law allows it (`tele-ingest patients
        /// erase`); the audit entries on the patient stay with their detail blanked.
        case patientErased = "patient.erase"
    }

    public var id: Int64
    public var at: Date
    public var user: String
    public var role: String
    public var action: Action
    /// The patient concerned; `nil` for views of many patients (the worklist).
    public var patientID: PatientID?
    /// What exactly, in words and ids ("flag 12 (weight-gain-3d, red)").
    public var detail: String

    public init(
        id: Int64, at: Date, user: String, role: String, action: Action, patientID: PatientID?, detail: String
    ) {
        self.id = id
        self.at = at
        self.user = user
        self.role = role
        self.action = action
        self.patientID = patientID
        self.detail = detail
    }
}
