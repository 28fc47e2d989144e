import Foundation
import Testing
import ThresholdRules
import Vitals

@Suite struct RangeRuleTests {
    @Test(
        "systolic limits, exactly at a limit included",
        arguments: [
            (90.0, nil), (89.9, Severity.yellow), (80, .yellow), (79.9, .red), (120, nil), (160, nil), (160.1, .yellow),
            (170, .yellow), (170.5, .red), (45, .red),
        ] as [(Double, Severity?)])
    func systolic(value: Double, expected: Severity?) {
        var readings = Readings()
        readings.add(.systolic, value, "2026-11-20 07:20")
        let raises = RuleEvaluator(ruleSet: DefaultRules.set(DefaultRules.systolic)).raises(
            readings.all, context: plainContext)
        #expect(raises.first?.severity == expected)
        #expect(raises.count == (expected == nil ? 0 : 1))
    }

    @Test("the explanation says the value, the day and the limit")
    func explanation() throws {
        var readings = Readings()
        readings.add(.pulse, 38, "2026-11-20 07:20")
        let raise = try #require(
            RuleEvaluator(ruleSet: DefaultRules.set(DefaultRules.pulse)).raises(readings.all, context: plainContext)
                .first)
        #expect(raise.explanation == "pulse 38 bpm on 20 Nov is below the red limit 40 bpm")
        #expect(raise.readingIDs == [1])
    }

    @Test(
        "weight against the personal dry weight; no dry weight, no flag",
        arguments: [(80.0, 78.0, nil), (80.1, 78.0, Severity.yellow), (81.5, 78.0, .red), (95.0, nil, nil)]
            as [(Double, Double?, Severity?)])
    func dryWeight(weight: Double, dry: Double?, expected: Severity?) {
        var readings = Readings()
        readings.add(.weight, weight, "2026-11-20 07:00")
        let settings = dry.map { [PersonalSetting(.dryWeight($0), validFrom: local("2026-11-01 00:00"))] } ?? []
        let context = PatientContext(
            timeZone: copenhagen, monitoringStart: local("2026-11-01 00:00"), settings: settings)
        let raises = RuleEvaluator(ruleSet: DefaultRules.set(DefaultRules.dryWeight)).raises(
            readings.all, context: context)
        #expect(raises.first?.severity == expected)
        if expected != nil { #expect(raises.first?.explanation.contains("dry weight 78.0 kg") == true) }
    }
}

@Suite struct ChangeRuleTests {
    let evaluator = RuleEvaluator(
        ruleSet: DefaultRules.set(DefaultRules.gain3d, DefaultRules.gain1d, DefaultRules.gain7d))

    @Test(
        "weight gain over 3 days, by morning weight",
        arguments: [
            ([80.0, 80.5, 81.2, 82.1], "red"),  // +2.1 kg in 3 days
            ([80.0, 80.6, 81.3, 82.0], nil),  // exactly +2.0: not above the limit
            ([80.0, 80.0, 80.0, 79.0], nil),  // a loss
            ([82.0, 80.0, 80.8, 81.6, 82.1], "red"),  // against the lowest in the window, not the first
        ] as [([Double], String?)])
    func threeDays(weights: [Double], expected: String?) {
        var readings = Readings()
        readings.weights(weights, from: "2026-11-17")
        let raises = evaluator.raises(readings.all, context: plainContext).filter { $0.ruleID == "weight-gain-3d" }
        #expect(raises.last?.severity.rawValue == expected)
    }

    @Test("the explanation names the gain, both weights and both days")
    func explanation() throws {
        var readings = Readings()
        readings.weights([80.1, 80.9, 81.6, 82.6], from: "2026-11-17")
        let raise = try #require(
            evaluator.raises(readings.all, context: plainContext).last { $0.ruleID == "weight-gain-3d" })
        #expect(
            raise.explanation
                == "weight +2.5 kg in 3 days: 80.1 kg (17 Nov) → 82.6 kg (20 Nov); red above +2.0 kg in 3 days")
        #expect(raise.readingIDs == [1, 4])
    }

    static let confirmed = Rule(
        id: "weight-gain-3d", kind: .change, measurement: .weight,
        parameters: ["days": 3, "redGain": 2.0, "confirmations": 2])

    @Test(
        "with two confirmations, one heavy morning is not enough: the next weighing must hold the gain too",
        arguments: [
            ([80.0, 80.1, 80.0, 82.3], nil),  // one heavy morning
            ([80.0, 80.1, 80.0, 82.3, 80.2], nil),  // and back the next day
            ([80.0, 80.1, 80.0, 82.3, 82.4], "red"),  // held: +2.3 then +2.4 against the lowest before each
            ([80.0, 80.1, 80.0, 81.0, 82.2, 82.6], "red"),  // a ramp: +2.2 on day 5 and +2.6 on day 6
            ([80.0, 80.1, 80.0, 81.0, 82.2], nil),  // the ramp's first day over: not yet
        ] as [([Double], String?)])
    func confirmations(weights: [Double], expected: String?) {
        var readings = Readings()
        readings.weights(weights, from: "2026-11-17")
        let raises = RuleEvaluator(ruleSet: DefaultRules.set(Self.confirmed)).raises(
            readings.all, context: plainContext)
        #expect(raises.last?.severity.rawValue == expected)
        if expected == nil { #expect(raises.isEmpty) }
    }

    @Test("a confirmed gain says which earlier weighing confirmed it")
    func confirmedExplanation() throws {
        var readings = Readings()
        readings.weights([80.0, 80.1, 80.0, 82.3, 82.4], from: "2026-11-17")
        let raise = try #require(
            RuleEvaluator(ruleSet: DefaultRules.set(Self.confirmed)).raises(readings.all, context: plainContext).last)
        #expect(
            raise.explanation
                == "weight +2.4 kg in 2 days: 80.0 kg (19 Nov) → 82.4 kg (21 Nov); red above +2.0 kg in 3 days; also on 20 Nov (+2.3 kg)"
        )
        #expect(raise.readingIDs == [3, 5, 4])
    }

    static let againstMedian = Rule(
        id: "weight-gain-3d", kind: .change, measurement: .weight,
        parameters: ["days": 3, "redGain": 2.0], reference: .median)

    @Test(
        "against the median of the days before, one light morning does not make the next days heavy",
        arguments: [
            ([80.0, 80.1, 80.0, 82.3], .lowest, "red"),  // +2.3 against the lowest (80.0)
            ([80.0, 80.1, 80.0, 82.3], .median, "red"),  // +2.3 against the median (80.0)
            ([81.0, 81.1, 78.8, 81.0, 81.1], .lowest, "red"),  // one light morning (78.8): +2.2, then +2.3
            ([81.0, 81.1, 78.8, 81.0, 81.1], .median, nil),  // against 81.0 it is 0.0, then +0.1
            ([80.0, 80.0, 80.5, 81.0, 82.6], .median, "red"),  // a ramp: +2.1 against the middle 80.5
            ([80.0, 80.0, 80.5, 81.0, 82.4], .median, nil),  // +1.9: the lowest would say +2.4
        ] as [([Double], ChangeReference, String?)])
    func reference(weights: [Double], reference: ChangeReference, expected: String?) {
        var rule = Self.againstMedian
        rule.reference = reference
        var readings = Readings()
        readings.weights(weights, from: "2026-11-17")
        let raises = RuleEvaluator(ruleSet: DefaultRules.set(rule)).raises(readings.all, context: plainContext)
        #expect(raises.last?.severity.rawValue == expected)
        if expected == nil { #expect(raises.isEmpty) }
    }

    @Test("a day with three weighings counts its morning weight")
    func threeWeighings() {
        var readings = Readings()
        readings.add(.weight, 80.0, "2026-11-17 07:00")
        readings.add(.weight, 80.2, "2026-11-18 07:00")
        readings.add(.weight, 80.4, "2026-11-19 07:05")
        readings.add(.weight, 82.9, "2026-11-19 13:00")  // after lunch, in clothes
        readings.add(.weight, 82.6, "2026-11-19 21:00")
        #expect(evaluator.raises(readings.all, context: plainContext).isEmpty)
    }

    @Test("after a missing week there is nothing to compare with, so no gain flag")
    func missingWeek() {
        var readings = Readings()
        readings.add(.weight, 80.0, "2026-11-01 07:00")
        readings.add(.weight, 83.0, "2026-11-09 07:00")
        #expect(evaluator.raises(readings.all, context: plainContext).isEmpty)
    }

    @Test("across the spring daylight-saving change, days are Copenhagen calendar days")
    func daylightSaving() throws {
        var readings = Readings()
        readings.add(.weight, 80.0, "2026-03-28 07:00")  // UTC+1
        readings.add(.weight, 80.5, "2026-03-29 07:00")  // UTC+2 from 02:00 this day
        readings.add(.weight, 82.3, "2026-03-30 07:00")
        let raise = try #require(
            evaluator.raises(readings.all, context: plainContext).last { $0.ruleID == "weight-gain-3d" })
        #expect(raise.explanation.contains("+2.3 kg in 2 days: 80.0 kg (28 Mar) → 82.3 kg (30 Mar)"))
    }

    @Test("a weighing at 23:59 local time belongs to that day, not the next (UTC would say the next)")
    func lateEvening() {
        var readings = Readings()
        readings.add(.weight, 80.0, "2026-07-13 07:00")
        readings.add(.weight, 82.5, "2026-07-14 23:59")  // 21:59 UTC
        readings.add(.weight, 80.1, "2026-07-15 07:00")
        let raises = RuleEvaluator(ruleSet: DefaultRules.set(DefaultRules.gain1d)).raises(
            readings.all, context: plainContext)
        // 14 Jul's only reading is 82.5 (+2.5 on the 13th): one yellow flag, dated 14 Jul.
        #expect(raises.count == 1)
        #expect(raises.first?.explanation.contains("(14 Jul)") == true)
    }

    @Test("a late reading evaluated in measured-time order gives no false gain from arrival order")
    func lateReading() {
        // Sat 81.0 arrives on Monday after Mon 81.2: Monday is +0.2 on Saturday, not on Friday's 80.
        var readings = Readings()
        readings.add(.weight, 80.9, "2026-11-13 07:00")  // Fri
        readings.add(.weight, 81.2, "2026-11-16 07:00")  // Mon, live
        readings.add(.weight, 81.0, "2026-11-14 07:00")  // Sat, late
        readings.add(.weight, 81.1, "2026-11-15 07:00")  // Sun, late
        #expect(evaluator.raises(readings.all, context: plainContext).isEmpty)
    }

    @Test("a personal limit from mid-history applies from that moment on, not before")
    func overrideMidHistory() {
        var readings = Readings()
        readings.weights([80.0, 81.0, 82.5], from: "2026-11-01")  // +2.5: fires under the default 2.0
        readings.weights([80.0, 81.0, 82.5], from: "2026-11-20")  // +2.5: quiet under the personal 3.0
        let context = PatientContext(
            timeZone: copenhagen, monitoringStart: local("2026-11-01 00:00"),
            settings: [
                PersonalSetting(
                    .limit(ruleID: "weight-gain-3d", parameter: "redGain", value: 3.0),
                    validFrom: local("2026-11-10 10:00"))
            ])
        let raises = RuleEvaluator(ruleSet: DefaultRules.set(DefaultRules.gain3d)).raises(
            readings.all, context: context)
        #expect(raises.count == 1)
        #expect(raises.first?.evidenceAt == local("2026-11-03 07:00"))
    }

    @Test("a suspended rule stays quiet until the suspension ends")
    func suspension() {
        var readings = Readings()
        readings.weights([80.0, 81.0, 82.5], from: "2026-11-01")
        readings.weights([80.0, 81.0, 82.5], from: "2026-11-20")
        let context = PatientContext(
            timeZone: copenhagen, monitoringStart: local("2026-11-01 00:00"),
            settings: [
                PersonalSetting(
                    .suspension(ruleID: "weight-gain-3d", until: local("2026-11-15 00:00"), reason: "fluid therapy"),
                    validFrom: local("2026-10-30 00:00"))
            ])
        let raises = RuleEvaluator(ruleSet: DefaultRules.set(DefaultRules.gain3d)).raises(
            readings.all, context: context)
        #expect(raises.map(\.evidenceAt) == [local("2026-11-22 07:00")])
    }
}
