import Foundation
import GRDB
import MonitoringRecords
import ReadingIntake
import Testing

@testable import TeleIngest

/// Input written to break things, beyond the malformed corpus: each is journaled and processed
/// like a message from the broker, must end in the quarantine with a reason — never a crash,
/// never a reading, never silently gone — and the store must stay intact.
@Suite struct HostileInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var topic: String
        var payload: Data
        var testDescription: String { name }
    }

    static let cases: [Case] = {
        let good =
            #"{"serial": "HV10-00017", "msg_id": "h-1", "measured": "2026-11-20T07:12:03+01:00", "weight": 82.4, "unit": "kg"}"#
        func text(_ name: String, _ topic: String, _ payload: String) -> Case {
            Case(name: name, topic: topic, payload: Data(payload.utf8))
        }
        let sql = "'; DROP TABLE reading; --"
        return [
            text("deeply nested arrays", "telekit/HV10-00017/hv10", String(repeating: "[", count: 100_000)),
            text(
                "deeply nested objects", "telekit/HV10-00017/hv10",
                String(repeating: #"{"a":"#, count: 50_000) + "1" + String(repeating: "}", count: 50_000)),
            Case(
                name: "10 MB payload", topic: "telekit/HV10-00017/hv10",
                payload: Data(#"{"serial": "HV10-00017", "pad": ""#.utf8) + Data(repeating: 0x41, count: 10_000_000)
                    + Data(#""}"#.utf8)),
            Case(
                name: "invalid UTF-8", topic: "telekit/HV10-00017/hv10",
                payload: Data([0x7B, 0x22, 0xC3, 0x28, 0xFF, 0xFE, 0x22, 0x7D])),
            Case(
                name: "NUL bytes inside strings and outside", topic: "telekit/HV10-00017/hv10",
                payload: Data(good.utf8.map { $0 == UInt8(ascii: "k") ? 0 : $0 }) + Data([0, 0])),
            text("a weight of 1e309", "telekit/HV10-00017/hv10", good.replacingOccurrences(of: "82.4", with: "1e309")),
            // Found by scripts/fuzz: formatting the out-of-range message converted 1e209 to an Int and trapped.
            text(
                "a weight of 1e209 (fuzz finding)", "telekit/HV10-00017/hv10",
                good.replacingOccurrences(of: "82.4", with: "1e209")),
            text(
                "a weight of -1e209", "telekit/HV10-00017/hv10", good.replacingOccurrences(of: "82.4", with: "-1e209")),
            text(
                "epoch seconds of 1e300", "telekit/SC300-A1/sc300",
                #"{"device": "SC300-A1", "t": 1e300, "w_lb": 181.7}"#),
            text(
                "epoch seconds of -1e300", "telekit/SC300-A1/sc300",
                #"{"device": "SC300-A1", "t": -1e300, "w_lb": 181.7}"#),
            text(
                "epoch milliseconds of 1e300", "telekit/BP7-0042/bp7",
                #"{"sn": "BP7-0042", "seq": 1, "time_ms": 1e300, "sys": 128, "dia": 79, "unit": "mmHg"}"#),
            text(
                "epoch milliseconds as a huge string", "telekit/BP7-0042/bp7",
                #"{"sn": "BP7-0042", "seq": 1, "time_ms": "99999999999999999999999", "sys": 128, "dia": 79, "unit": "mmHg"}"#
            ),
            text("a weight of -0", "telekit/HV10-00017/hv10", good.replacingOccurrences(of: "82.4", with: "-0")),
            text("a weight of NaN", "telekit/HV10-00017/hv10", good.replacingOccurrences(of: "82.4", with: "NaN")),
            text(
                "a weight as a 400-digit number", "telekit/HV10-00017/hv10",
                good.replacingOccurrences(of: "82.4", with: String(repeating: "9", count: 400))),
            text("a wildcard topic", "telekit/+/hv10", good),
            text("a '..' topic", "telekit/../hv10", good),
            text("a topic of slashes", "////////", good),
            text("an empty topic", "", good),
            text(
                "SQL in the serial", "telekit/HV10-00017/hv10",
                good.replacingOccurrences(of: "\"HV10-00017\"", with: "\"\(sql)\"")),
            text(
                "SQL in the unit", "telekit/HV10-00017/hv10",
                good.replacingOccurrences(of: "\"kg\"", with: "\"\(sql)\"")),
            text(
                "SQL in the time", "telekit/HV10-00017/hv10",
                good.replacingOccurrences(of: "2026-11-20T07:12:03+01:00", with: sql)),
            text("SQL in the topic", "telekit/\(sql)/hv10", good),
            text(
                "a year 99999 time", "telekit/HV10-00017/hv10",
                good.replacingOccurrences(of: "2026-11-20", with: "99999-11-20")),
            text(
                "a duplicate key with another serial", "telekit/HV10-00017/hv10",
                good.replacingOccurrences(of: "{", with: #"{"serial": "HV10-00042", "#)),
            text(
                "a string with a million escapes", "telekit/HV10-00017/hv10",
                #"{"serial": "HV10-00017", "note": ""# + String(repeating: #"\u0000"#, count: 200_000) + #""}"#),
        ]
    }()

    @Test("hostile input ends in the quarantine with a reason; nothing crashes and nothing is stored", arguments: cases)
    func quarantined(_ hostile: Case) async throws {
        try await withTemporaryDirectory { directory in
            let processor = try TestCohort.processor(in: directory)
            try processor.store.journal(.mqtt, topic: hostile.topic, payload: hostile.payload)
            let results = try processor.processPending()
            #expect(results.map(\.outcome) == [.quarantined])
            let entry = try #require(try processor.store.quarantine().first)
            #expect(!entry.message.isEmpty)
            #expect(entry.payload == hostile.payload, "the raw message is kept as it came")
            #expect(try processor.store.readingCount() == 0)
            let tables = try processor.store.database.read { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            #expect(tables.contains("reading"))
            #expect(
                try processor.store.database.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
                    == "ok")
        }
    }

    @Test("SQL in a message id is stored as the text it is, not run")
    func sqlInMessageID() async throws {
        try await withTemporaryDirectory { directory in
            let processor = try TestCohort.processor(in: directory)
            let sql = "'); DROP TABLE reading; --"
            try processor.store.journal(
                .mqtt, topic: "telekit/HV10-00017/hv10",
                payload: Data(
                    #"{"serial": "HV10-00017", "msg_id": "\#(sql)", "measured": "2026-11-20T07:12:03+01:00", "weight": 82.4, "unit": "kg"}"#
                        .utf8))
            #expect(try processor.processPending().map(\.outcome) == [.stored])
            #expect(try processor.store.readings(patientID: "P-0001").map(\.messageID) == [sql])
        }
    }
}
