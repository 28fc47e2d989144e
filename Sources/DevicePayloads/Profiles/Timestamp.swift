import Foundation

/// A wall-clock timestamp as a device wrote it (`2026-11-20T07:12:03+01:00`,
/// `2026-11-20 07:12:03`), with its UTC offset when it had one.
public struct Timestamp: Sendable, Hashable {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    public var millisecond: Int
    /// Seconds east of UTC, or `nil` for a local time without offset.
    public var offsetSeconds: Int?

    /// What is wrong with a timestamp text.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var text: String
        public var description: String { "'\(text)' is not a date and time like 2026-11-20T07:12:03+01:00" }
    }

    /// Parses `YYYY-MM-DD[T| ]hh:mm[:ss[.fff]][Z|±hh:mm|±hhmm|±hh]`.
    public static func parseISO8601(_ text: String) throws(ParseError) -> Timestamp {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ digits: Int) throws(ParseError) -> Int {
            guard index + digits <= bytes.count else { throw ParseError(text: text) }
            var value = 0
            for _ in 0..<digits {
                let byte = bytes[index]
                guard byte >= 48, byte <= 57 else { throw ParseError(text: text) }
                value = value * 10 + Int(byte - 48)
                index += 1
            }
            return value
        }
        func expect(_ character: UInt8) throws(ParseError) {
            guard index < bytes.count, bytes[index] == character else { throw ParseError(text: text) }
            index += 1
        }
        let year = try number(4)
        try expect(UInt8(ascii: "-"))
        let month = try number(2)
        try expect(UInt8(ascii: "-"))
        let day = try number(2)
        guard index < bytes.count, bytes[index] == UInt8(ascii: "T") || bytes[index] == UInt8(ascii: " ") else {
            throw ParseError(text: text)
        }
        index += 1
        let hour = try number(2)
        try expect(UInt8(ascii: ":"))
        let minute = try number(2)
        var second = 0
        var millisecond = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ":") {
            index += 1
            second = try number(2)
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: ",") {
                index += 1
                var digits = 0
                var fraction = 0
                while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                    if digits < 3 { fraction = fraction * 10 + Int(bytes[index] - 48) }
                    digits += 1
                    index += 1
                }
                guard digits > 0 else { throw ParseError(text: text) }
                for _ in digits..<max(digits, 3) { fraction *= 10 }
                millisecond = fraction
            }
        }
        var offset: Int?
        if index < bytes.count {
            let sign = bytes[index]
            if sign == UInt8(ascii: "Z") || sign == UInt8(ascii: "z") {
                index += 1
                offset = 0
            } else if sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                index += 1
                let hours = try number(2)
                var minutes = 0
                if index < bytes.count {
                    if bytes[index] == UInt8(ascii: ":") { index += 1 }
                    minutes = try number(2)
                }
                guard hours <= 18, minutes < 60 else { throw ParseError(text: text) }
                offset = (hours * 3600 + minutes * 60) * (sign == UInt8(ascii: "-") ? -1 : 1)
            } else {
                throw ParseError(text: text)
            }
        }
        guard index == bytes.count, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60,
            second < 61, day <= Self.daysIn(month: month, year: year)
        else { throw ParseError(text: text) }
        return Timestamp(
            year: year, month: month, day: day, hour: hour, minute: minute, second: min(second, 59),
            millisecond: millisecond, offsetSeconds: offset)
    }

    /// The instant this timestamp names: its own offset when it has one, else `zone`'s wall
    /// clock. In the autumn hour that repeats, the earlier instant is chosen; a time in the
    /// skipped spring hour is moved forward by the gap (Foundation's rule).
    public func date(in zone: TimeZone) -> Date? {
        if let offsetSeconds {
            let days = Self.daysFromCivil(year: year, month: month, day: day)
            let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
            return Date(timeIntervalSince1970: Double(seconds) + Double(millisecond) / 1000)
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let components = DateComponents(
            year: year, month: month, day: day, hour: hour, minute: minute, second: second,
            nanosecond: millisecond * 1_000_000)
        return calendar.date(from: components)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
