import Foundation
import Vitals

/// A cardiologist's setting for one patient, in force from `validFrom` until a later setting of
/// the same target replaces it.
public struct PersonalSetting: Sendable, Hashable, Codable {
    public enum Change: Sendable, Hashable, Codable {
        /// A rule parameter's personal value; `nil` returns to the rule set's default.
        case limit(ruleID: String, parameter: String, value: Double?)
        /// The patient's dry weight in kg (`nil` clears it).
        case dryWeight(Double?)
        /// The rule does not fire until `until`, for the reason given.
        case suspension(ruleID: String, until: Date, reason: String)
        /// After the daily phase, the patient measures on `daysAWeek` days a week (1…7; `nil`
        /// returns to the rule set's plan). A nurse may set it, as a cardiologist may.
        case measurementPlan(daysAWeek: Int?)
    }

    public var change: Change
    public var validFrom: Date

    public init(_ change: Change, validFrom: Date) {
        self.change = change
        self.validFrom = validFrom
    }
}

extension PersonalSetting.Change {
    /// The change in a few words: "systolic-range.yellowBelow = 85", "dry weight 78.5 kg".
    public var summary: String {
        switch self {
        case .limit(let rule, let parameter, let value):
            "\(rule).\(parameter) = \(value.map { Quantity.format($0, decimals: 1) } ?? "default")"
        case .dryWeight(let kg): "dry weight \(kg.map { Quantity.format($0, decimals: 1) + " kg" } ?? "cleared")"
        case .suspension(let rule, let until, _):
            "\(rule) suspended until \(until.formatted(.iso8601.year().month().day()))"
        case .measurementPlan(let days):
            "measurement plan \(days.map { "\($0) day\($0 == 1 ? "" : "s") a week" } ?? "as the rule set's")"
        }
    }
}

/// What the rules need to know about a patient besides the readings.
public struct PatientContext: Sendable, Hashable {
    /// Defines the patient's calendar days.
    public var timeZone: TimeZone
    /// Start of monitoring: the measurement plan is daily for the first days after it.
    public var monitoringStart: Date
    /// Personal settings, any order.
    public var settings: [PersonalSetting]
    /// When the monitoring period ended, if it has: the record is read-only and no rule fires.
    public var monitoringEnded: Date?

    public init(
        timeZone: TimeZone, monitoringStart: Date, settings: [PersonalSetting] = [], monitoringEnded: Date? = nil
    ) {
        self.timeZone = timeZone
        self.monitoringStart = monitoringStart
        self.monitoringEnded = monitoringEnded
        self.settings = settings.sorted { $0.validFrom < $1.validFrom }
    }

    /// The rule's parameter in force at `instant`: the newest personal value set before it, or
    /// the rule set's default. Also says whether it is personal.
    public func parameter(_ name: String, of rule: Rule, at instant: Date) -> (value: Double, personal: Bool)? {
        var result = rule.parameters[name].map { ($0, false) }
        for setting in settings where setting.validFrom <= instant {
            if case .limit(rule.id, name, let value) = setting.change {
                result = value.map { ($0, true) } ?? rule.parameters[name].map { ($0, false) }
            }
        }
        return result
    }

    /// The dry weight in force at `instant`.
    public func dryWeight(at instant: Date) -> Double? {
        var weight: Double?
        for setting in settings where setting.validFrom <= instant {
            if case .dryWeight(let value) = setting.change { weight = value }
        }
        return weight
    }

    /// The days a week the patient is asked to measure after the daily phase, as set for them
    /// at `instant`; `nil`: the rule set's plan.
    public func daysAWeek(at instant: Date) -> Int? {
        var days: Int?
        for setting in settings where setting.validFrom <= instant {
            if case .measurementPlan(let value) = setting.change { days = value }
        }
        return days
    }

    /// When the patient's personal baselines start again at `instant`: the latest new dry
    /// weight set by then (the cardiologist's sign that the patient's normal has changed), or
    /// the start of monitoring.
    public func baselineStart(at instant: Date) -> Date {
        var start = monitoringStart
        for setting in settings where setting.validFrom <= instant {
            if case .dryWeight = setting.change { start = max(start, setting.validFrom) }
        }
        return start
    }

    /// Whether `rule` is suspended at `instant`.
    public func isSuspended(_ rule: Rule, at instant: Date) -> Bool {
        var suspendedUntil: Date?
        for setting in settings where setting.validFrom <= instant {
            if case .suspension(rule.id, let until, _) = setting.change { suspendedUntil = until }
        }
        return suspendedUntil.map { instant < $0 } ?? false
    }
}
