import Foundation
import RuleMeasurement
import TelekitSimulation
import Testing
import ThresholdRules
import Vitals

/// The figures `rules-bench detection` reports, on flags and episodes laid out by hand.
@Suite struct AlertBurdenTests {
    static let day = 86_400.0
    /// Monday 5 January 2026, 00:00 UTC.
    static let start = Date(timeIntervalSince1970: 1_767_571_200)

    static func at(_ days: Double) -> Date { start.addingTimeInterval(days * day) }

    /// Two patients for 70 days (10 weeks); patient 0 has an episode from day 10 to day 30 (a
    /// weight ramp), patient 1 one from day 40 to day 50 (pulse and pressure only).
    static func burden(
        _ opened: [String: [AlertBurden.Opened]], byProblem: [String: [AlertBurden.Opened]] = [:]
    ) -> AlertBurden {
        AlertBurden(
            patients: 2, days: 73, habit: .daily,
            episodes: [
                (0, Episode(start: at(10), end: at(30), weightGain: 2)),
                (1, Episode(start: at(40), end: at(50), weightGain: 0)),
            ],
            opened: opened, openedByProblem: byProblem, clinical: ["a", "b"], clinicalProblems: ["fluid"],
            adherence: ["missing"])
    }

    @Test("an episode counts as caught only by a flag at least 3 days before its end; the lead is to the first flag")
    func caughtEarly() {
        let burden = Self.burden([
            "a": [.init(patient: 0, at: Self.at(20)), .init(patient: 0, at: Self.at(29))],  // 10 days ahead
            "b": [.init(patient: 1, at: Self.at(48))],  // 2 days ahead: too late
        ])
        let a = burden.row("a", rules: ["a"])
        #expect(a[1] == "50 %")  // one of the two episodes
        #expect(a[2] == "100 %")  // the weight ramp
        #expect(a[3] == "0 %")  // not the pulse-and-pressure one
        #expect(a[4] == "10.0")
        let b = burden.row("b", rules: ["b"])
        #expect(b[1] == "0 %")
        #expect(b[4] == "2.0", "a late flag still has a lead time")
        let both = burden.row("all", rules: ["a", "b"])
        #expect(both[1] == "50 %")
    }

    @Test("flags outside every episode and its 3 days after are the ones that lead to nothing, per patient-year")
    func otherFlags() {
        let burden = Self.burden([
            "a": [
                .init(patient: 0, at: Self.at(32)),  // 2 days after the episode: belongs to it
                .init(patient: 0, at: Self.at(60)),  // nothing going on
                .init(patient: 1, at: Self.at(20)),  // patient 0's episode is not patient 1's
            ]
        ])
        // 2 patients × 73 days = 0.4 patient-years; 2 other flags.
        #expect(burden.row("a", rules: ["a"])[5] == "5.00")
    }

    @Test("patients flagged per week: the share of patients with a flag opened that week, on average")
    func flaggedPerWeek() {
        let burden = Self.burden([
            "a": [.init(patient: 0, at: Self.at(1)), .init(patient: 0, at: Self.at(2))],  // one patient, week 1
            "b": [.init(patient: 1, at: Self.at(3)), .init(patient: 0, at: Self.at(8))],  // week 1 and week 2
        ])
        // Week 1: both patients; week 2: one. Over 10 weeks of 2 patients: 3 / 20.
        #expect(burden.row("all", rules: ["a", "b"])[6] == "15.0 %")
    }

    @Test(
        "the table has a row per clinical rule, one per shared problem, one for the flags the nurse sees, and the adherence rules apart"
    )
    func rows() {
        let rows = Self.burden([:]).rows.map(\.first)
        #expect(rows == ["a", "b", "problem: fluid", "all clinical flags", "missing"])
    }

    @Test("the rule set's row counts one flag per problem, however many rules saw it")
    func onePerProblem() {
        let seenTwice: [AlertBurden.Opened] = [.init(patient: 0, at: Self.at(60))]
        let burden = Self.burden(["a": seenTwice, "b": seenTwice], byProblem: ["fluid": seenTwice])
        #expect(burden.row("a and b counted apart", rules: ["a", "b"])[5] == "5.00")
        let all = burden.rows.first { $0[0] == "all clinical flags" }
        #expect(all?[5] == "2.50")
    }

    @Test("in the closed loop, requests to measure again bring mornings the patients would not have measured")
    func closedLoop() throws {
        var simulator = CohortSimulator(seed: 3, patients: 25, days: 120, start: Self.start)
        simulator.habit = .oneToThreeTimesAWeek
        let personal = Rule(
            id: "personal-deviation", kind: .personal, measurement: .weight,
            parameters: ["baselineDays": 28, "recentDays": 3, "minimumDays": 7, "yellowScore": 3.6])
        var asking = personal
        asking.parameters["askScore"] = 1.5
        let plain = AlertBurden.measure(
            ruleSet: RuleSet(id: "plain", version: 1, rules: [personal]), simulator: simulator)
        let asked = AlertBurden.measure(
            ruleSet: RuleSet(id: "asking", version: 1, rules: [asking]), simulator: simulator)
        #expect(plain.requests == 0 && plain.requestLine == nil)
        #expect(asked.requests > 0 && asked.answeredRequests > 0 && asked.answeredRequests < asked.requests)
        #expect(asked.requestLine?.hasPrefix("Requests to measure again the next morning: ") == true)
        simulator.requestAnswerRate = 0
        let ignored = AlertBurden.measure(
            ruleSet: RuleSet(id: "asking", version: 1, rules: [asking]), simulator: simulator)
        #expect(ignored.requests > 0 && ignored.answeredRequests == 0, "nobody answers")
        #expect(ignored.opened == plain.opened, "unanswered requests change no flag")
    }
}
