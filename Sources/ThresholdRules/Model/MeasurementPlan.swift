import Foundation
import Vitals

/// How often a patient is asked to measure, read in one place: daily for `dailyPhaseDays` after
/// monitoring began (at most `dailyMaxGapDays` days without a measurement), then at most
/// `laterMaxGapDays`. The missing-data rules judge gaps by it, and the worklist and the patient
/// view count adherence by it, so they cannot disagree.
public struct MeasurementPlan: Sendable, Hashable {
    public var dailyPhaseDays: Int
    public var dailyMaxGapDays: Int
    public var laterMaxGapDays: Int

    /// The TeleHjerte plan: daily for 14 days, then 1–3 times a week (a week at most between).
    public static let teleHjerte = MeasurementPlan(dailyPhaseDays: 14, dailyMaxGapDays: 2, laterMaxGapDays: 7)

    public init(dailyPhaseDays: Int, dailyMaxGapDays: Int, laterMaxGapDays: Int) {
        self.dailyPhaseDays = dailyPhaseDays
        self.dailyMaxGapDays = dailyMaxGapDays
        self.laterMaxGapDays = laterMaxGapDays
    }

    /// The plan a missing-data rule states, with the patient's personal settings for it in force
    /// at `instant` (the rule's own numbers without a `context`).
    public init(rule: Rule, context: PatientContext?, at instant: Date) {
        func number(_ name: String, _ fallback: Int) -> Int {
            let value = context.map { $0.parameter(name, of: rule, at: instant)?.value } ?? rule.parameters[name]
            return value.map { Int($0) } ?? fallback
        }
        let plan = Self.teleHjerte
        self.init(
            dailyPhaseDays: number("dailyPhaseDays", plan.dailyPhaseDays),
            dailyMaxGapDays: number("dailyMaxGapDays", plan.dailyMaxGapDays),
            laterMaxGapDays: number("laterMaxGapDays", plan.laterMaxGapDays))
    }

    /// The weighing plan of a rule set (its missing-data rule for weight), with the patient's
    /// personal settings at `instant` when a `context` is given; TeleHjerte's when the set has
    /// no such rule.
    public init(ruleSet: RuleSet?, context: PatientContext?, at instant: Date) {
        guard let rule = ruleSet?.rules.first(where: { $0.kind == .missing && $0.measurement == .weight }) else {
            self = .teleHjerte
            return
        }
        self.init(rule: rule, context: context, at: instant)
    }

    /// When the daily phase ends for monitoring that began at `monitoringStart`.
    public func dailyPhaseEnds(monitoringStart: Date) -> Date {
        monitoringStart.addingTimeInterval(Double(dailyPhaseDays) * 86_400)
    }
}
