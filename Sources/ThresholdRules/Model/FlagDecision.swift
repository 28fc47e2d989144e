import Foundation
import Vitals

/// What the rules concluded about one rule for one patient, for the store to apply to the flag.
public struct FlagDecision: Sendable, Hashable {
    public enum Action: String, Sendable, Hashable, Codable {
        /// The rule fires: open a flag, or update the open one (severity only ever rises).
        case raise
        /// The rule no longer fires on the newest data: note "back in range" on an open flag.
        /// A person still closes it.
        case backInRange
        /// The rule is being evaluated again from `evidenceAt` on, with every reading now known
        /// (a late reading arrived): what an open flag rested on from then on must be found
        /// again by the raises that follow, or it no longer counts. A flag left resting on
        /// nothing was raised on incomplete data and, if no person has acted on it, is withdrawn
        /// (`FlagBook.settle()`).
        case recheck
    }

    public var action: Action
    public var ruleID: String
    /// What the flag is about: rules of one problem share one flag (`Rule.problem`).
    public var problem: String
    public var ruleSetVersion: Int
    public var measurement: ReadingKind
    public var severity: Severity
    /// The why, in numbers: "weight +2.5 kg in 3 days: 80.1 kg (17 Nov) → 82.6 kg (20 Nov)".
    public var explanation: String
    /// The readings behind the decision.
    public var readingIDs: [Int64]
    /// The measurement instant of the newest evidence.
    public var evidenceAt: Date

    public init(
        action: Action, ruleID: String, problem: String? = nil, ruleSetVersion: Int, measurement: ReadingKind,
        severity: Severity,
        explanation: String,
        readingIDs: [Int64], evidenceAt: Date
    ) {
        self.action = action
        self.ruleID = ruleID
        self.problem = problem ?? ruleID
        self.ruleSetVersion = ruleSetVersion
        self.measurement = measurement
        self.severity = severity
        self.explanation = explanation
        self.readingIDs = readingIDs
        self.evidenceAt = evidenceAt
    }
}
