import DevicePayloads
import Foundation
import Testing

@testable import TeleIngest

@Suite struct TimestampTests {
    static let copenhagen = TimeZone(identifier: "Europe/Copenhagen")!

    @Test(
        "ISO 8601 with offsets becomes the right instant",
        arguments: [
            ("2026-11-20T07:12:03+01:00", "2026-11-20T06:12:03Z"),
            ("2026-11-20T06:12:03Z", "2026-11-20T06:12:03Z"),
            ("2026-11-20 07:12:03+0100", "2026-11-20T06:12:03Z"),
            ("2026-07-14T07:30:10.250+02:00", "2026-07-14T05:30:10.250Z"),
            ("2026-11-20T01:00:00-05:00", "2026-11-20T06:00:00Z"),
            ("2024-02-29T12:00Z", "2024-02-29T12:00:00Z"),
        ])
    func withOffset(text: String, utc: String) throws {
        let timestamp = try Timestamp.parseISO8601(text)
        let expected = try Date(
            utc, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: utc.contains(".")))
        #expect(timestamp.date(in: Self.copenhagen) == expected)
    }

    @Test(
        "local time is read in the patient's zone, across daylight saving",
        arguments: [
            ("2026-11-20 07:12:03", "2026-11-20T06:12:03Z"),  // winter, UTC+1
            ("2026-07-14 23:59:00", "2026-07-14T21:59:00Z"),  // summer, UTC+2, late evening
            ("2026-03-29 01:59:00", "2026-03-29T00:59:00Z"),  // just before the spring change
            ("2026-03-29 03:00:00", "2026-03-29T01:00:00Z"),  // just after it
            ("2026-10-25 03:30:00", "2026-10-25T02:30:00Z"),  // after the autumn change
        ])
    func localTime(text: String, utc: String) throws {
        let timestamp = try Timestamp.parseISO8601(text)
        #expect(timestamp.offsetSeconds == nil)
        #expect(timestamp.date(in: Self.copenhagen) == (try Date(utc, strategy: .iso8601)))
    }

    @Test(
        "malformed timestamps are refused",
        arguments: [
            "", "2026-11-20", "2026-02-30T07:00:00Z", "2026-13-01T07:00:00Z", "2026-11-20T25:00:00Z", "yesterday",
            "2026-11-20T07:12:03+01:00 extra", "2026-11-20T07:12:03.+01:00", "2026/11/20 07:12:03",
            "2025-02-29T12:00:00Z",
        ])
    func refused(text: String) {
        #expect(throws: Timestamp.ParseError.self) { try Timestamp.parseISO8601(text) }
    }
}
