import DevicePayloads
import Foundation
import Testing

@testable import TeleIngest

@Suite struct JSONValueTests {
    static func parse(_ text: String) throws -> JSONValue {
        try JSONValue.parse(Data(text.utf8))
    }

    @Test(
        "valid JSON becomes the value it says",
        arguments: [
            ("{}", JSONValue.object([:])),
            ("[]", .array([])),
            (
                " {\"a\" : [1, -2, 3.5, 1e2, true, false, null]} ",
                .object([
                    "a": .array([
                        .integer(1), .integer(-2), .number(3.5), .number(100), .bool(true), .bool(false), .null,
                    ])
                ])
            ),
            ("\"caf\\u00e9 \\ud83d\\ude00 \\n\\t\\\"\\\\/\"", .string("café 😀 \n\t\"\\/")),
            ("\"Søren Æbelø\"", .string("Søren Æbelø")),
            ("9223372036854775807", .integer(Int64.max)),
            ("9223372036854775808", .number(9_223_372_036_854_775_808)),
            ("1795155641000", .integer(1_795_155_641_000)),
            ("-0.0", .number(-0.0)),
            ("0", .integer(0)),
        ])
    func valid(text: String, expected: JSONValue) throws {
        #expect(try Self.parse(text) == expected)
    }

    @Test(
        "anything that is not strict JSON is refused",
        arguments: [
            "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{'a':1}", "NaN", "Infinity", "-Infinity", "1e309", "-1e309", "01",
            "1.", ".5", "+1", "1e", "\"unterminated", "\"bad \\x escape\"", "\"\\ud800 lone surrogate\"", "\"\\udc00\"",
            "tru", "nul", "{\"a\" 1}", "[1 2]", "{} {}", "\"tab\tinside\"", "{\"a\":1}garbage",
        ])
    func invalid(text: String) {
        #expect(throws: JSONValue.ParseError.self) { try Self.parse(text) }
    }

    @Test("invalid UTF-8 and NUL bytes are refused")
    func invalidBytes() {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(Data([0x22, 0xFF, 0xFE, 0x22])) }
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(Data([0x22, 0x61, 0x00, 0x22])) }
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(Data([0x7B, 0x00, 0x7D])) }
    }

    @Test("nesting is bounded, so a hostile payload cannot exhaust the stack")
    func depth() throws {
        let ok =
            String(repeating: "[", count: JSONValue.maximumDepth)
            + String(repeating: "]", count: JSONValue.maximumDepth)
        #expect(throws: Never.self) { try Self.parse(ok) }
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONValue.ParseError.self) { try Self.parse(deep) }
    }

    @Test("paths reach into objects and lists")
    func paths() throws {
        let value = try Self.parse(#"{"body": {"list": [{"v": 1}, {"v": 2}]}}"#)
        #expect(value[path: FieldPath("body.list.1.v")!] == .integer(2))
        #expect(value[path: FieldPath("body.list.2.v")!] == nil)
        #expect(value[path: FieldPath("body.missing")!] == nil)
    }
}
