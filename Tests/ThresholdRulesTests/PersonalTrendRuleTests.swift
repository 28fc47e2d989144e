import Foundation
import Testing
import ThresholdRules
import Vitals

@Suite struct BaselineAndTrendRuleTests {
    static let steady = [80.0, 80.2, 79.9, 80.1, 80.0, 79.8, 80.2, 80.1, 80.0, 79.9]

    @Test(
        "deviation from the patient's own 14-day median",
        arguments: [
            (steady + [82.3], true),  // +2.3 above the median 80.0
            (steady + [81.9], false),
            (steady + [77.7], true),  // a loss counts too: over-diuresis
            (Array(steady.prefix(4)) + [83.0], false),  // 4 days: no baseline yet
        ])
    func baseline(weights: [Double], fires: Bool) {
        var readings = Readings()
        readings.weights(weights, from: "2026-11-01")
        let raises = RuleEvaluator(ruleSet: DefaultRules.set(DefaultRules.baseline)).raises(
            readings.all, context: plainContext)
        #expect((raises.last?.evidenceAt == readings.all.last?.measuredAt) == fires)
    }

    @Test("robust standard deviations can replace the fixed limit")
    func sigmas() throws {
        let rule = Rule(
            id: "weight-baseline", kind: .baseline, measurement: .weight, parameters: ["days": 14, "sigmas": 4])
        var readings = Readings()
        readings.weights(Self.steady + [81.5], from: "2026-11-01")
        let raise = try #require(
            RuleEvaluator(ruleSet: DefaultRules.set(rule)).raises(readings.all, context: plainContext).last)
        #expect(raise.explanation.contains("1.5 kg above the patient's 14-day median 80.0 kg"))
        #expect(raise.explanation.contains("robust SD"))
    }

    @Test(
        "MACD on daily weight catches a slow rise that no rule of thumb sees",
        arguments: [
            (steady + [80.3, 80.6, 80.9, 81.2, 81.5, 81.8], true),
            (steady + [80.1, 80.0, 80.2, 80.1, 79.9, 80.0], false),
            ([80.0, 80.3, 80.6, 80.9, 81.2], false),  // fewer than 7 days: no trend yet
        ])
    func macd(weights: [Double], fires: Bool) {
        var readings = Readings()
        readings.weights(weights, from: "2026-11-01")
        let evaluator = RuleEvaluator(
            ruleSet: DefaultRules.set(DefaultRules.macd, DefaultRules.gain3d, DefaultRules.gain1d))
        let raises = evaluator.raises(readings.all, context: plainContext)
        #expect(raises.contains { $0.ruleID == "weight-trend-macd" } == fires)
        if fires { #expect(!raises.contains { $0.ruleID.hasPrefix("weight-gain") }) }
    }

    @Test(
        "n of the last m readings quiets one-off lows",
        arguments: [
            ([85.0, 120, 85, 120, 85], true),
            ([85.0, 120, 120, 120, 85], false),
            ([85.0, 85], false),
        ])
    func persistence(values: [Double], fires: Bool) {
        var readings = Readings()
        for (offset, value) in values.enumerated() { readings.add(.systolic, value, "2026-11-\(10 + offset) 07:20") }
        let raises = RuleEvaluator(ruleSet: DefaultRules.set(DefaultRules.lowSystolic)).raises(
            readings.all, context: plainContext)
        #expect((raises.last?.evidenceAt == readings.all.last?.measuredAt) == fires)
        if fires {
            #expect(
                raises.last?.explanation == "systolic BP below 90 mmHg in 3 of the last 5 readings: 85, 85, 85 mmHg")
        }
    }
}

@Suite struct MissingDataRuleTests {
    @Test(
        "no weight for longer than the plan allows, judged on the clock",
        arguments: [
            ("2026-11-01", "2026-11-12", "2026-11-20 09:00", true),  // later phase: 8 days > 7
            ("2026-11-01", "2026-11-14", "2026-11-20 09:00", false),  // 6 days
            ("2026-11-15", "2026-11-17", "2026-11-20 09:00", true),  // daily phase: 3 days > 2
            ("2026-11-15", "2026-11-18", "2026-11-20 09:00", false),
            ("2026-11-15", nil, "2026-11-20 09:00", true),  // never measured since the start
        ] as [(String, String?, String, Bool)])
    func missing(start: String, lastWeight: String?, now: String, fires: Bool) {
        var readings = Readings()
        if let lastWeight { readings.add(.weight, 80, lastWeight + " 07:00") }
        let context = PatientContext(timeZone: copenhagen, monitoringStart: local(start + " 00:00"))
        let decisions = RuleEvaluator(ruleSet: DefaultRules.set(DefaultRules.missingWeight))
            .evaluateMissing(readings.all, context: context, now: local(now))
        #expect(decisions.contains { $0.action == .raise } == fires)
    }
}

@Suite struct FlagLifecycleTests {
    func decision(
        _ action: FlagDecision.Action, _ severity: Severity, at time: String, ids: [Int64] = [1], text: String = "x"
    )
        -> FlagDecision
    {
        FlagDecision(
            action: action, ruleID: "weight-gain-3d", ruleSetVersion: 1, measurement: .weight, severity: severity,
            explanation: text,
            readingIDs: ids, evidenceAt: local(time))
    }

    @Test("one open flag per rule: new evidence updates it and raises, never lowers, the severity")
    func updates() {
        var book = FlagBook()
        #expect(book.apply(decision(.raise, .yellow, at: "2026-11-20 07:00")) == .opened)
        #expect(book.apply(decision(.raise, .red, at: "2026-11-21 07:00", ids: [2], text: "worse")) == .raisedSeverity)
        #expect(book.apply(decision(.raise, .yellow, at: "2026-11-22 07:00", ids: [3], text: "milder")) == .updated)
        #expect(book.apply(decision(.raise, .red, at: "2026-11-23 07:00", ids: [4], text: "newest red")) == .updated)
        let flag = book.open["weight-gain-3d"]
        #expect(book.open.count == 1)
        #expect(flag?.severity == .red)
        #expect(flag?.explanation == "newest red", "a red flag explains itself with red evidence, not the milder one")
        #expect(flag?.readingIDs == [1, 2, 3, 4])
    }

    @Test("back in range is noted, but the flag stays open until a person closes it")
    func backInRange() {
        var book = FlagBook()
        book.apply(decision(.raise, .red, at: "2026-11-20 07:00"))
        #expect(book.apply(decision(.backInRange, .red, at: "2026-11-21 07:00")) == .backInRange)
        #expect(book.open["weight-gain-3d"]?.backInRangeAt == local("2026-11-21 07:00"))
        // Worse again: the note goes.
        book.apply(decision(.raise, .red, at: "2026-11-22 07:00"))
        #expect(book.open["weight-gain-3d"]?.backInRangeAt == nil)
    }

    @Test("after a person closed it, older evidence does not reopen it and the next deviation opens a new one")
    func afterClosing() {
        var book = FlagBook()
        book.apply(decision(.raise, .red, at: "2026-11-20 07:00"))
        book.close(problem: "weight-gain-3d")
        #expect(book.apply(decision(.raise, .red, at: "2026-11-19 07:00")) == .unchanged)
        #expect(book.apply(decision(.raise, .yellow, at: "2026-11-24 07:00")) == .opened)
    }

    @Test("a flag raised on incomplete data is withdrawn when a late reading removes its support, unless escalated")
    func withdrawal() {
        var book = FlagBook()
        book.apply(decision(.raise, .yellow, at: "2026-11-20 07:00"))
        // A late reading for 18 Nov: the rule is evaluated again from then and fires nowhere.
        book.apply(decision(.recheck, .yellow, at: "2026-11-18 00:00"))
        #expect(book.settle() == 1)
        #expect(book.open.isEmpty)

        var supported = FlagBook()
        supported.apply(decision(.raise, .yellow, at: "2026-11-15 07:00"))
        supported.apply(decision(.raise, .yellow, at: "2026-11-20 07:00"))
        supported.apply(decision(.recheck, .yellow, at: "2026-11-18 00:00"))
        #expect(supported.settle() == 0, "the 15 Nov evidence still stands")
        #expect(supported.open["weight-gain-3d"]?.supports == [local("2026-11-15 07:00")])

        var escalated = FlagBook(open: [
            FlagBook.OpenFlag(
                id: 9, ruleID: "weight-gain-3d", ruleSetVersion: 1, measurement: .weight, severity: .red,
                explanation: "x",
                readingIDs: [1], evidenceAt: local("2026-11-20 07:00"), backInRangeAt: nil, escalated: true)
        ])
        escalated.apply(decision(.recheck, .red, at: "2026-11-18 00:00"))
        #expect(escalated.settle() == 0)
        #expect(escalated.withdrawn.isEmpty)
    }

    @Test(
        "a red flag is overdue after one working day, a yellow after five",
        arguments: [
            ("2026-11-20 10:00", "2026-11-23 09:00", Severity.red, false),  // Fri → Mon: 1 working day
            ("2026-11-20 10:00", "2026-11-24 09:00", .red, true),  // Fri → Tue: 2
            ("2026-11-16 10:00", "2026-11-20 16:00", .yellow, false),  // Mon → Fri: 4
            ("2026-11-16 10:00", "2026-11-24 09:00", .yellow, true),  // Mon → next Tue: 6
        ])
    func overdue(opened: String, now: String, severity: Severity, expected: Bool) {
        #expect(
            OverduePolicy().isOverdue(severity: severity, openedAt: local(opened), now: local(now), zone: copenhagen)
                == expected)
    }

    @Test("working days are counted by whole weeks as they would be one day at a time")
    func workingDaysByWeeks() {
        // 2026-11-16 is a Monday; spans from nothing to over a year, from every weekday.
        let monday = LocalDay(iso: "2026-11-16")!.number
        for first in monday..<(monday + 7) {
            for span in [-3, 0, 1, 2, 4, 5, 6, 7, 8, 13, 14, 15, 30, 61, 366, 400] {
                var counted = 0
                var day = first
                while day < first + span {
                    day += 1
                    // Monday is day 0 of the week that starts at `monday`.
                    if (day - monday) % 7 < 5 { counted += 1 }
                }
                #expect(
                    OverduePolicy.workingDays(after: LocalDay(number: first), through: LocalDay(number: first + span))
                        == counted, "from day \(first - monday) of the week, \(span) days")
            }
        }
    }
}
