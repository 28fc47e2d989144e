/// A person using the follow-up tools: who they are and what they may do. Every action and
/// every view of a patient is written to the audit log under this name and role.
public struct Clinician: Sendable, Hashable, Codable {
    /// What a clinician may do.
    public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
        /// Municipal nurse: views, notes, acknowledgements, weekly reviews, escalations.
        case nurse
        /// Cardiologist at the heart-failure clinic: everything a nurse may do, and answers
        /// escalations and changes a patient's personal thresholds.
        case cardiologist
    }

    /// The person's name as it appears in the record and the audit log.
    public var name: String
    public var role: Role

    public init(name: String, role: Role) {
        self.name = name
        self.role = role
    }

    /// Whether the person may change personal thresholds and answer escalations.
    public var mayChangeThresholds: Bool { role == .cardiologist }
}
