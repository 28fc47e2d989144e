import Foundation
import Testing

@testable import ThresholdRules

/// The local day of an instant is the day the calendar gives: around every offset change, on days
/// a zone skipped or repeated, in zones a quarter or half an hour off the hour, and before 1970.
@Suite struct LocalDayTests {
    /// Zones chosen for what their offsets do: daylight saving in either hemisphere, a
    /// half-hour daylight saving (Lord Howe), offsets of 45 and 30 minutes, a day skipped
    /// (Apia, 30 December 2011), standard time moved (Moscow 2011 and 2014), several changes a
    /// year (Casablanca), none at all.
    static let zones = [
        "Europe/Copenhagen", "America/New_York", "Australia/Lord_Howe", "Pacific/Apia", "Pacific/Chatham",
        "Asia/Kathmandu", "America/St_Johns", "Europe/Moscow", "Africa/Casablanca", "UTC",
    ]

    /// The calendar's answer, `2011-12-31`, independent of `LocalDay`'s arithmetic.
    static func calendarDay(_ instant: Date, in zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day], from: instant)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// Each offset change from 2010 through 2016 and instants half a second, a second, half an
    /// hour and an hour either side of it; every 6 h 7 min through 2011 and 2012 (so every hour
    /// of the day comes round); a day either side of 1 January 1970.
    static func instants(in zone: TimeZone) -> [Date] {
        var instants: [Date] = []
        var transition = zone.nextDaylightSavingTimeTransition(after: Date(timeIntervalSince1970: 1_262_304_000))
        while let change = transition, change.timeIntervalSince1970 < 1_483_228_800 {
            for shift in [-3_600.0, -1_800, -1, -0.5, 0, 0.5, 1, 1_800, 3_600] {
                instants.append(change.addingTimeInterval(shift))
            }
            transition = zone.nextDaylightSavingTimeTransition(after: change)
        }
        var grid = 1_293_840_000.0  // 2011-01-01T00:00:00Z
        while grid < 1_356_998_400 {  // 2013-01-01
            instants.append(Date(timeIntervalSince1970: grid))
            grid += 22_020
        }
        var early = -86_400.0
        while early <= 86_400 {
            instants.append(Date(timeIntervalSince1970: early))
            early += 3_599.5
        }
        return instants
    }

    @Test("An instant's local day is the calendar's", arguments: zones)
    func calendarDay(zoneName: String) throws {
        let zone = try #require(TimeZone(identifier: zoneName))
        let instants = Self.instants(in: zone)
        #expect(instants.count > 2_500)
        for instant in instants {
            let expected = Self.calendarDay(instant, in: zone)
            #expect(
                LocalDay(instant, in: zone).description == expected,
                "\(zoneName) at \(instant.timeIntervalSince1970)")
        }
    }

    @Test("Apia skipped 30 December 2011: the evening of the 29th is followed by the 31st")
    func skippedDay() throws {
        let apia = try #require(TimeZone(identifier: "Pacific/Apia"))
        // 2011-12-30T09:59:59Z was 23:59:59 on the 29th at UTC−10; a second later it was the
        // 31st at UTC+14.
        let before = LocalDay(Date(timeIntervalSince1970: 1_325_239_199), in: apia)
        let after = LocalDay(Date(timeIntervalSince1970: 1_325_239_200), in: apia)
        #expect(before.description == "2011-12-29")
        #expect(after.description == "2011-12-31")
    }

    /// Every day from 1900 through 2100, every 97th day from 1583 through 9999, and the days
    /// either side of where the arithmetic hands over to the calendar.
    static let dateDays: [Int] = {
        var days = Array(-25_567...47_482)
        days += stride(from: -141_349, through: 2_932_896, by: 97)
        for edge in [LocalDay.firstArithmeticDay, LocalDay.lastArithmeticDay] { days += (edge - 3)...(edge + 3) }
        return days
    }()

    @Test("A day's date and short name are the calendar's")
    func dateIsTheCalendars() {
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        for number in Self.dateDays {
            let day = LocalDay(number: number)
            let expected = day.calendarDate
            #expect(day.date == expected, "day \(number)")
            #expect(
                day.description == String(format: "%04d-%02d-%02d", expected.year, expected.month, expected.day),
                "day \(number)")
            #expect(day.short == "\(expected.day) \(months[expected.month - 1])", "day \(number)")
        }
        #expect(LocalDay(number: 20_792).description == "2026-12-05")
        #expect(LocalDay(number: 20_792).short == "5 Dec")
    }

    @Test("A day starts when the calendar says: around every offset change and on ordinary days", arguments: zones)
    func startIsTheCalendars(zoneName: String) throws {
        let zone = try #require(TimeZone(identifier: zoneName))
        var days = Set(Self.instants(in: zone).map { LocalDay($0, in: zone).number })
        for day in Array(days) { days.formUnion((day - 2)...(day + 2)) }
        #expect(days.count > 700)
        for number in days.sorted() {
            let day = LocalDay(number: number)
            #expect(day.start(in: zone) == day.calendarStart(in: zone), "\(zoneName) \(day)")
        }
    }
}
