import Foundation
import ThresholdRules

/// The days quality indicators are reported over: a quarter (`2026-Q4`), a month (`2026-11`) or
/// a year (`2026`), in the site's time zone.
public struct IndicatorPeriod: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var firstDay: LocalDay
    public var lastDay: LocalDay

    public var description: String { name }

    public init(name: String, firstDay: LocalDay, lastDay: LocalDay) {
        self.name = name
        self.firstDay = firstDay
        self.lastDay = lastDay
    }

    /// Reads `2026-Q4`, `2026-11` or `2026`; `nil` for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard let year = Int(parts[0]), parts[0].count == 4 else { return nil }
        func day(_ month: Int, _ day: Int) -> LocalDay? {
            LocalDay(iso: String(format: "%04d-%02d-%02d", year, month, day))
        }
        func monthEnd(_ month: Int) -> LocalDay? {
            month == 12 ? day(12, 31) : day(month + 1, 1)?.adding(days: -1)
        }
        switch parts.count {
        case 1:
            guard let first = day(1, 1), let last = day(12, 31) else { return nil }
            self.init(name: text, firstDay: first, lastDay: last)
        case 2 where parts[1].hasPrefix("Q"):
            guard let quarter = Int(parts[1].dropFirst()), (1...4).contains(quarter),
                let first = day(quarter * 3 - 2, 1), let last = monthEnd(quarter * 3)
            else { return nil }
            self.init(name: text, firstDay: first, lastDay: last)
        case 2:
            guard parts[1].count == 2, let month = Int(parts[1]), (1...12).contains(month), let first = day(month, 1),
                let last = monthEnd(month)
            else { return nil }
            self.init(name: text, firstDay: first, lastDay: last)
        default:
            return nil
        }
    }

    /// The quarter `day` falls in.
    public static func quarter(containing day: LocalDay) -> IndicatorPeriod {
        let text = day.description
        let year = text.prefix(4)
        let month = Int(text.dropFirst(5).prefix(2)) ?? 1
        return IndicatorPeriod("\(year)-Q\((month - 1) / 3 + 1)")!
    }
}
