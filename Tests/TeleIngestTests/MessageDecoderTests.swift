import DevicePayloads
import Foundation
import MonitoringRecords
import Testing
import Vitals

@testable import TeleIngest

/// The pure stages (parse, recognise, decode, normalise, range-check) on their own.
@Suite struct MessageDecoderTests {
    let decoder: MessageDecoder

    init() throws {
        decoder = MessageDecoder(profiles: try TestCohort.profiles())
    }

    /// Corpus entries whose reason the pure stages decide (the rest need the store).
    static let pureReasons: Set<String> = [
        "malformed_json", "unknown_format", "missing_field", "wrong_type", "not_a_number", "implausible_value",
        "wrong_unit", "bad_timestamp", "serial_mismatch", "no_measurements",
    ]

    @Test(
        "each malformed payload is refused with its reason",
        arguments: try MalformedCase.corpus().filter { pureReasons.contains($0.reason) })
    func malformed(sample: MalformedCase) {
        #expect {
            try decoder.prepare(topic: sample.topic, payload: Data(sample.payload.utf8))
        } throws: { error in
            (error as? Rejection)?.reason.rawValue == sample.reason && !((error as? Rejection)?.message.isEmpty ?? true)
        }
    }

    @Test("the corpus has at least 50 cases and every reason the pipeline can give from a device")
    func corpusSize() throws {
        let corpus = try MalformedCase.corpus()
        #expect(corpus.count >= 50)
        let reasons = Set(corpus.map(\.reason))
        let fromDevices = Set(QuarantineReason.allCases.map(\.rawValue)).subtracting([
            "oversized", "conflicting_reading",
        ])
        #expect(reasons == fromDevices)
    }

    @Test("an oversized payload is refused before it is parsed")
    func oversized() {
        let big = Data(repeating: UInt8(ascii: " "), count: 70_000)
        #expect(throws: Rejection(.oversized, "the payload is 70000 bytes; the limit is 65536 bytes")) {
            try decoder.prepare(topic: "telekit/HV10-00017/hv10", payload: big)
        }
    }

    @Test("invalid UTF-8 and NUL bytes are malformed JSON, not a crash")
    func invalidBytes() {
        for payload in [
            Data([0xFF, 0xFE, 0x7B, 0x7D]), Data([0x7B, 0x00, 0x7D]), Data("{\"serial\": \"HV10\u{0}\"".utf8),
        ] {
            #expect(throws: Rejection.self) { try decoder.prepare(topic: "telekit/HV10-00017/hv10", payload: payload) }
        }
    }

    @Test("a pounds scale keeps the original value and unit beside the canonical one")
    func keepsOriginal() throws {
        let message = try decoder.prepare(
            topic: "telekit/SC300-A1/sc300",
            payload: Data(#"{"device": "SC300-A1", "t": 1795155123, "w_lb": 181.7}"#.utf8))
        let reading = try #require(message.readings.first)
        #expect(reading.original == Quantity(181.7, .pound))
        #expect(reading.canonical.unit == .kilogram)
        #expect(abs(reading.canonical.value - 82.4177) < 0.0001)
        #expect(message.messageID == nil)
        #expect(message.serial == "SC300-A1")
    }

    @Test("the rejection message says what was wrong, with the numbers")
    func readableReason() {
        #expect {
            try decoder.prepare(
                topic: "telekit/HV10-00017/hv10",
                payload: Data(
                    #"{"serial": "HV10-00017", "msg_id": "m", "measured": "2026-11-20T07:12:03+01:00", "weight": 700, "unit": "kg"}"#
                        .utf8))
        } throws: { error in
            let text = (error as? Rejection)?.message ?? ""
            return text.contains("700.0 kg") && text.contains("20.0 kg–350.0 kg")
        }
    }
}
