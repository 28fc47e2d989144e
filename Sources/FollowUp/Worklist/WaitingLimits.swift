import Foundation
import ThresholdRules

/// How long things may wait before the worklist says they are overdue: an unacknowledged flag
/// (working days, by severity: `rules.overdue` in the configuration) and an escalation without
/// the hotline's answer (hours: `console.escalationAnswerHours`).
public struct WaitingLimits: Sendable, Hashable {
    public var flags: OverduePolicy
    /// After this long without an answer, an escalation comes back to the nurse.
    public var escalationAnswer: TimeInterval

    /// One working day for a red flag, five for a yellow, 24 hours for an answer.
    public init(flags: OverduePolicy = OverduePolicy(), escalationAnswer: TimeInterval = 24 * 3600) {
        self.flags = flags
        self.escalationAnswer = escalationAnswer
    }
}
