import Foundation
import Vitals

/// A patient's readings arranged for the rules: per kind in measured-time order, and one value
/// per local calendar day. Built once per evaluation; arrival order does not matter.
struct PatientHistory {
    let zone: TimeZone
    let byKind: [ReadingKind: [Observation]]

    init(_ observations: [Observation], zone: TimeZone) {
        self.zone = zone
        var byKind: [ReadingKind: [Observation]] = [:]
        for observation in observations { byKind[observation.kind, default: []].append(observation) }
        for kind in byKind.keys {
            byKind[kind]!.sort { ($0.measuredAt, $0.id) < ($1.measuredAt, $1.id) }
        }
        self.byKind = byKind
    }

    func day(_ observation: Observation) -> LocalDay { LocalDay(observation.measuredAt, in: zone) }

    /// Readings of `kind` measured on or before the end of `day`, in measured-time order.
    func readings(_ kind: ReadingKind, through day: LocalDay) -> ArraySlice<Observation> {
        let all = byKind[kind] ?? []
        var end = all.count
        while end > 0, self.day(all[end - 1]) > day { end -= 1 }
        return all[..<end]
    }

    /// Readings of `kind` on `day`.
    func readings(_ kind: ReadingKind, on day: LocalDay) -> [Observation] {
        Array(readings(kind, through: day).reversed().prefix { self.day($0) == day }.reversed())
    }

    /// The newest local day with a reading of `kind`.
    func latestDay(_ kind: ReadingKind) -> LocalDay? {
        byKind[kind]?.last.map(day)
    }

    /// One value per day through `day`: the morning (first) reading or the day's median.
    func dailyValues(_ kind: ReadingKind, through day: LocalDay, choosing rule: DailyValue) -> [DailyReading] {
        var result: [DailyReading] = []
        var current: [Observation] = []
        func flush() {
            guard let first = current.first else { return }
            switch rule {
            case .morning:
                result.append(
                    DailyReading(
                        day: self.day(first), value: first.value, readingIDs: [first.id], measuredAt: first.measuredAt))
            case .median:
                let sorted = current.map(\.value).sorted()
                let middle = sorted.count / 2
                let median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
                result.append(
                    DailyReading(
                        day: self.day(first), value: median, readingIDs: current.map(\.id),
                        measuredAt: current.last!.measuredAt))
            }
            current = []
        }
        for observation in readings(kind, through: day) {
            if let first = current.first, self.day(first) != self.day(observation) { flush() }
            current.append(observation)
        }
        flush()
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
