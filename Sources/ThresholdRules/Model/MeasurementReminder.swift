import Foundation
import Vitals

/// A reminder to the patient's device that a measurement is due today: the last day the
/// measurement plan allows without one, the day before a missing-data flag would reach the
/// nurse. It carries no personal data: the kind, the days and the plan.
public struct MeasurementReminder: Sendable, Hashable, Codable {
    /// The missing-data rule it comes from (`missing-weight`).
    public var ruleID: String
    public var measurement: ReadingKind
    /// The day of the newest measurement of the kind; `nil`: none since monitoring started.
    public var lastMeasured: LocalDay?
    /// Today, in the patient's zone: measure today.
    public var due: LocalDay
    /// The plan in words: "daily for the first 14 days", "3 days a week".
    public var plan: String
    /// Days the plan allows without a measurement.
    public var allowedDays: Int

    public init(
        ruleID: String, measurement: ReadingKind, lastMeasured: LocalDay?, due: LocalDay, plan: String,
        allowedDays: Int
    ) {
        self.ruleID = ruleID
        self.measurement = measurement
        self.lastMeasured = lastMeasured
        self.due = due
        self.plan = plan
        self.allowedDays = allowedDays
    }
}
