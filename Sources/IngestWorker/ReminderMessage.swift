import Foundation
import MonitoringRecords
import TeleIngest
import ThresholdRules
import Vitals

/// What a device is sent on `<prefix>/<serial>/reminder` when a measurement is due today: the
/// kind, the days and the plan in words; no name, CPR or patient id.
public struct ReminderMessage: Sendable, Codable, Equatable {
    public var serial: DeviceSerial
    /// What to measure: `weight`, `blood-pressure` or `pulse`.
    public var measurement: String
    /// `2026-12-01`: measure today, in the patient's zone.
    public var due: String
    /// `2026-11-28`; absent when nothing was measured since monitoring began.
    public var lastMeasured: String?
    /// "3 days a week", "daily for the first 14 days".
    public var plan: String

    public init(serial: DeviceSerial, _ reminder: MeasurementReminder) {
        self.serial = serial
        measurement =
            switch reminder.measurement {
            case .systolic, .diastolic: "blood-pressure"
            case .weight, .pulse: reminder.measurement.rawValue
            }
        due = reminder.due.description
        lastMeasured = reminder.lastMeasured?.description
        plan = reminder.plan
    }
}
