import Foundation

/// An ISO 8601 week (`2026-W47`), Monday to Sunday: the unit of the nurse's follow-up.
public struct ISOWeek: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var year: Int
    public var week: Int

    /// The week `instant` falls in, in `zone`.
    public init(containing instant: Date, in zone: TimeZone) {
        self.init(containing: LocalDay(instant, in: zone))
    }

    /// The week a local day falls in.
    public init(containing day: LocalDay) {
        let thursday = day.monday.adding(days: 3)
        let year = Self.year(of: thursday)
        self.year = year
        self.week = (Self.dayOfYear(thursday, year: year) - 1) / 7 + 1
    }

    /// Parses `2026-W47` (also `2026W47`); `nil` for anything else or a week the year lacks.
    public init?(_ text: String) {
        let parts = text.uppercased().replacingOccurrences(of: "-W", with: "W").split(separator: "W")
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]),
            let week = Int(parts[1]), week >= 1
        else { return nil }
        self.year = year
        self.week = week
        guard ISOWeek(containing: monday).week == week else { return nil }
    }

    /// The week's Monday.
    public var monday: LocalDay {
        // The Thursday of week 1 is the first Thursday of the year.
        Self.firstOfYear(year).adding(days: 3).monday.adding(days: (week - 1) * 7)
    }

    /// Monday to Sunday.
    public var days: [LocalDay] { (0..<7).map { monday.adding(days: $0) } }

    /// The first instant of the week in `zone` (Monday 00:00).
    public func start(in zone: TimeZone) -> Date { monday.start(in: zone) }

    /// The first instant after the week in `zone`.
    public func end(in zone: TimeZone) -> Date { monday.adding(days: 7).start(in: zone) }

    public var previous: ISOWeek { ISOWeek(containing: monday.adding(days: -7)) }
    public var next: ISOWeek { ISOWeek(containing: monday.adding(days: 7)) }

    /// `2026-W47`.
    public var description: String { String(format: "%04d-W%02d", year, week) }

    public static func < (lhs: ISOWeek, rhs: ISOWeek) -> Bool { (lhs.year, lhs.week) < (rhs.year, rhs.week) }

    /// January 1st of `year`, by calendar arithmetic (no Calendar: the worklist calls this a lot).
    static func firstOfYear(_ year: Int) -> LocalDay {
        LocalDay(number: daysFromCivil(year: year, month: 1, day: 1))
    }

    static func year(of day: LocalDay) -> Int {
        // Civil-from-days (H. Hinnant's algorithm), year only.
        let z = day.number + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func dayOfYear(_ day: LocalDay, year: Int) -> Int {
        firstOfYear(year).days(to: day) + 1
    }
}
