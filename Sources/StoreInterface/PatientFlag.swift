import DevicePayloads
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
/// `[{"at":1795000000000,"rule":"weight-gain-3d","severity":"red","explanation":"…","readings":[17,23]}]`;
/// evidence written before it listed its readings has no `readings`.
///
/// Read and written for every open flag of every patient in every ingest batch, so neither
/// direction goes through Foundation's JSON coders, which were about a tenth of the ingest's
/// processing time (docs/PERFORMANCE.md): written with `JSONText`, read with the payload path's
/// own parser (`JSONValue.parse`), which takes any layout of the same JSON.
public enum FlagEvidence {
    public static func encode(_ evidence: [FlagBook.Evidence]) -> String {
        var text = "["
        for (index, item) in evidence.sorted(by: { ($0.at, $0.ruleID) < ($1.at, $1.ruleID) }).enumerated() {
            if index > 0 { text += "," }
            text += "{\"at\":\(item.at.millisecondsSince1970),\"rule\":"
            text += JSONText.quoted(item.ruleID)
            text += ",\"severity\":\"\(item.severity.rawValue)\",\"explanation\":"
            text += JSONText.quoted(item.explanation)
            if let readingIDs = item.readingIDs {
                text += ",\"readings\":[" + readingIDs.map(String.init).joined(separator: ",") + "]"
            }
            text += "}"
        }
        return text + "]"
    }

    /// `nil` for a flag written before evidence was kept (or text that is not evidence).
    public static func decode(_ text: String?) -> [FlagBook.Evidence]? {
        guard let text, case .array(let items)? = try? JSONValue.parse(Data(text.utf8)) else { return nil }
        var evidence: [FlagBook.Evidence] = []
        evidence.reserveCapacity(items.count)
        for item in items {
            guard case .object(let fields) = item, case .integer(let at)? = fields["at"],
                case .string(let rule)? = fields["rule"], case .string(let severity)? = fields["severity"],
                let severity = Severity(rawValue: severity), case .string(let explanation)? = fields["explanation"]
            else { return nil }
            var readingIDs: [Int64]?
            if case .array(let listed)? = fields["readings"] {
                readingIDs = []
                for id in listed {
                    guard case .integer(let id) = id else { return nil }
                    readingIDs?.append(id)
                }
            }
            evidence.append(
                FlagBook.Evidence(
                    at: Date(millisecondsSince1970: at), ruleID: rule, severity: severity, explanation: explanation,
                    readingIDs: readingIDs))
        }
        return evidence
    }
}
