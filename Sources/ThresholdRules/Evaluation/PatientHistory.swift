import Foundation
import Vitals

/// A patient's readings arranged for the rules: per kind in measured-time order, and one value
/// per local calendar day. Built once per evaluation; arrival order does not matter.
struct PatientHistory {
    /// One kind's values, one per day, chosen one way.
    struct DailySeries: Hashable {
        var kind: ReadingKind
        var choice: DailyValue
    }

    let zone: TimeZone
    let byKind: [ReadingKind: [Observation]]
    /// The local day of each reading in `byKind`, same order, for binary search.
    private let days: [ReadingKind: [LocalDay]]
    /// One value per day for the series the rules read, computed once: rules read prefixes of it.
    private let daily: [DailySeries: [DailyReading]]

    /// - Parameter series: the daily series the rules will read (`RuleEvaluator.dailySeries`),
    ///   computed here once.
    init(_ observations: [Observation], zone: TimeZone, series: Set<DailySeries>) {
        self.zone = zone
        var byKind: [ReadingKind: [Observation]] = [:]
        for observation in observations { byKind[observation.kind, default: []].append(observation) }
        for kind in byKind.keys {
            byKind[kind]!.sort { ($0.measuredAt, $0.id) < ($1.measuredAt, $1.id) }
        }
        self.byKind = byKind
        var days: [ReadingKind: [LocalDay]] = [:]
        var daily: [DailySeries: [DailyReading]] = [:]
        for (kind, readings) in byKind {
            let readingDays = readings.map { LocalDay($0.measuredAt, in: zone) }
            days[kind] = readingDays
            for choice in DailyValue.allCases where series.contains(DailySeries(kind: kind, choice: choice)) {
                daily[DailySeries(kind: kind, choice: choice)] = Self.dailyValues(
                    readings, days: readingDays, choosing: choice)
            }
        }
        self.days = days
        self.daily = daily
    }

    func day(_ observation: Observation) -> LocalDay { LocalDay(observation.measuredAt, in: zone) }

    /// Index of the first element whose day is after `day` (binary search over sorted days).
    private static func end<T>(of values: [T], through day: LocalDay, dayOf: (T) -> LocalDay) -> Int {
        var low = 0
        var high = values.count
        while low < high {
            let middle = (low + high) / 2
            if dayOf(values[middle]) <= day { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Readings of `kind` measured on or before the end of `day`, in measured-time order.
    func readings(_ kind: ReadingKind, through day: LocalDay) -> ArraySlice<Observation> {
        guard let all = byKind[kind], let readingDays = days[kind] else { return [] }
        let end = Self.end(of: readingDays, through: day) { $0 }
        return all[..<end]
    }

    /// Readings of `kind` on `day`.
    func readings(_ kind: ReadingKind, on day: LocalDay) -> [Observation] {
        guard let all = byKind[kind], let readingDays = days[kind] else { return [] }
        let end = Self.end(of: readingDays, through: day) { $0 }
        let start = Self.end(of: readingDays, through: day.adding(days: -1)) { $0 }
        return Array(all[start..<end])
    }

    /// The newest local day with a reading of `kind`.
    func latestDay(_ kind: ReadingKind) -> LocalDay? {
        days[kind]?.last
    }

    /// One value per day through `day`: the morning (first) reading or the day's median.
    func dailyValues(_ kind: ReadingKind, through day: LocalDay, choosing choice: DailyValue) -> ArraySlice<
        DailyReading
    > {
        guard let readings = byKind[kind], let readingDays = days[kind] else { return [] }
        let values: [DailyReading]
        if let computed = daily[DailySeries(kind: kind, choice: choice)] {
            values = computed
        } else {
            // Right, but computed again at every call: the tests stop here so that a rule that
            // reads a new series adds it to `RuleEvaluator.dailySeries`.
            assertionFailure("daily \(choice) \(kind) values were not computed up front")
            values = Self.dailyValues(readings, days: readingDays, choosing: choice)
        }
        return values[..<Self.end(of: values, through: day) { $0.day }]
    }

    private static func dailyValues(_ readings: [Observation], days: [LocalDay], choosing choice: DailyValue)
        -> [DailyReading]
    {
        var result: [DailyReading] = []
        var start = 0
        while start < readings.count {
            var end = start + 1
            while end < readings.count, days[end] == days[start] { end += 1 }
            let group = readings[start..<end]
            switch choice {
            case .morning:
                let first = group.first!
                result.append(
                    DailyReading(
                        day: days[start], value: first.value, readingIDs: [first.id], measuredAt: first.measuredAt))
            case .median:
                result.append(
                    DailyReading(
                        day: days[start], value: Statistics.median(group.map(\.value)), readingIDs: group.map(\.id),
                        measuredAt: group.last!.measuredAt))
            }
            start = end
        }
        return result
    }
}

/// The value that stands for one calendar day.
struct DailyReading: Hashable {
    var day: LocalDay
    var value: Double
    var readingIDs: [Int64]
    var measuredAt: Date
}

enum Statistics {
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Median absolute deviation scaled to a standard deviation for normal data (× 1.4826).
    static func robustStandardDeviation(_ values: [Double]) -> Double {
        let center = median(values)
        return 1.4826 * median(values.map { abs($0 - center) })
    }
}
