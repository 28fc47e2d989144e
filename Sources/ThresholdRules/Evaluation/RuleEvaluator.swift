import Foundation
import Vitals

/// Applies a rule set to one patient's readings. Pure: no I/O, no clock unless given one;
/// the same readings in any order give the same decisions.
public struct RuleEvaluator: Sendable {
    public var ruleSet: RuleSet {
        didSet { dailySeries = Self.dailySeries(of: ruleSet) }
    }
    /// The daily values the rule set's rules read, worked out once per rule set: a history
    /// computes only these (it is built for every patient in every batch).
    private(set) var dailySeries: Set<PatientHistory.DailySeries>

    public init(ruleSet: RuleSet) {
        self.ruleSet = ruleSet
        dailySeries = Self.dailySeries(of: ruleSet)
    }

    /// Evaluates every reading-driven rule at the end of each of `days` (each with only the
    /// readings measured up to that day), in day order. A rule that fires gives `.raise`; one
    /// that does not fire on the patient's newest day of its measurement gives `.backInRange`.
    public func evaluate(_ observations: [Observation], context: PatientContext, days: [LocalDay]) -> [FlagDecision] {
        // An ended monitoring period is read-only: a late reading from before the end opens nothing.
        guard context.monitoringEnded == nil else { return [] }
        let history = PatientHistory(observations, zone: context.timeZone, series: dailySeries)
        var decisions: [FlagDecision] = []
        let sortedDays = Set(days).sorted()
        // Everything an open flag rested on from the first day on is evaluated again below.
        if let first = sortedDays.first {
            let from = first.start(in: context.timeZone)
            let explanation = "evaluated again from \(first.short)"
            for rule in ruleSet.rules where rule.kind != .missing {
                decisions.append(
                    decision(
                        .recheck, rule,
                        Finding(severity: rule.severity, explanation: explanation, readingIDs: [], evidenceAt: from)))
            }
        }
        for day in sortedDays {
            for rule in ruleSet.rules where rule.kind != .missing {
                let today = history.readings(rule.measurement, on: day)
                guard let newest = today.last else { continue }
                if context.isSuspended(rule, at: newest.measuredAt) { continue }
                let input = RuleInput(
                    rule: rule, day: day, today: today, history: history, context: context, at: newest.measuredAt)
                if let finding = evaluate(input) {
                    decisions.append(decision(.raise, rule, finding))
                } else if history.latestDay(rule.measurement) == day {
                    decisions.append(
                        decision(
                            .backInRange, rule,
                            Finding(
                                severity: rule.severity, explanation: "back in range on \(day.short)",
                                readingIDs: today.map(\.id), evidenceAt: newest.measuredAt)))
                }
            }
        }
        return decisions
    }

    /// The daily values `ruleSet`'s rules read: each change, baseline and trend rule's kind and
    /// daily value, and the personal rules' morning signals.
    static func dailySeries(of ruleSet: RuleSet) -> Set<PatientHistory.DailySeries> {
        var series: Set<PatientHistory.DailySeries> = []
        for rule in ruleSet.rules {
            switch rule.kind {
            case .change, .baseline, .trend:
                series.insert(PatientHistory.DailySeries(kind: rule.measurement, choice: rule.dailyValue))
            case .personal:
                for signal in Self.personalSignals {
                    series.insert(PatientHistory.DailySeries(kind: signal.kind, choice: .morning))
                }
            case .range, .persistence, .missing:
                break
            }
        }
        return series
    }

    /// Where a patient stands against a missing-data rule's plan at one moment.
    private struct PlanGap {
        var rule: Rule
        var plan: MeasurementPlan
        /// Days without a measurement the plan allows now (the daily phase's or later).
        var allowed: Int
        /// Whether the daily phase is still on.
        var daily: Bool
        /// The newest reading of the rule's kind, if any.
        var latest: Observation?
        /// Its day, or the day monitoring started.
        var since: LocalDay
        /// Today, in the patient's zone.
        var today: LocalDay
        /// Whole days from `since` to today.
        var gap: Int

        /// The plan in words for an explanation: "daily for the first 14 days", "3 days a week".
        var planText: String {
            daily
                ? "daily for the first \(plan.dailyPhaseDays) days"
                : plan.daysAWeek.map { "\($0) day\($0 == 1 ? "" : "s") a week" } ?? "after the daily phase"
        }
    }

    private func planGaps(_ observations: [Observation], context: PatientContext, now: Date) -> [PlanGap] {
        // The plan needs each kind's newest reading, no daily values.
        let history = PatientHistory(observations, zone: context.timeZone, series: [])
        let today = LocalDay(now, in: context.timeZone)
        return ruleSet.rules.filter { $0.kind == .missing && !context.isSuspended($0, at: now) }.map { rule in
            let plan = MeasurementPlan(rule: rule, context: context, at: now)
            let daily = now < plan.dailyPhaseEnds(monitoringStart: context.monitoringStart)
            let latest = history.byKind[rule.measurement]?.last
            let since = latest.map { history.day($0) } ?? LocalDay(context.monitoringStart, in: context.timeZone)
            return PlanGap(
                rule: rule, plan: plan, allowed: daily ? plan.dailyMaxGapDays : plan.laterMaxGapDays, daily: daily,
                latest: latest, since: since, today: today, gap: since.days(to: today))
        }
    }

    /// Evaluates the missing-data rules at `now` against the measurement plan.
    public func evaluateMissing(_ observations: [Observation], context: PatientContext, now: Date) -> [FlagDecision] {
        guard context.monitoringEnded == nil else { return [] }
        var decisions: [FlagDecision] = []
        for entry in planGaps(observations, context: context, now: now) {
            let rule = entry.rule
            if entry.gap > entry.allowed {
                let what =
                    entry.latest == nil
                    ? "no \(rule.measurement.displayName) since monitoring started \(entry.since.short) (\(entry.gap) days)"
                    : "no \(rule.measurement.displayName) since \(entry.since.short) (\(entry.gap) days)"
                decisions.append(
                    decision(
                        .raise, rule,
                        Finding(
                            severity: rule.severity,
                            explanation:
                                "\(what); the plan (\(entry.planText)) allows at most \(entry.allowed) days without one",
                            readingIDs: entry.latest.map { [$0.id] } ?? [],
                            evidenceAt: entry.latest?.measuredAt ?? context.monitoringStart)))
            } else if let latest = entry.latest {
                decisions.append(
                    decision(
                        .backInRange, rule,
                        Finding(
                            severity: rule.severity,
                            explanation: "measuring again: \(rule.measurement.displayName) on \(entry.since.short)",
                            readingIDs: [latest.id], evidenceAt: latest.measuredAt)))
            }
        }
        return decisions
    }

    /// The reminders due at `now`: for each missing-data rule, today is the last day the plan
    /// allows without a measurement, so measuring today keeps the nurse's flag away. Nothing is
    /// due for a suspended rule, or once the gap is already a flag.
    public func remindersDue(_ observations: [Observation], context: PatientContext, now: Date)
        -> [MeasurementReminder]
    {
        guard context.monitoringEnded == nil else { return [] }
        return planGaps(observations, context: context, now: now).filter { $0.gap == $0.allowed && $0.gap > 0 }.map {
            entry in
            MeasurementReminder(
                ruleID: entry.rule.id, measurement: entry.rule.measurement,
                lastMeasured: entry.latest == nil ? nil : entry.since, due: entry.today,
                plan: entry.planText, allowedDays: entry.allowed)
        }
    }

    /// Requests to measure again the next morning after `day`: for each personal rule with an
    /// `askScore`, when the patient measured on `day` and the day's score reached it without
    /// reaching `yellowScore` — a worsening may be beginning, and one more day of readings tells
    /// a trend from a bad morning before a nurse is asked to call. Due the day after; a request
    /// carries the score, no personal data. Nothing for a suspended rule or an ended period.
    public func confirmationsDue(_ observations: [Observation], context: PatientContext, day: LocalDay)
        -> [MeasurementReminder]
    {
        let asking = ruleSet.rules.filter { $0.kind == .personal && $0.parameters["askScore"] != nil }
        guard context.monitoringEnded == nil, !asking.isEmpty else { return [] }
        let history = PatientHistory(observations, zone: context.timeZone, series: dailySeries)
        var due: [MeasurementReminder] = []
        for rule in asking {
            let today = history.readings(rule.measurement, on: day)
            guard let newest = today.last, !context.isSuspended(rule, at: newest.measuredAt) else { continue }
            let input = RuleInput(
                rule: rule, day: day, today: today, history: history, context: context, at: newest.measuredAt)
            guard let (ask, _) = input.number("askScore"), let (yellow, _) = input.number("yellowScore"),
                let score = personalScore(input), score.total >= ask, score.total < yellow
            else { continue }
            due.append(
                MeasurementReminder(
                    ruleID: rule.id, measurement: rule.measurement, lastMeasured: day, due: day.adding(days: 1),
                    plan:
                        "again tomorrow morning: score \(Quantity.format(score.total, decimals: 1)), asked from \(Quantity.format(ask, decimals: 1))",
                    allowedDays: 0))
        }
        return due
    }

    // MARK: - One rule at one day

    struct RuleInput {
        var rule: Rule
        var day: LocalDay
        var today: [Observation]
        var history: PatientHistory
        var context: PatientContext
        /// Settings are those in force at this instant (the day's newest reading).
        var at: Date

        func number(_ name: String) -> (value: Double, personal: Bool)? {
            context.parameter(name, of: rule, at: at)
        }
    }

    struct Finding {
        var severity: Severity
        var explanation: String
        var readingIDs: [Int64]
        var evidenceAt: Date
    }

    private func decision(_ action: FlagDecision.Action, _ rule: Rule, _ finding: Finding) -> FlagDecision {
        FlagDecision(
            action: action, ruleID: rule.id, problem: rule.problem, ruleSetVersion: ruleSet.version,
            measurement: rule.measurement,
            severity: finding.severity, explanation: finding.explanation, readingIDs: finding.readingIDs,
            evidenceAt: finding.evidenceAt)
    }

    private func evaluate(_ input: RuleInput) -> Finding? {
        switch input.rule.kind {
        case .range: return range(input)
        case .change: return change(input)
        case .baseline: return baseline(input)
        case .trend: return trend(input)
        case .persistence: return persistence(input)
        case .missing: return nil
        case .personal: return personal(input)
        }
    }

    private func unit(_ input: RuleInput) -> MeasurementUnit { input.rule.measurement.canonicalUnit }

    private func text(_ value: Double, _ input: RuleInput) -> String {
        Quantity(value, unit(input)).description
    }

    private func limitText(_ value: Double, personal: Bool, _ input: RuleInput) -> String {
        text(value, input) + (personal ? " (personal limit)" : "")
    }

    private func range(_ input: RuleInput) -> Finding? {
        var offset = 0.0
        var base = ""
        if input.rule.relativeToDryWeight {
            guard let dry = input.context.dryWeight(at: input.at) else { return nil }
            offset = dry
            base = " (dry weight \(text(dry, input)))"
        }
        var worst: (severity: Severity, excess: Double, reading: Observation, explanation: String)?
        for reading in input.today {
            let checks: [(String, Severity, Bool)] = [
                ("redBelow", .red, true), ("redAbove", .red, false), ("yellowBelow", .yellow, true),
                ("yellowAbove", .yellow, false),
            ]
            for (name, severity, below) in checks {
                guard let (limit, personal) = input.number(name) else { continue }
                let bound = limit + offset
                let excess = below ? bound - reading.value : reading.value - bound
                guard excess > 0 else { continue }
                if let current = worst,
                    current.severity > severity || (current.severity == severity && current.excess >= excess)
                {
                    continue
                }
                let side = below ? "below" : "above"
                worst = (
                    severity, excess, reading,
                    "\(input.rule.measurement.displayName) \(reading.quantity) on \(input.day.short) is \(side) the \(severity.rawValue) limit \(limitText(bound, personal: personal, input))\(base)"
                )
                break
            }
        }
        return worst.map {
            Finding(
                severity: $0.severity, explanation: $0.explanation, readingIDs: [$0.reading.id],
                evidenceAt: $0.reading.measuredAt)
        }
    }

    private func change(_ input: RuleInput) -> Finding? {
        guard let days = input.number("days")?.value else { return nil }
        let daily = input.history.dailyValues(
            input.rule.measurement, through: input.day, choosing: input.rule.dailyValue)
        guard let current = daily.last, current.day == input.day else { return nil }
        /// The gain of the daily value at `index` against the reference value of the `days` days
        /// before it.
        func gainAt(_ index: Int) -> (gain: Double, lowest: DailyReading)? {
            let value = daily[index]
            let window = daily[..<index].reversed().prefix { $0.day >= value.day.adding(days: -Int(days)) }
            let reference: DailyReading?
            switch input.rule.reference {
            case .lowest: reference = window.min(by: { $0.value < $1.value })
            case .median:
                // The middle value (the lower middle of an even count): a reading that was there.
                let sorted = window.sorted { $0.value < $1.value }
                reference = sorted.isEmpty ? nil : sorted[(sorted.count - 1) / 2]
            }
            guard let reference else { return nil }
            return (value.value - reference.value, reference)
        }
        guard let (gain, lowest) = gainAt(daily.count - 1) else { return nil }
        // With `confirmations` n > 1, the gain must also hold on the n − 1 daily values before
        // (each against its own window): one heavy morning is not enough.
        let confirmations = max(Int(input.number("confirmations")?.value ?? 1), 1)
        for (name, severity) in [("redGain", Severity.red), ("yellowGain", .yellow)] {
            guard let (limit, personal) = input.number(name), gain > limit else { continue }
            var confirmedBy: [(day: LocalDay, gain: Double, readingIDs: [Int64])] = []
            for back in 1..<confirmations {
                let index = daily.count - 1 - back
                guard index >= 0, let earlier = gainAt(index), earlier.gain > limit else { break }
                confirmedBy.append((daily[index].day, earlier.gain, daily[index].readingIDs))
            }
            guard confirmedBy.count == confirmations - 1 else { continue }
            let span = lowest.day.days(to: current.day)
            var explanation =
                "\(input.rule.measurement.displayName) +\(text(gain, input)) in \(span) day\(span == 1 ? "" : "s"): "
                + "\(text(lowest.value, input)) (\(lowest.day.short)) → \(text(current.value, input)) (\(current.day.short)); "
                + "\(severity.rawValue) above +\(limitText(limit, personal: personal, input)) in \(Int(days)) day\(Int(days) == 1 ? "" : "s")"
            if !confirmedBy.isEmpty {
                explanation +=
                    "; also on "
                    + confirmedBy.reversed().map { "\($0.day.short) (+\(text($0.gain, input)))" }.joined(
                        separator: ", ")
            }
            return Finding(
                severity: severity, explanation: explanation,
                readingIDs: lowest.readingIDs + current.readingIDs + confirmedBy.flatMap(\.readingIDs),
                evidenceAt: current.measuredAt)
        }
        return nil
    }

    private func baseline(_ input: RuleInput) -> Finding? {
        guard let days = input.number("days")?.value else { return nil }
        let minimum = Int(input.number("minimumDays")?.value ?? 5)
        let daily = input.history.dailyValues(
            input.rule.measurement, through: input.day, choosing: input.rule.dailyValue)
        guard let current = daily.last, current.day == input.day else { return nil }
        let window = daily.reversed().prefix { $0.day >= input.day.adding(days: -Int(days)) }.filter {
            $0.day < input.day
        }
        guard window.count >= minimum else { return nil }
        let values = window.map(\.value)
        let median = Statistics.median(values)
        let deviation = current.value - median
        var reasons: [String] = []
        if let (limit, personal) = input.number("yellowAbove"), abs(deviation) > limit {
            reasons.append("limit ±\(limitText(limit, personal: personal, input))")
        }
        if let (sigmas, _) = input.number("sigmas") {
            let spread = Statistics.robustStandardDeviation(values)
            if spread > 0, abs(deviation) > sigmas * spread {
                reasons.append(
                    "\(Quantity.format(abs(deviation) / spread, decimals: 1)) robust SD, limit \(Quantity.format(sigmas, decimals: 1))"
                )
            }
        }
        guard !reasons.isEmpty else { return nil }
        let direction = deviation > 0 ? "above" : "below"
        let explanation =
            "\(input.rule.measurement.displayName) \(text(current.value, input)) on \(current.day.short) is \(text(abs(deviation), input)) \(direction) "
            + "the patient's \(Int(days))-day median \(text(median, input)) (\(window.count) days; \(reasons.joined(separator: "; ")))"
        return Finding(
            severity: input.rule.severity, explanation: explanation, readingIDs: current.readingIDs,
            evidenceAt: current.measuredAt)
    }

    private func trend(_ input: RuleInput) -> Finding? {
        guard let fast = input.number("fast")?.value, let slow = input.number("slow")?.value,
            let (limit, personal) = input.number("yellowAbove")
        else { return nil }
        let daily = input.history.dailyValues(
            input.rule.measurement, through: input.day, choosing: input.rule.dailyValue)
        guard let current = daily.last, current.day == input.day else { return nil }
        let minimum = Int(input.number("minimumDays")?.value ?? slow)
        // Only the slow average's horizon matters: older days have decayed away.
        let recent = Array(daily.reversed().prefix { $0.day >= input.day.adding(days: -Int(slow * 3)) }.reversed())
        guard recent.count >= minimum else { return nil }
        var emaFast = recent[0].value
        var emaSlow = recent[0].value
        let alphaFast = 2 / (fast + 1)
        let alphaSlow = 2 / (slow + 1)
        for reading in recent.dropFirst() {
            emaFast += alphaFast * (reading.value - emaFast)
            emaSlow += alphaSlow * (reading.value - emaSlow)
        }
        let macd = emaFast - emaSlow
        guard macd > limit else { return nil }
        let explanation =
            "\(input.rule.measurement.displayName) trend on \(current.day.short): the \(Int(fast))-day average \(text(emaFast, input)) is "
            + "\(text(macd, input)) above the \(Int(slow))-day average \(text(emaSlow, input)) (MACD); yellow above \(limitText(limit, personal: personal, input))"
        return Finding(
            severity: input.rule.severity, explanation: explanation, readingIDs: current.readingIDs,
            evidenceAt: current.measuredAt)
    }

    private func persistence(_ input: RuleInput) -> Finding? {
        guard let count = input.number("count")?.value, let of = input.number("of")?.value else { return nil }
        let below = input.number("below")
        let above = input.number("above")
        let last = Array(input.history.readings(input.rule.measurement, through: input.day).suffix(Int(of)))
        guard last.count >= Int(count) else { return nil }
        let outside = last.filter { reading in
            (below.map { reading.value < $0.value } ?? false) || (above.map { reading.value > $0.value } ?? false)
        }
        guard outside.count >= Int(count), let newest = last.last else { return nil }
        var bounds: [String] = []
        if let below { bounds.append("below \(limitText(below.value, personal: below.personal, input))") }
        if let above { bounds.append("above \(limitText(above.value, personal: above.personal, input))") }
        let values = outside.map { Quantity.format($0.value, decimals: input.rule.measurement == .weight ? 1 : 0) }
            .joined(separator: ", ")
        let explanation =
            "\(input.rule.measurement.displayName) \(bounds.joined(separator: " or ")) in \(outside.count) of the last \(last.count) readings: "
            + "\(values) \(unit(input).rawValue)"
        return Finding(
            severity: input.rule.severity, explanation: explanation, readingIDs: outside.map(\.id),
            evidenceAt: newest.measuredAt)
    }

    /// One signal of a personal rule: its reading kind, which way is worse, and how it is named.
    private struct Signal {
        var kind: ReadingKind
        /// +1: higher is worse (weight, pulse); −1: lower is worse (systolic pressure).
        var worse: Double
        var floorParameter: String
        var defaultFloor: Double
        var name: String
    }

    private static let personalSignals = [
        Signal(kind: .weight, worse: 1, floorParameter: "weightFloor", defaultFloor: 0.4, name: "weight"),
        Signal(kind: .pulse, worse: 1, floorParameter: "pulseFloor", defaultFloor: 3, name: "morning pulse"),
        Signal(kind: .systolic, worse: -1, floorParameter: "systolicFloor", defaultFloor: 5, name: "systolic BP"),
    ]

    /// A personal rule's score on one day: the signals' deviations from the patient's usual,
    /// each in units of the patient's usual variation, summed.
    ///
    /// Its parts keep numbers; their words are made only for a flag (`text`): most days score
    /// below the mark, for every patient in every batch.
    private struct PersonalScore {
        var total = 0.0
        var parts: [Part] = []
        var readingIDs: [Int64] = []
        var offsets: [(signal: Signal, offset: Double)] = []
        /// Days accumulated in a CUSUM score; `nil`: the score is the recent mean's.
        var accumulatedDays: Int?

        /// One signal worse than usual.
        struct Part {
            var signal: Signal
            var score: Double
            /// The recent days' mean, and over how many days.
            var level: Double
            var days: Int
            /// The patient's usual value (the median of the usual days).
            var baseline: Double

            var text: String {
                let unit = signal.kind.canonicalUnit
                let change = level - baseline
                let decimals = signal.kind == .weight ? 1 : 0
                let signed = (change >= 0 ? "+" : "−") + Quantity.format(abs(change), decimals: decimals)
                return
                    "\(signal.name) \(signed) \(unit.rawValue): \(Quantity(level, unit)) over \(days) day\(days == 1 ? "" : "s") against a usual \(Quantity(baseline, unit)), \(Quantity.format(score, decimals: 1))× this patient's usual variation"
            }
        }

        /// "weight −0.8, morning pulse −1.2": the signals better than usual that offset the rest.
        var offsetText: String {
            offsets.map { "\($0.signal.name) −\(Quantity.format(-$0.offset, decimals: 1))" }.joined(separator: ", ")
        }
    }

    private func personal(_ input: RuleInput) -> Finding? {
        guard let (yellow, _) = input.number("yellowScore"), let score = personalScore(input) else { return nil }
        guard score.total >= yellow, let newest = input.today.last else { return nil }
        // One severity, the rule's: a score computed before a late day arrived can be higher
        // than the score with it, and a flag's severity is never lowered, so a score-dependent
        // red would depend on the order readings arrive in. Red stays with the absolute limits.
        let severity = input.rule.severity
        let explanation =
            score.parts.sorted { $0.score > $1.score }.map(\.text).joined(separator: "; ")
            + (score.offsets.isEmpty ? "" : "; better than usual: \(score.offsetText)")
            + (score.accumulatedDays.map { "; accumulated over \($0) day\($0 == 1 ? "" : "s")" } ?? "; together")
            + " \(Quantity.format(score.total, decimals: 1)), \(severity.rawValue) from \(Quantity.format(yellow, decimals: 1))"
        return Finding(
            severity: severity, explanation: explanation, readingIDs: Array(Set(score.readingIDs)).sorted(),
            evidenceAt: newest.measuredAt)
    }

    private func personalScore(_ input: RuleInput) -> PersonalScore? {
        guard let baselineDays = input.number("baselineDays")?.value,
            let recentDays = input.number("recentDays")?.value
        else { return nil }
        let minimum = Int(input.number("minimumDays")?.value ?? 7)
        let learnedFrom = LocalDay(input.context.baselineStart(at: input.at), in: input.context.timeZone)
        let recentFrom = input.day.adding(days: 1 - Int(recentDays))
        let baselineFrom = max(input.day.adding(days: -Int(baselineDays) - Int(recentDays) + 1), learnedFrom)
        var result = PersonalScore()
        let lowestOffset = min(input.number("offsetFloor")?.value ?? 0, 0)
        // With `cusumSlack`, the recent days accumulate (CUSUM): each day's summed score less
        // the slack, never below zero, so a small rise that lasts adds up where a 3-day mean
        // would not reach the mark.
        let slack = input.number("cusumSlack")?.value
        var byDay: [LocalDay: Double] = [:]
        for signal in Self.personalSignals {
            let daily = input.history.dailyValues(signal.kind, through: input.day, choosing: .morning)
            let window = daily.reversed().prefix { $0.day >= baselineFrom }
            let recent = window.filter { $0.day >= recentFrom }
            let usual = window.filter { $0.day < recentFrom }.map(\.value)
            guard !recent.isEmpty, usual.count >= minimum else { continue }
            let baseline = Statistics.median(usual)
            let floor = input.number(signal.floorParameter)?.value ?? signal.defaultFloor
            let spread = max(Statistics.robustStandardDeviation(usual), floor)
            let level = recent.map(\.value).reduce(0, +) / Double(recent.count)
            let score = signal.worse * (level - baseline) / spread
            if slack != nil {
                for value in recent {
                    let daily = signal.worse * (value.value - baseline) / spread
                    byDay[value.day, default: 0] += daily < 0 ? max(daily, lowestOffset) : daily
                }
            }
            // A signal better than usual offsets the others, down to `offsetFloor` (0: never).
            if score < 0 {
                let offset = max(score, lowestOffset)
                if offset < 0 {
                    result.total += offset
                    result.offsets.append((signal, offset))
                }
                continue
            }
            guard score > 0 else { continue }
            result.total += score
            result.readingIDs += recent.flatMap(\.readingIDs)
            result.parts.append(
                PersonalScore.Part(signal: signal, score: score, level: level, days: recent.count, baseline: baseline))
        }
        if let slack {
            var sum = 0.0
            for day in byDay.keys.sorted() { sum = max(0, sum + byDay[day]! - slack) }
            result.total = sum
            result.accumulatedDays = byDay.count
        }
        return result
    }
}
