import Foundation
import ThresholdRules

/// How well a patient kept to the measurement plan in a week: days with a weighing against the
/// days that have passed, and against what the plan asks for (every day in the daily phase,
/// then the patient's days a week, or at least once a week: `MeasurementPlan`).
public struct Adherence: Sendable, Hashable, Codable {
    /// Days of the week with at least one weighing.
    public var measuredDays: Int
    /// Days of the week that have begun (all 7 for a past week), from monitoring start on.
    public var elapsedDays: Int
    /// Days the plan asks for so far.
    public var plannedDays: Int

    public var meetsPlan: Bool { measuredDays >= plannedDays }

    /// `5/7`, with `low` when below plan: reads without colour.
    public var text: String {
        "\(measuredDays)/\(elapsedDays)" + (meetsPlan ? "" : " low")
    }

    /// Works it out for the days of `week` up to and including `today`, in the patient's zone.
    public init(
        weighings: [Date], week: ISOWeek, today: LocalDay, zone: TimeZone, monitoringStart: Date,
        plan: MeasurementPlan
    ) {
        self.init(
            weighings: weighings, days: week.days, today: today, zone: zone, monitoringStart: monitoringStart,
            plan: plan)
    }

    /// The same for the days of a week given as a list (the worklist computes them once).
    public init(
        weighings: [Date], days week: [LocalDay], today: LocalDay, zone: TimeZone, monitoringStart: Date,
        plan: MeasurementPlan
    ) {
        let firstDay = LocalDay(monitoringStart, in: zone)
        let dailyUntil = firstDay.adding(days: plan.dailyPhaseDays)
        let days = week.filter { $0 <= today && $0 >= firstDay }
        let measured = weighings.map { LocalDay($0, in: zone) }
        measuredDays = days.filter(measured.contains).count
        elapsedDays = days.count
        let daily = days.filter { $0 < dailyUntil }.count
        plannedDays = daily + plan.plannedDays(afterDailyPhase: days.filter { $0 >= dailyUntil }.count)
    }

    /// The same from a bit set of the week's days with a weighing (bit 0 Monday … bit 6 Sunday),
    /// as kept with the latest weight.
    public init(
        weighedDays: Int, days week: [LocalDay], today: LocalDay, firstDay: LocalDay, plan: MeasurementPlan
    ) {
        let dailyUntil = firstDay.adding(days: plan.dailyPhaseDays)
        var measured = 0
        var elapsed = 0
        var daily = 0
        var later = 0
        for (index, day) in week.enumerated() where day <= today && day >= firstDay {
            elapsed += 1
            if weighedDays & (1 << index) != 0 { measured += 1 }
            if day < dailyUntil { daily += 1 } else { later += 1 }
        }
        self.init(
            measuredDays: measured, elapsedDays: elapsed,
            plannedDays: daily + plan.plannedDays(afterDailyPhase: later))
    }

    public init(measuredDays: Int, elapsedDays: Int, plannedDays: Int) {
        self.measuredDays = measuredDays
        self.elapsedDays = elapsedDays
        self.plannedDays = plannedDays
    }
}
