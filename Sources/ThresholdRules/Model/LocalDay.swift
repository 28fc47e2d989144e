import Foundation

/// A calendar day in the patient's time zone: the unit of "daily weight", adherence and the
/// windows of change rules. Daylight-saving changes and late-evening readings land on the right day.
public struct LocalDay: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Days since 1970-01-01 of this local date (not of an instant).
    public var number: Int

    public init(number: Int) { self.number = number }

    /// The local day `instant` falls on in `zone`.
    public init(_ instant: Date, in zone: TimeZone) {
        let seconds = Int(instant.timeIntervalSince1970.rounded(.down)) + zone.secondsFromGMT(for: instant)
        number = Int((Double(seconds) / 86_400).rounded(.down))
    }

    /// Parses `2026-12-04`; `nil` for anything else or a date the calendar lacks.
    public init?(iso text: String) {
        let parts = text.split(separator: "-")
        guard text.count == 10, parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]),
            let day = Int(parts[2])
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: year, month: month, day: day)
        guard components.isValidDate(in: calendar), let date = calendar.date(from: components) else { return nil }
        number = Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
    }

    public static func < (lhs: LocalDay, rhs: LocalDay) -> Bool { lhs.number < rhs.number }

    /// The first instant of this day in `zone` (local midnight, or the first hour that exists).
    public func start(in zone: TimeZone) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let utcMidnight = Date(timeIntervalSince1970: Double(number) * 86_400)
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let parts = utc.dateComponents([.year, .month, .day], from: utcMidnight)
        return calendar.startOfDay(
            for: calendar.date(from: DateComponents(year: parts.year, month: parts.month, day: parts.day, hour: 12))!)
    }

    public func adding(days: Int) -> LocalDay { LocalDay(number: number + days) }

    /// ISO weekday: 1 Monday … 7 Sunday (1970-01-01 was a Thursday).
    public var isoWeekday: Int { ((number + 3) % 7 + 7) % 7 + 1 }

    /// The Monday of this day's ISO week.
    public var monday: LocalDay { adding(days: 1 - isoWeekday) }

    /// Whole days from `self` to `other`.
    public func days(to other: LocalDay) -> Int { other.number - number }

    /// `2026-11-20`.
    public var description: String {
        let date = Date(timeIntervalSince1970: Double(number) * 86_400)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    /// `20 Nov`, for explanations.
    public var short: String {
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let date = Date(timeIntervalSince1970: Double(number) * 86_400)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.month, .day], from: date)
        return "\(parts.day!) \(months[parts.month! - 1])"
    }
}
