import Foundation
import MonitoringRecords
import ThresholdRules
import Vitals

/// A flag as stored and listed.
public struct PatientFlag: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Codable, CaseIterable {
        /// Waiting for a nurse.
        case open
        /// Sent to the hotline; stays open until the cardiologist's answer is recorded.
        case escalated
        /// Closed by a person.
        case closed
        /// Withdrawn by the rules before anyone acted on it: late readings showed the rule does
        /// not fire on the complete data. Kept for the record.
        case withdrawn
    }

    public var id: Int64
    public var patientID: PatientID
    /// What the flag is about (`Rule.problem`): one open flag per patient and problem.
    public var problem: String
    /// The rule whose evidence the flag names: its strongest.
    public var ruleID: String
    public var ruleSetVersion: Int
    public var measurement: ReadingKind
    public var severity: Severity
    public var state: State
    /// Why, in numbers: the strongest evidence.
    public var explanation: String
    /// Everything the flag rests on, strongest first: one entry per rule and day that fired
    /// while it was open ("also seen by").
    public var evidence: [FlagBook.Evidence]
    /// The readings behind it.
    public var readingIDs: [Int64]
    /// Measurement time of the newest evidence.
    public var evidenceAt: Date
    /// Set when the newest data no longer meets the rule; a person still closes the flag.
    public var backInRangeAt: Date?
    public var openedAt: Date
    public var updatedAt: Date
    public var closedAt: Date?
    public var closedBy: String?
    public var closeComment: String?

    public init(
        id: Int64, patientID: PatientID, problem: String, ruleID: String, ruleSetVersion: Int, measurement: ReadingKind,
        severity: Severity, state: State, explanation: String, evidence: [FlagBook.Evidence], readingIDs: [Int64],
        evidenceAt: Date, backInRangeAt: Date?, openedAt: Date, updatedAt: Date, closedAt: Date?, closedBy: String?,
        closeComment: String?
    ) {
        self.id = id
        self.patientID = patientID
        self.problem = problem
        self.ruleID = ruleID
        self.ruleSetVersion = ruleSetVersion
        self.measurement = measurement
        self.severity = severity
        self.state = state
        self.explanation = explanation
        self.evidence = evidence
        self.readingIDs = readingIDs
        self.evidenceAt = evidenceAt
        self.backInRangeAt = backInRangeAt
        self.openedAt = openedAt
        self.updatedAt = updatedAt
        self.closedAt = closedAt
        self.closedBy = closedBy
        self.closeComment = closeComment
    }

    /// The strongest evidence of each other rule that saw the same problem while the flag was
    /// open, strongest first: "also seen by".
    public var alsoSeenBy: [FlagBook.Evidence] {
        var seen: Set<String> = [ruleID]
        return evidence.filter { seen.insert($0.ruleID).inserted }
    }
}

/// A flag's evidence as stored: a JSON array of objects, instants in milliseconds,
/// `[{"at":1795000000000,"rule":"weight-gain-3d","severity":"red","explanation":"…"}]`.
///
/// Read and written for every open flag of every patient in every ingest batch, so both
/// directions are done here directly: through Foundation's JSON coders they were about a tenth
/// of the ingest's processing time (docs/PERFORMANCE.md). Text this reader does not expect (other
/// whitespace, escapes such as `\u00e6`, more keys) goes to Foundation's decoder instead, so any
/// JSON of this shape reads the same.
public enum FlagEvidence {
    private struct Entry: Codable {
        var at: Int64
        var rule: String
        var severity: Severity
        var explanation: String
    }

    public static func encode(_ evidence: [FlagBook.Evidence]) -> String {
        var text = "["
        for (index, item) in evidence.sorted(by: { ($0.at, $0.ruleID) < ($1.at, $1.ruleID) }).enumerated() {
            if index > 0 { text += "," }
            text += "{\"at\":\(item.at.millisecondsSince1970),\"rule\":"
            text += JSONText.quoted(item.ruleID)
            text += ",\"severity\":\"\(item.severity.rawValue)\",\"explanation\":"
            text += JSONText.quoted(item.explanation)
            text += "}"
        }
        return text + "]"
    }

    /// `nil` for a flag written before evidence was kept (or text that is not evidence).
    public static func decode(_ text: String?) -> [FlagBook.Evidence]? {
        guard var text else { return nil }
        if let fast = text.withUTF8({ bytes in
            var scanner = EvidenceScanner(bytes: bytes)
            return scanner.entries()
        }) {
            return fast
        }
        guard let entries = try? JSONDecoder().decode([Entry].self, from: Data(text.utf8)) else { return nil }
        return entries.map {
            FlagBook.Evidence(
                at: Date(millisecondsSince1970: $0.at), ruleID: $0.rule, severity: $0.severity,
                explanation: $0.explanation)
        }
    }
}

/// Reads evidence as `FlagEvidence.encode` writes it; `nil` for anything else.
private struct EvidenceScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func entries() -> [FlagBook.Evidence]? {
        guard take(UInt8(ascii: "[")) else { return nil }
        var result: [FlagBook.Evidence] = []
        if take(UInt8(ascii: "]")) { return position == bytes.count ? result : nil }
        repeat {
            guard let entry = entry() else { return nil }
            result.append(entry)
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "]")) && position == bytes.count ? result : nil
    }

    private mutating func entry() -> FlagBook.Evidence? {
        guard take(UInt8(ascii: "{")) else { return nil }
        var at: Int64?
        var rule: String?
        var severity: Severity?
        var explanation: String?
        repeat {
            guard let key = string(), take(UInt8(ascii: ":")) else { return nil }
            switch key {
            case "at": at = integer()
            case "rule": rule = string()
            case "severity": severity = string().flatMap(Severity.init(rawValue:))
            case "explanation": explanation = string()
            default: return nil
            }
        } while take(UInt8(ascii: ","))
        guard take(UInt8(ascii: "}")), let at, let rule, let severity, let explanation else { return nil }
        return FlagBook.Evidence(
            at: Date(millisecondsSince1970: at), ruleID: rule, severity: severity, explanation: explanation)
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    private mutating func integer() -> Int64? {
        let negative = take(UInt8(ascii: "-"))
        var value: Int64 = 0
        let start = position
        while position < bytes.count, case let digit = bytes[position], digit >= UInt8(ascii: "0"),
            digit <= UInt8(ascii: "9")
        {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int64(digit - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            position += 1
        }
        guard position > start else { return nil }
        return negative ? -value : value
    }

    /// A string with the escapes `encode` writes (`\"`, `\\`, `\n`, `\r`, `\t`, `\/`); `nil`
    /// for any other escape.
    private mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        var plainStart = position
        // Filled only once an escape is met; a string without one is decoded straight from the text.
        var unescaped: [UInt8] = []
        var escaped = false
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let tail = UnsafeBufferPointer(rebasing: bytes[plainStart..<position])
                position += 1
                guard escaped else { return String(decoding: tail, as: UTF8.self) }
                unescaped.append(contentsOf: tail)
                return String(decoding: unescaped, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                guard position + 1 < bytes.count else { return nil }
                let replacement: UInt8
                switch bytes[position + 1] {
                case UInt8(ascii: "\""): replacement = UInt8(ascii: "\"")
                case UInt8(ascii: "\\"): replacement = UInt8(ascii: "\\")
                case UInt8(ascii: "/"): replacement = UInt8(ascii: "/")
                case UInt8(ascii: "n"): replacement = UInt8(ascii: "\n")
                case UInt8(ascii: "r"): replacement = UInt8(ascii: "\r")
                case UInt8(ascii: "t"): replacement = UInt8(ascii: "\t")
                default: return nil
                }
                unescaped.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[plainStart..<position]))
                unescaped.append(replacement)
                escaped = true
                position += 2
                plainStart = position
                continue
            }
            if byte < 0x20 { return nil }
            position += 1
        }
        return nil
    }
}
