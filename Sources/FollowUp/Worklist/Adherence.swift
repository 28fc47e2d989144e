import Foundation
import ThresholdRules

/// How well a patient kept to the measurement plan in a week: days with a weighing against the
/// days that have passed, and against what the plan asks for (every day in the daily phase,
/// at least once a week after it).
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
    /// `dailyPhaseDays`: how long after `monitoringStart` the plan is daily (TeleHjerte: 14).
    public init(
        weighings: [Date], week: ISOWeek, today: LocalDay, zone: TimeZone, monitoringStart: Date,
        dailyPhaseDays: Int
    ) {
        let firstDay = LocalDay(monitoringStart, in: zone)
        let dailyUntil = firstDay.adding(days: dailyPhaseDays)
        let days = week.days.filter { $0 <= today && $0 >= firstDay }
        let measured = Set(weighings.map { LocalDay($0, in: zone) })
        measuredDays = days.filter(measured.contains).count
        elapsedDays = days.count
        let daily = days.filter { $0 < dailyUntil }.count
        plannedDays = daily + (days.contains { $0 >= dailyUntil } ? 1 : 0)
    }

    public init(measuredDays: Int, elapsedDays: Int, plannedDays: Int) {
        self.measuredDays = measuredDays
        self.elapsedDays = elapsedDays
        self.plannedDays = plannedDays
    }
}
