import Foundation
import Testing
import ThresholdRules
import Vitals

/// Personal limits proposed from the patient's own readings; people decide.
@Suite struct LimitProposalTests {
    static let rules = DefaultRules.set(DefaultRules.systolic, DefaultRules.pulse)
    static let start = local("2026-11-01 00:00")
    static let now = local("2026-11-29 12:00")
    static let context = PatientContext(timeZone: copenhagen, monitoringStart: start)

    /// One systolic and one pulse reading every morning from 2 November, cycling through `systolic`
    /// and `pulse`.
    static func readings(systolic: [Double], pulse: [Double], days: Int = 27) -> [Observation] {
        var result: [Observation] = []
        let first = local("2026-11-02 07:00")
        for day in 0..<days {
            let at = first.addingTimeInterval(Double(day) * 86_400)
            result.append(
                Observation(
                    id: Int64(result.count + 1), kind: .systolic, value: systolic[day % systolic.count], measuredAt: at)
            )
            result.append(
                Observation(id: Int64(result.count + 1), kind: .pulse, value: pulse[day % pulse.count], measuredAt: at))
        }
        return result
    }

    @Test("a patient who always runs low gets a lower yellow limit proposed: the edge of her own usual range")
    func runsLow() throws {
        let low = Self.readings(systolic: [88, 92, 95, 90, 86, 93, 91], pulse: [66, 70, 68, 72])
        let proposals = LimitProposal.proposals(low, ruleSet: Self.rules, context: Self.context, now: Self.now)
        let systolic = try #require(proposals.first { $0.ruleID == "systolic-range" })
        #expect(proposals.count == 1, "pulse 66–72 sits inside the default limits: nothing to propose")
        #expect(systolic.parameter == "yellowBelow")
        #expect(systolic.current == 90)
        #expect(
            systolic.proposed == 82, "the median 91 − 3 × 2.97 (1.4826 × the median absolute deviation 2), rounded down"
        )
        #expect(systolic.basis.hasPrefix("systolic BP: median 91 mmHg, usual variation 3 mmHg over 27 readings"))
        #expect(systolic.basis.hasSuffix("8 of them below the yellow limit 90 mmHg"))
    }

    @Test(
        "nothing is proposed while learning, with too few readings, or when the defaults fit",
        arguments: [
            ("the first fortnight", local("2026-11-10 12:00"), 27),
            ("nine readings in four weeks", local("2026-11-29 12:00"), 9),
        ])
    func nothing(name: String, now: Date, days: Int) {
        let low = Self.readings(systolic: [88, 92, 95, 90, 86, 93, 91], pulse: [66], days: days)
        #expect(LimitProposal.proposals(low, ruleSet: Self.rules, context: Self.context, now: now).isEmpty, "\(name)")
    }

    @Test(
        "a usual range inside the defaults proposes nothing; a high resting pulse raises the upper limit, never past the red one"
    )
    func fitsOrHigh() {
        let ordinary = Self.readings(systolic: [118, 122, 125, 120], pulse: [64, 70])
        #expect(LimitProposal.proposals(ordinary, ruleSet: Self.rules, context: Self.context, now: Self.now).isEmpty)
        let fast = Self.readings(systolic: [118, 122], pulse: [96, 102, 99, 104, 98])
        let proposal = LimitProposal.proposals(fast, ruleSet: Self.rules, context: Self.context, now: Self.now).first
        #expect(proposal?.parameter == "yellowAbove")
        #expect(proposal?.proposed == 110, "capped at the red limit")
    }

    @Test("a personal limit already in force is the one compared with")
    func personalInForce() {
        let low = Self.readings(systolic: [88, 92, 95, 90, 86, 93, 91], pulse: [66])
        let settled = PatientContext(
            timeZone: copenhagen, monitoringStart: Self.start,
            settings: [
                PersonalSetting(
                    .limit(ruleID: "systolic-range", parameter: "yellowBelow", value: 80), validFrom: Self.start)
            ])
        #expect(LimitProposal.proposals(low, ruleSet: Self.rules, context: settled, now: Self.now).isEmpty)
    }
}
