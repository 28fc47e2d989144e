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
    ///
    /// Local midnight at the zone's offset, when the offset is the same a day before and a day
    /// after (no change can move or remove midnight then); the calendar's answer otherwise.
    /// The rules ask this for every patient in every batch.
    public func start(in zone: TimeZone) -> Date {
        let utcMidnight = number * 86_400
        let guess = utcMidnight - zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(utcMidnight)))
        let offset = zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(guess)))
        let midnight = utcMidnight - offset
        if zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(midnight - 86_400))) == offset,
            zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(midnight + 86_400))) == offset
        {
            return Date(timeIntervalSince1970: Double(midnight))
        }
        return calendarStart(in: zone)
    }

    /// `start(in:)` as the calendar works it out.
    func calendarStart(in zone: TimeZone) -> Date {
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
        let (year, month, day) = date
        let digits = { (value: Int, width: Int) in
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(digits(year, 4))-\(digits(month, 2))-\(digits(day, 2))"
    }

    /// `20 Nov`, for explanations.
    public var short: String {
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let (_, month, day) = date
        return "\(day) \(months[month - 1])"
    }

    /// Year, month and day of this date in the Gregorian calendar. Worked out by arithmetic
    /// (days to civil dates, as in H. Hinnant's `civil_from_days`) for 1583 through 9999, where
    /// it is the calendar's answer; by the calendar outside them (Foundation's calendar is Julian
    /// before October 1582). Explanations name days in every batch.
    var date: (year: Int, month: Int, day: Int) {
        guard number >= Self.firstArithmeticDay, number <= Self.lastArithmeticDay else { return calendarDate }
        let shifted = number + 719_468  // days since 0000-03-01
        let era = shifted / 146_097  // non-negative from 1583 on
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// 1583-01-01 and 9999-12-31, as day numbers.
    static let firstArithmeticDay = -141_349
    static let lastArithmeticDay = 2_932_896

    /// `date` as Foundation's Gregorian calendar gives it.
    var calendarDate: (year: Int, month: Int, day: Int) {
        let instant = Date(timeIntervalSince1970: Double(number) * 86_400)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: instant)
        return (parts.year!, parts.month!, parts.day!)
    }
}
