import Foundation
import Testing
import ThresholdRules
import Vitals

/// Rules that see the same thing share one flag: a weight gain seen by the 3-day rule, the
/// personal rule and the dry-weight rule is one flag that names the strongest evidence.
@Suite struct OneFlagPerProblemTests {
    static let order = ["personal-deviation": 0, "weight-gain-3d": 1, "weight-above-dry-weight": 2]

    func raise(_ rule: String, _ severity: Severity, at time: String, text: String, ids: [Int64] = [1])
        -> FlagDecision
    {
        FlagDecision(
            action: .raise, ruleID: rule, problem: "fluid", ruleSetVersion: 1, measurement: .weight,
            severity: severity, explanation: text, readingIDs: ids, evidenceAt: local(time))
    }

    func recheck(_ rule: String, from time: String) -> FlagDecision {
        FlagDecision(
            action: .recheck, ruleID: rule, problem: "fluid", ruleSetVersion: 1, measurement: .weight,
            severity: .yellow, explanation: "evaluated again", readingIDs: [], evidenceAt: local(time))
    }

    @Test("three rules seeing one weight gain open one flag; it names the red evidence and lists the others")
    func oneFlag() {
        var book = FlagBook(ruleOrder: Self.order)
        #expect(book.apply(raise("personal-deviation", .yellow, at: "2026-11-18 07:00", text: "personal")) == .opened)
        #expect(
            book.apply(raise("weight-above-dry-weight", .yellow, at: "2026-11-19 07:00", text: "dry", ids: [2]))
                == .updated)
        #expect(
            book.apply(raise("weight-gain-3d", .red, at: "2026-11-19 07:00", text: "+2.3 kg in 3 days", ids: [2]))
                == .raisedSeverity)
        #expect(book.open.count == 1)
        let flag = book.open["fluid"]
        #expect(flag?.severity == .red)
        #expect(flag?.ruleID == "weight-gain-3d")
        #expect(flag?.explanation == "+2.3 kg in 3 days")
        #expect(flag?.rules == ["weight-gain-3d", "weight-above-dry-weight", "personal-deviation"])
        #expect(flag?.readingIDs == [1, 2])
    }

    @Test(
        "on equal severity the newest evidence is named, and on the same reading the rule listed first",
        arguments: [
            // (decisions in arrival order, the rule the flag names)
            (
                [("weight-gain-3d", "2026-11-19 07:00"), ("personal-deviation", "2026-11-20 07:00")],
                "personal-deviation"
            ),
            (
                [("personal-deviation", "2026-11-20 07:00"), ("weight-gain-3d", "2026-11-19 07:00")],
                "personal-deviation"
            ),
            (
                [("weight-above-dry-weight", "2026-11-20 07:00"), ("personal-deviation", "2026-11-20 07:00")],
                "personal-deviation"
            ),
            (
                [("personal-deviation", "2026-11-20 07:00"), ("weight-above-dry-weight", "2026-11-20 07:00")],
                "personal-deviation"
            ),
        ])
    func naming(decisions: [(String, String)], named: String) {
        var book = FlagBook(ruleOrder: Self.order)
        for (rule, time) in decisions { book.apply(raise(rule, .yellow, at: time, text: rule)) }
        #expect(book.open["fluid"]?.ruleID == named)
        #expect(book.open["fluid"]?.explanation == named)
    }

    @Test("after a late reading, a red found on incomplete data goes back to the evidence that still stands")
    func recheckLowers() {
        var book = FlagBook(ruleOrder: Self.order)
        book.apply(raise("personal-deviation", .yellow, at: "2026-11-18 07:00", text: "personal"))
        book.apply(raise("weight-gain-3d", .red, at: "2026-11-20 07:00", text: "3-day"))
        // A weighing of 19 Nov arrives late; evaluated again from then, the 3-day rule no longer fires.
        book.apply(recheck("personal-deviation", from: "2026-11-19 00:00"))
        book.apply(recheck("weight-gain-3d", from: "2026-11-19 00:00"))
        #expect(book.settle() == 0)
        #expect(book.open["fluid"]?.severity == .yellow)
        #expect(book.open["fluid"]?.ruleID == "personal-deviation")
        #expect(book.open["fluid"]?.changed == true)
    }

    @Test("closing the flag closes the problem: older evidence of any of its rules does not reopen it")
    func closing() {
        var book = FlagBook(ruleOrder: Self.order)
        book.apply(raise("weight-gain-3d", .red, at: "2026-11-20 07:00", text: "3-day"))
        book.close(problem: "fluid")
        #expect(book.apply(raise("personal-deviation", .yellow, at: "2026-11-20 07:00", text: "p")) == .unchanged)
        #expect(book.apply(raise("personal-deviation", .yellow, at: "2026-11-21 07:00", text: "p")) == .opened)
    }

    @Test("rules of different problems keep flags of their own")
    func apart() {
        var book = FlagBook(ruleOrder: Self.order)
        book.apply(raise("weight-gain-3d", .red, at: "2026-11-20 07:00", text: "3-day"))
        book.apply(
            FlagDecision(
                action: .raise, ruleID: "pulse-range", ruleSetVersion: 1, measurement: .pulse, severity: .red,
                explanation: "pulse 118", readingIDs: [5], evidenceAt: local("2026-11-20 07:10")))
        #expect(Set(book.open.keys) == ["fluid", "pulse-range"])
    }

    @Test("the evaluator tags each decision with its rule's problem")
    func evaluatorProblems() {
        var gain = DefaultRules.gain3d
        gain.problem = "fluid"
        var dry = DefaultRules.dryWeight
        dry.problem = "fluid"
        let evaluator = RuleEvaluator(ruleSet: DefaultRules.set(gain, dry, DefaultRules.pulse))
        let readings = [
            Observation(id: 1, kind: .weight, value: 80.0, measuredAt: local("2026-11-17 07:00")),
            Observation(id: 2, kind: .weight, value: 83.5, measuredAt: local("2026-11-20 07:00")),
            Observation(id: 3, kind: .pulse, value: 120, measuredAt: local("2026-11-20 07:05")),
        ]
        let context = PatientContext(
            timeZone: copenhagen, monitoringStart: local("2026-11-01 00:00"),
            settings: [PersonalSetting(.dryWeight(80), validFrom: local("2026-11-01 00:00"))])
        let decisions = evaluator.evaluate(
            readings, context: context, days: [LocalDay(local("2026-11-20 07:00"), in: copenhagen)]
        ).filter { $0.action == .raise }
        #expect(Set(decisions.map(\.ruleID)) == [gain.id, dry.id, DefaultRules.pulse.id])
        var book = FlagBook()
        for decision in decisions { book.apply(decision) }
        #expect(Set(book.open.keys) == ["fluid", DefaultRules.pulse.id])
        #expect(book.open["fluid"]?.severity == .red)
        #expect(Set(book.open["fluid"]?.rules ?? []) == [gain.id, dry.id])
    }
}
