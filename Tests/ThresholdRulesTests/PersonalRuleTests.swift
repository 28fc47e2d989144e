import Foundation
import Testing
import ThresholdRules
import Vitals

/// The personal multi-signal rule: each patient's own baseline and day-to-day variation for
/// morning weight, morning pulse and systolic pressure, scored and added up.
@Suite struct PersonalRuleTests {
    static let evaluator = RuleEvaluator(ruleSet: DefaultRules.set(DefaultRules.personal))

    /// `days` mornings from 1 November 2026: weight, pulse and systolic pressure per day, the
    /// first `steady` days alternating a little around 80 kg, 64 /min and 120 mmHg.
    static func mornings(
        steady: Int, then changes: [(weight: Double, pulse: Double, systolic: Double)], noise: Double = 0.1
    )
        -> [Observation]
    {
        var readings: [Observation] = []
        let first = local("2026-11-01 07:00")
        func add(_ kind: ReadingKind, _ value: Double, _ day: Int) {
            readings.append(
                Observation(
                    id: Int64(readings.count + 1), kind: kind, value: value,
                    measuredAt: first.addingTimeInterval(Double(day) * 86_400 + (kind == .weight ? 0 : 600))))
        }
        for day in 0..<steady {
            let wobble = day % 2 == 0 ? noise : -noise
            add(.weight, 80 + wobble, day)
            add(.pulse, 64 + wobble * 10, day)
            add(.systolic, 120 - wobble * 10, day)
        }
        for (offset, change) in changes.enumerated() {
            add(.weight, 80 + change.weight, steady + offset)
            add(.pulse, 64 + change.pulse, steady + offset)
            add(.systolic, 120 + change.systolic, steady + offset)
        }
        return readings
    }

    static func lastRaise(_ readings: [Observation], context: PatientContext = plainContext) -> FlagDecision? {
        let last = readings.filter { $0.kind == .weight }.map(\.measuredAt).max()!
        return evaluator.raises(readings, context: context).last { $0.evidenceAt == last }
    }

    @Test(
        "a rise in one signal alone stays quiet; together they are worth a call",
        arguments: [
            ((0.8, 0.0, 0.0), nil),  // weight +0.8 kg: 2.0× the usual variation (floor 0.4 kg)
            ((0.0, 5.0, 0.0), nil),  // pulse +5 /min: 1.7×
            ((0.8, 5.0, 0.0), Severity.yellow),  // together 3.7
            ((0.8, 0.0, -8.0), Severity.yellow),  // weight up and pressure down: 2.0 + 1.6
            ((2.0, 10.0, -10.0), Severity.yellow),  // 5.0 + 3.3 + 2.0: one severity, red is for the absolute limits
            ((-1.0, -6.0, 8.0), nil),  // better in every way is not a flag
        ] as [((Double, Double, Double), Severity?)])
    func combined(change: (Double, Double, Double), expected: Severity?) {
        let readings = Self.mornings(steady: 20, then: Array(repeating: change, count: 3))
        #expect(Self.lastRaise(readings)?.severity == expected)
    }

    static let offsetting = RuleEvaluator(
        ruleSet: DefaultRules.set(
            Rule(
                id: "personal-deviation", kind: .personal, measurement: .weight,
                parameters: [
                    "baselineDays": 28, "recentDays": 3, "minimumDays": 7, "yellowScore": 3, "offsetFloor": -1,
                ])))

    @Test(
        "with an offset floor, a signal better than usual takes off at most that much from the others",
        arguments: [
            ((0.8, 5.0, 0.0), Severity.yellow),  // 2.0 + 1.7: nothing better than usual, as without it
            ((0.8, 5.0, 4.0), nil),  // pressure 0.8× better: 3.7 − 0.8 = 2.9
            ((1.2, 5.0, 20.0), Severity.yellow),  // pressure 4× better counts −1 only: 3.0 + 1.7 − 1
            ((1.2, -20.0, 20.0), nil),  // two signals better, −1 each: 3.0 − 2
        ] as [((Double, Double, Double), Severity?)])
    func offsets(change: (Double, Double, Double), expected: Severity?) {
        let readings = Self.mornings(steady: 20, then: Array(repeating: change, count: 3))
        let last = readings.filter { $0.kind == .weight }.map(\.measuredAt).max()!
        let raise = Self.offsetting.raises(readings, context: plainContext).last { $0.evidenceAt == last }
        #expect(raise?.severity == expected)
    }

    @Test("the explanation says which signals were better than usual and what they took off")
    func offsetExplanation() throws {
        let readings = Self.mornings(steady: 20, then: Array(repeating: (1.2, 10.0, 20.0), count: 3))
        let last = readings.filter { $0.kind == .weight }.map(\.measuredAt).max()!
        let raise = try #require(
            Self.offsetting.raises(readings, context: plainContext).last { $0.evidenceAt == last })
        #expect(raise.explanation.hasSuffix("; better than usual: systolic BP −1.0; together 5.3, yellow from 3.0"))
    }

    @Test("the explanation gives each signal in numbers a nurse can repeat, strongest first")
    func explanation() throws {
        let readings = Self.mornings(steady: 20, then: Array(repeating: (1.2, 10.0, 0.0), count: 3))
        let raise = try #require(Self.lastRaise(readings))
        #expect(
            raise.explanation
                == "morning pulse +10 bpm: 74 bpm over 3 days against a usual 64 bpm, 3.3× this patient's usual variation; "
                + "weight +1.2 kg: 81.2 kg over 3 days against a usual 80.0 kg, 3.0× this patient's usual variation; "
                + "together 6.3, yellow from 3.0")
        #expect(raise.readingIDs.count == 6, "the recent weights and pulses behind it")
    }

    @Test("no baseline yet in the first week: nothing fires, however far the numbers move")
    func learning() {
        let readings = Self.mornings(steady: 5, then: Array(repeating: (2.5, 15.0, -15.0), count: 3))
        #expect(Self.evaluator.raises(readings, context: plainContext).isEmpty)
    }

    @Test("a noisy patient's ordinary swings do not flag; the same rise in a quiet patient does")
    func noisyAndQuiet() {
        let rise = Array(repeating: (1.0, 6.0, 0.0), count: 3)
        #expect(Self.lastRaise(Self.mornings(steady: 20, then: rise, noise: 1.2)) == nil)
        #expect(Self.lastRaise(Self.mornings(steady: 20, then: rise, noise: 0.1))?.severity == .yellow)
    }

    @Test("a new dry weight starts the baseline again: the new normal is learnt, not flagged")
    func resetByDryWeight() {
        // 20 days at 80 kg, then the cardiologist finds the patient's normal is now 83 kg.
        let later = Array(repeating: (3.0, 0.0, 0.0), count: 16)
        let readings = Self.mornings(steady: 20, then: later)
        #expect(!Self.evaluator.raises(readings, context: plainContext).isEmpty, "without the reset it flags")
        let reset = PatientContext(
            timeZone: copenhagen, monitoringStart: plainContext.monitoringStart,
            settings: [PersonalSetting(.dryWeight(83), validFrom: local("2026-11-21 06:00"))])
        #expect(Self.evaluator.raises(readings, context: reset).isEmpty)
    }

    @Test("its numbers are checked when the rule file is read")
    func validation() {
        let rule = Rule(
            id: "p", kind: .personal, measurement: .pulse,
            parameters: ["baselineDays": 3, "recentDays": 3, "yellowScore": 3, "redScore": 5])
        let fields = rule.problems().map(\.field)
        #expect(fields == ["parameters.redScore", "parameters.recentDays", "measurement"])
        var offset = DefaultRules.personal
        offset.parameters["offsetFloor"] = 1
        #expect(offset.problems().map(\.field) == ["parameters.offsetFloor"])
    }

    static let asking = RuleEvaluator(ruleSet: DefaultRules.set(DefaultRules.personal(with: ["askScore": 2])))

    @Test(
        "a score past askScore but short of yellowScore asks for a measurement the next morning, and nothing else",
        arguments: [
            ((0.0, 0.0, 0.0), false),  // as usual
            ((0.0, 5.0, 0.0), false),  // pulse +5: 1.7×, below 2
            ((0.4, 5.0, 0.0), true),  // 1.0 + 1.7 = 2.7: a beginning, or a bad morning
            ((0.8, 5.0, 0.0), false),  // 3.7: a flag, not a request
        ] as [((Double, Double, Double), Bool)])
    func confirmation(change: (Double, Double, Double), asked: Bool) throws {
        let readings = Self.mornings(steady: 20, then: Array(repeating: change, count: 3))
        let day = LocalDay(readings.map(\.measuredAt).max()!, in: copenhagen)
        let due = Self.asking.confirmationsDue(readings, context: plainContext, day: day)
        #expect(due.isEmpty == !asked)
        if asked {
            let request = try #require(due.first)
            #expect(request.due == day.adding(days: 1) && request.ruleID == "personal-deviation")
            #expect(request.plan == "again tomorrow morning: score 2.7, asked from 2.0")
            #expect(Self.asking.raises(readings, context: plainContext).isEmpty, "a request is not a flag")
        }
        // Without askScore the rule never asks; on a day without readings nothing is asked either.
        #expect(Self.evaluator.confirmationsDue(readings, context: plainContext, day: day).isEmpty)
        #expect(Self.asking.confirmationsDue(readings, context: plainContext, day: day.adding(days: 1)).isEmpty)
    }

    @Test("askScore must lie between 0 and yellowScore")
    func askScoreChecked() {
        var rule = DefaultRules.personal
        rule.parameters["askScore"] = rule.parameters["yellowScore"]
        #expect(rule.problems().map(\.field) == ["parameters.askScore"])
        rule.parameters["askScore"] = 1.5
        #expect(rule.problems().isEmpty)
    }

    static let accumulating = RuleEvaluator(
        ruleSet: DefaultRules.set(
            DefaultRules.personal(with: ["recentDays": 14, "yellowScore": 5, "cusumSlack": 1])))

    @Test("with cusumSlack a small rise that lasts adds up to a flag; one bad morning does not")
    func accumulation() throws {
        // Weight +0.3 kg and pulse +2 /min a day: 0.75 + 0.67 = 1.4 usual variations, 0.4 above the slack.
        let lasting = Self.mornings(steady: 30, then: Array(repeating: (0.3, 2.0, 0.0), count: 14))
        let raises = Self.accumulating.raises(lasting, context: plainContext)
        let first = try #require(raises.first)
        let rampStart = local("2026-12-01 07:00")
        #expect(first.evidenceAt >= rampStart.addingTimeInterval(10 * 86_400), "not before the rise has lasted")
        #expect(first.explanation.contains("; accumulated over "), "\(first.explanation)")
        #expect(first.explanation.hasSuffix(", yellow from 5.0"))
        // The same rise judged by its 3-day mean never reaches that rule's 3.
        #expect(Self.lastRaise(lasting) == nil)

        // One morning 1.2 kg and 8 /min up (3.0 + 2.7 = 5.7, 4.7 after the slack), then as usual.
        let spike = Self.mornings(
            steady: 30, then: [(1.2, 8.0, 0.0)] + Array(repeating: (0.0, 0.0, 0.0), count: 5))
        #expect(Self.accumulating.raises(spike, context: plainContext).isEmpty)
    }
}
