import Foundation
import Vitals

/// How often a patient is asked to measure, read in one place: daily for `dailyPhaseDays` after
/// monitoring began (at most `dailyMaxGapDays` days without a measurement), then on `daysAWeek`
/// days a week when the patient has a plan of their own (at least once a week otherwise), at most
/// `laterMaxGapDays` days apart. The missing-data rules judge gaps by it, and the worklist and the
/// patient view count adherence by it, so they cannot disagree.
public struct MeasurementPlan: Sendable, Hashable {
    public var dailyPhaseDays: Int
    public var dailyMaxGapDays: Int
    public var laterMaxGapDays: Int
    /// The patient's own plan after the daily phase (1…7); `nil`: the rule set's "at least once a
    /// week, at most `laterMaxGapDays` apart".
    public var daysAWeek: Int?

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
        if let days = context?.daysAWeek(at: instant) { self = self.measuring(daysAWeek: days) }
    }

    /// This plan with the patient's own days a week after the daily phase: measuring on N days
    /// a week leaves at most ⌈7 / N⌉ days between measurements (never less than the daily
    /// phase's gap): 3 days a week, 3 days (Friday to Monday); once a week, 7.
    public func measuring(daysAWeek days: Int?) -> MeasurementPlan {
        guard let days else { return self }
        var plan = self
        let n = min(max(days, 1), 7)
        plan.daysAWeek = n
        plan.laterMaxGapDays = max(dailyMaxGapDays, (7 + n - 1) / n)
        return plan
    }

    /// The measurements asked for on `days` days after the daily phase: N for a full week of a
    /// plan of N days a week, pro rata (rounded down, at least one) for part of a week; one
    /// (at least once a week) without a plan of the patient's own.
    public func plannedDays(afterDailyPhase days: Int) -> Int {
        guard days > 0 else { return 0 }
        guard let daysAWeek else { return 1 }
        return min(days, max(1, daysAWeek * days / 7))
    }

    /// The plan in words: "daily for 14 days, then 3 days a week".
    public var text: String {
        let later =
            daysAWeek.map { $0 == 7 ? "daily" : "\($0) day\($0 == 1 ? "" : "s") a week" }
            ?? "at least once a week"
        return "daily for \(dailyPhaseDays) days, then \(later)"
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
