import Foundation
import Testing
import ThresholdRules
import Vitals

/// The measurement plan is read in one place, with the patient's personal settings.
@Suite struct MeasurementPlanTests {
    @Test("the plan comes from the weight missing-data rule, personal settings included, else TeleHjerte's")
    func plan() {
        let rules = DefaultRules.set(DefaultRules.systolic, DefaultRules.missingWeight)
        let start = local("2026-11-01 00:00")
        var context = PatientContext(timeZone: copenhagen, monitoringStart: start)
        #expect(MeasurementPlan(ruleSet: rules, context: context, at: start) == .teleHjerte)
        context.settings = [
            PersonalSetting(
                .limit(ruleID: "missing-weight", parameter: "dailyPhaseDays", value: 28), validFrom: start)
        ]
        let personal = MeasurementPlan(ruleSet: rules, context: context, at: start)
        #expect(personal.dailyPhaseDays == 28)
        #expect(personal.dailyPhaseEnds(monitoringStart: start) == local("2026-11-29 00:00"))
        #expect(
            MeasurementPlan(ruleSet: DefaultRules.set(DefaultRules.systolic), context: context, at: start)
                == .teleHjerte)
    }

    @Test(
        "the missing-data rule judges by the personal plan: a 3-day gap on day 20 is a gap only in a 28-day daily phase"
    )
    func missingRuleUsesIt() {
        let start = local("2026-11-01 00:00")
        let evaluator = RuleEvaluator(ruleSet: DefaultRules.set(DefaultRules.missingWeight))
        var readings = Readings()
        readings.add(.weight, 80, "2026-11-17 07:00")
        let now = local("2026-11-20 12:00")
        let plain = PatientContext(timeZone: copenhagen, monitoringStart: start)
        #expect(evaluator.evaluateMissing(readings.all, context: plain, now: now).allSatisfy { $0.action != .raise })
        let longer = PatientContext(
            timeZone: copenhagen, monitoringStart: start,
            settings: [
                PersonalSetting(
                    .limit(ruleID: "missing-weight", parameter: "dailyPhaseDays", value: 28), validFrom: start)
            ])
        let raised = evaluator.evaluateMissing(readings.all, context: longer, now: now).filter { $0.action == .raise }
        #expect(raised.first?.explanation.contains("daily for the first 28 days") == true)
    }
}
