import Foundation
import MonitoringRecords
import StoreInterface
import Testing
import ThresholdRules

/// A flag's evidence is kept as JSON in one text column and read and written for every open flag
/// in every ingest batch; the store does it without Foundation's coders, so it must agree with
/// them both ways.
@Suite struct FlagEvidenceTests {
    /// The same entries as Foundation's encoder writes them (keys in declaration order).
    private struct Entry: Codable, Equatable {
        var at: Int64
        var rule: String
        var severity: Severity
        var explanation: String
        var readings: [Int64]?
    }

    private static func evidence(_ explanation: String, rule: String = "personal-deviation") -> [FlagBook.Evidence] {
        [
            FlagBook.Evidence(
                at: Date(millisecondsSince1970: 1_795_000_000_000), ruleID: "weight-gain-3d", severity: .red,
                explanation: "weight +2.4 kg in 3 days: 80.1 kg (12/1) → 82.5 kg (15/1)",
                readingIDs: [17, 23, 9_007_199_254]),
            FlagBook.Evidence(
                at: Date(millisecondsSince1970: 1_795_086_400_000), ruleID: rule, severity: .yellow,
                explanation: explanation, readingIDs: []),
        ]
    }

    @Test(
        "written and read back, and read by Foundation's decoder as the same entries",
        arguments: [
            "morning pulse +10 /min: 74 /min over 3 days against a usual 64 /min, 2.8× this patient's usual variation",
            "systolic BP −12 mmHg; better than usual: weight −0.8",
            #"a "quoted" word and a back\slash"#,
            "a line\nand a tab\there, a carriage return\r",
            "a control character \u{01} and \u{1f}",
            "Æblegård, naïve, e\u{301}, 心, 🫀",
            "",
        ])
    func roundTrip(explanation: String) throws {
        let evidence = Self.evidence(explanation)
        let text = FlagEvidence.encode(evidence)
        #expect(FlagEvidence.decode(text) == evidence)
        let entries = try JSONDecoder().decode([Entry].self, from: Data(text.utf8))
        #expect(entries.map(\.explanation) == evidence.map(\.explanation))
        #expect(entries.map(\.at) == [1_795_000_000_000, 1_795_086_400_000])
        #expect(entries.map(\.rule) == ["weight-gain-3d", "personal-deviation"])
        #expect(entries.map(\.severity) == [.red, .yellow])
        #expect(entries.map(\.readings) == [[17, 23, 9_007_199_254], []])
    }

    @Test("evidence kept before it listed its readings reads back without them, and is written so again")
    func withoutReadings() {
        let text = #"[{"at":5,"rule":"r","severity":"yellow","explanation":"x"}]"#
        let evidence = FlagEvidence.decode(text)
        #expect(evidence?.first?.readingIDs == nil)
        #expect(evidence.map(FlagEvidence.encode) == text)
        #expect(
            FlagEvidence.decode(#"[{"at":5,"rule":"r","severity":"yellow","explanation":"x","readings":[1,"2"]}]"#)
                == nil)
    }

    @Test("what Foundation's encoder wrote (escaped slashes, \\u escapes) reads the same")
    func readsFoundationsJSON() throws {
        let evidence = Self.evidence("pulse 120 /min on 1/2 is above the red limit 110 /min\u{02}", rule: "pulse/range")
        let entries = evidence.map {
            Entry(
                at: $0.at.millisecondsSince1970, rule: $0.ruleID, severity: $0.severity, explanation: $0.explanation,
                readings: $0.readingIDs)
        }
        let text = String(decoding: try JSONEncoder().encode(entries), as: UTF8.self)
        #expect(text.contains(#"\/min"#))
        #expect(FlagEvidence.decode(text) == evidence)
    }

    @Test(
        "other layouts of the same JSON read the same",
        arguments: [
            #"[ {"explanation": "w\u00e6ight", "severity": "yellow", "rule": "r", "at": 5} ]"#,
            #"[{"at":5,"rule":"r","severity":"yellow","explanation":"w\u00e6ight"}]"#,
            "[{\"at\":5,\"rule\":\"r\",\"severity\":\"yellow\",\"explanation\":\"wæight\"}]",
        ])
    func otherLayouts(text: String) {
        #expect(
            FlagEvidence.decode(text) == [
                FlagBook.Evidence(
                    at: Date(millisecondsSince1970: 5), ruleID: "r", severity: .yellow, explanation: "wæight")
            ])
    }

    @Test(
        "text that is not evidence gives nil",
        arguments: [
            nil, "", "[1,2,3]", "{}", #"[{"at":5,"rule":"r","severity":"purple","explanation":"x"}]"#,
            #"[{"at":5,"rule":"r","severity":"red"}]"#, #"[{"at":5,"rule":"r","severity":"red","explanation":"x"}"#,
        ] as [String?])
    func notEvidence(text: String?) {
        #expect(FlagEvidence.decode(text) == nil)
    }

    @Test(
        "any text, quoted, reads back through Foundation's decoder",
        arguments: ["", "plain", #"quote " and backslash \ and slash /"#, "\u{0}\u{7}\u{1b}\u{7f}", "e\u{301}🫀\n"])
    func quoted(text: String) throws {
        let literal = JSONText.quoted(text)
        #expect(try JSONDecoder().decode([String].self, from: Data("[\(literal)]".utf8)) == [text])
    }

    @Test("no evidence is an empty array")
    func empty() {
        #expect(FlagEvidence.encode([]) == "[]")
        #expect(FlagEvidence.decode("[]") == [])
    }
}
