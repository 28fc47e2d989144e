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

    @Test(
        "N days a week leaves at most ⌈7/N⌉ days between measurements, never less than the daily phase's gap",
        arguments: [(nil, 7), (1, 7), (2, 4), (3, 3), (4, 2), (5, 2), (7, 2), (0, 7), (9, 2)] as [(Int?, Int)])
    func daysAWeek(days: Int?, gap: Int) {
        let plan = MeasurementPlan.teleHjerte.measuring(daysAWeek: days)
        #expect(plan.laterMaxGapDays == gap)
        #expect(plan.daysAWeek == days.map { min(max($0, 1), 7) })
    }

    @Test("a plan set for the patient from a moment on applies from then, and can return to the rule set's")
    func personalDaysAWeek() {
        let rules = DefaultRules.set(DefaultRules.missingWeight)
        let start = local("2026-11-01 00:00")
        let context = PatientContext(
            timeZone: copenhagen, monitoringStart: start,
            settings: [
                PersonalSetting(.measurementPlan(daysAWeek: 3), validFrom: local("2026-11-20 10:00")),
                PersonalSetting(.measurementPlan(daysAWeek: nil), validFrom: local("2026-12-10 10:00")),
            ])
        #expect(MeasurementPlan(ruleSet: rules, context: context, at: local("2026-11-20 09:59")) == .teleHjerte)
        let agreed = MeasurementPlan(ruleSet: rules, context: context, at: local("2026-11-25 12:00"))
        #expect(agreed.daysAWeek == 3 && agreed.laterMaxGapDays == 3)
        #expect(agreed.text == "daily for 14 days, then 3 days a week")
        #expect(MeasurementPlan(ruleSet: rules, context: context, at: local("2026-12-11 12:00")) == .teleHjerte)
    }

    @Test("the missing-data rule judges a gap by the patient's days a week, and says so")
    func missingRuleUsesDaysAWeek() throws {
        let start = local("2026-10-01 00:00")
        let evaluator = RuleEvaluator(ruleSet: DefaultRules.set(DefaultRules.missingWeight))
        var readings = Readings()
        readings.add(.weight, 80, "2026-11-16 07:00")  // Monday
        let thursday = local("2026-11-20 12:00")  // 4 days later
        let plain = PatientContext(timeZone: copenhagen, monitoringStart: start)
        #expect(
            evaluator.evaluateMissing(readings.all, context: plain, now: thursday).allSatisfy { $0.action != .raise },
            "once a week: 4 days is no gap")
        let threeDays = PatientContext(
            timeZone: copenhagen, monitoringStart: start,
            settings: [PersonalSetting(.measurementPlan(daysAWeek: 3), validFrom: start)])
        let raised = try #require(
            evaluator.evaluateMissing(readings.all, context: threeDays, now: thursday).first { $0.action == .raise })
        #expect(
            raised.explanation
                == "no weight since 16 Nov (4 days); the plan (3 days a week) allows at most 3 days without one")
    }

    @Test(
        "a reminder is due on the last day the plan allows, not before and not once it is a flag",
        arguments: [
            // days a week (nil: once a week, 7 days), days since Monday 16 Nov's weighing, reminder?, flag?
            (3, 2, false, false), (3, 3, true, false), (3, 4, false, true),
            (nil, 6, false, false), (nil, 7, true, false), (nil, 8, false, true),
        ] as [(Int?, Int, Bool, Bool)])
    func reminders(daysAWeek: Int?, days: Int, reminder: Bool, flag: Bool) {
        let start = local("2026-10-01 00:00")
        let evaluator = RuleEvaluator(ruleSet: DefaultRules.set(DefaultRules.missingWeight))
        var readings = Readings()
        readings.add(.weight, 80, "2026-11-16 07:00")
        let now = local("2026-11-16 12:00").addingTimeInterval(Double(days) * 86_400)
        let context = PatientContext(
            timeZone: copenhagen, monitoringStart: start,
            settings: daysAWeek.map { [PersonalSetting(.measurementPlan(daysAWeek: $0), validFrom: start)] } ?? [])
        let due = evaluator.remindersDue(readings.all, context: context, now: now)
        #expect(due.isEmpty == !reminder)
        if reminder {
            #expect(
                due == [
                    MeasurementReminder(
                        ruleID: "missing-weight", measurement: .weight,
                        lastMeasured: LocalDay(local("2026-11-16 07:00"), in: copenhagen),
                        due: LocalDay(now, in: copenhagen),
                        plan: daysAWeek.map { "\($0) days a week" } ?? "after the daily phase",
                        allowedDays: daysAWeek == nil ? 7 : 3)
                ])
        }
        let raised = evaluator.evaluateMissing(readings.all, context: context, now: now).contains {
            $0.action == .raise
        }
        #expect(raised == flag)
    }

    @Test("no reminder for a suspended rule")
    func noReminderWhenSuspended() {
        let start = local("2026-10-01 00:00")
        let evaluator = RuleEvaluator(ruleSet: DefaultRules.set(DefaultRules.missingWeight))
        var readings = Readings()
        readings.add(.weight, 80, "2026-11-16 07:00")
        let context = PatientContext(
            timeZone: copenhagen, monitoringStart: start,
            settings: [
                PersonalSetting(
                    .suspension(ruleID: "missing-weight", until: local("2026-12-01 00:00"), reason: "in hospital"),
                    validFrom: start)
            ])
        #expect(evaluator.remindersDue(readings.all, context: context, now: local("2026-11-23 12:00")).isEmpty)
    }
}
