import Foundation
import ThresholdRules
import Vitals

let copenhagen = TimeZone(identifier: "Europe/Copenhagen")!

/// An instant from a Copenhagen wall-clock time, `2026-11-20 07:00`.
func local(_ text: String) -> Date {
    let parts = text.split(whereSeparator: { $0 == "-" || $0 == " " || $0 == ":" }).map { Int($0)! }
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = copenhagen
    return calendar.date(
        from: DateComponents(year: parts[0], month: parts[1], day: parts[2], hour: parts[3], minute: parts[4]))!
}

func day(_ text: String) -> LocalDay { LocalDay(local(text + " 12:00"), in: copenhagen) }

/// Builds observations with ids in the order given.
struct Readings {
    var all: [Observation] = []
    mutating func add(_ kind: ReadingKind, _ value: Double, _ time: String) {
        all.append(Observation(id: Int64(all.count + 1), kind: kind, value: value, measuredAt: local(time)))
    }
    /// One morning weight per consecutive day from `start`.
    mutating func weights(_ values: [Double], from start: String) {
        let first = local(start + " 07:00")
        for (offset, value) in values.enumerated() {
            all.append(
                Observation(
                    id: Int64(all.count + 1), kind: .weight, value: value,
                    measuredAt: first.addingTimeInterval(Double(offset) * 86_400)))
        }
    }
}

/// The default heart-failure numbers (rules/heart-failure.yaml), built in code for the pure tests.
enum DefaultRules {
    static let gain3d = Rule(
        id: "weight-gain-3d", kind: .change, measurement: .weight, parameters: ["days": 3, "redGain": 2.0])
    static let gain1d = Rule(
        id: "weight-gain-1d", kind: .change, measurement: .weight, parameters: ["days": 1, "yellowGain": 1.4])
    static let gain7d = Rule(
        id: "weight-gain-7d", kind: .change, measurement: .weight, parameters: ["days": 7, "yellowGain": 2.7])
    static let dryWeight = Rule(
        id: "weight-above-dry-weight", kind: .range, measurement: .weight,
        parameters: ["yellowAbove": 2.0, "redAbove": 3.0],
        relativeToDryWeight: true)
    static let baseline = Rule(
        id: "weight-baseline", kind: .baseline, measurement: .weight,
        parameters: ["days": 14, "minimumDays": 5, "yellowAbove": 2.0])
    static let macd = Rule(
        id: "weight-trend-macd", kind: .trend, measurement: .weight,
        parameters: ["fast": 3, "slow": 14, "yellowAbove": 0.8, "minimumDays": 7])
    static let systolic = Rule(
        id: "systolic-range", kind: .range, measurement: .systolic,
        parameters: ["yellowBelow": 90, "yellowAbove": 160, "redBelow": 80, "redAbove": 170])
    static let pulse = Rule(
        id: "pulse-range", kind: .range, measurement: .pulse,
        parameters: ["yellowBelow": 50, "yellowAbove": 100, "redBelow": 40, "redAbove": 110])
    static let lowSystolic = Rule(
        id: "systolic-low-persistent", kind: .persistence, measurement: .systolic,
        parameters: ["below": 90, "count": 3, "of": 5])
    static let missingWeight = Rule(
        id: "missing-weight", kind: .missing, measurement: .weight,
        parameters: ["dailyPhaseDays": 14, "dailyMaxGapDays": 2, "laterMaxGapDays": 7])

    static let personal = Rule(
        id: "personal-deviation", kind: .personal, measurement: .weight,
        parameters: ["baselineDays": 28, "recentDays": 3, "minimumDays": 7, "yellowScore": 3])

    /// `personal` with some parameters changed or added (and another id, for a second one in a set).
    static func personal(id: String = personal.id, with changes: [String: Double]) -> Rule {
        var rule = personal
        rule.id = id
        rule.parameters.merge(changes) { _, new in new }
        return rule
    }

    static func set(_ rules: Rule...) -> RuleSet { RuleSet(id: "test", version: 1, rules: rules) }
}

extension RuleEvaluator {
    /// Evaluates at every day that has a reading, as if all arrived at once; returns the raises.
    func raises(_ readings: [Observation], context: PatientContext) -> [FlagDecision] {
        let days = readings.map { LocalDay($0.measuredAt, in: context.timeZone) }
        return evaluate(readings, context: context, days: days).filter { $0.action == .raise }
    }
}

let plainContext = PatientContext(timeZone: copenhagen, monitoringStart: local("2026-01-01 00:00"))
