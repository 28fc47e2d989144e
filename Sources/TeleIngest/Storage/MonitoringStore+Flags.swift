import Foundation
import GRDB
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
    }

    public var id: Int64
    public var patientID: String
    public var ruleID: String
    public var ruleSetVersion: Int
    public var measurement: ReadingKind
    public var severity: Severity
    public var state: State
    /// Why, in numbers.
    public var explanation: String
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
}

extension MonitoringStore {
    /// Flags, newest first, optionally of one patient and one state.
    public func flags(patientID: String? = nil, state: PatientFlag.State? = nil) throws -> [PatientFlag] {
        try database.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let patientID {
                conditions.append("patient_id = ?")
                _ = arguments.append(contentsOf: [patientID])
            }
            if let state {
                conditions.append("state = ?")
                _ = arguments.append(contentsOf: [state.rawValue])
            }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            return try Row.fetchAll(
                db, sql: "SELECT * FROM flag \(filter) ORDER BY opened_at DESC, id DESC", arguments: arguments
            )
            .map(PatientFlag.init(row:))
        }
    }

    /// A nurse's acknowledgement: closes an open flag with who and a comment. A red flag needs a
    /// comment; an escalated flag waits for the cardiologist's answer and cannot be acknowledged.
    @discardableResult
    public func acknowledge(flagID: Int64, by user: String, comment: String?, at now: Date = Date()) throws
        -> PatientFlag
    {
        let operation = "acknowledging flag \(flagID)"
        return try database.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM flag WHERE id = ?", arguments: [flagID]) else {
                throw StoreError(operation, "no flag with this id")
            }
            let flag = PatientFlag(row: row)
            switch flag.state {
            case .closed: throw StoreError(operation, "the flag was closed already by \(flag.closedBy ?? "someone")")
            case .escalated:
                throw StoreError(
                    operation, "the flag is escalated; it closes when the cardiologist's answer is recorded")
            case .open: break
            }
            let text = comment?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if flag.severity == .red, text.isEmpty {
                throw StoreError(operation, "a red flag needs a comment: what was done or agreed")
            }
            try db.execute(
                sql:
                    "UPDATE flag SET state = 'closed', closed_at = ?, closed_by = ?, close_comment = ?, updated_at = ? WHERE id = ?",
                arguments: [
                    now.millisecondsSince1970, user, text.isEmpty ? nil : text, now.millisecondsSince1970, flagID,
                ])
            return try PatientFlag(row: Row.fetchOne(db, sql: "SELECT * FROM flag WHERE id = ?", arguments: [flagID])!)
        }
    }

    /// The patient's flag book: open flags, and per rule the newest evidence already closed.
    func flagBook(patientID: String, db: Database) throws -> FlagBook {
        let open = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM flag WHERE patient_id = ? AND state != 'closed'"),
            arguments: [patientID]
        ).map { row in
            let flag = PatientFlag(row: row)
            return FlagBook.OpenFlag(
                id: flag.id, ruleID: flag.ruleID, ruleSetVersion: flag.ruleSetVersion, measurement: flag.measurement,
                severity: flag.severity, explanation: flag.explanation, readingIDs: flag.readingIDs,
                evidenceAt: flag.evidenceAt,
                backInRangeAt: flag.backInRangeAt)
        }
        var closed: [String: Date] = [:]
        for row in try Row.fetchAll(
            db.cachedStatement(
                sql:
                    "SELECT rule_id, MAX(evidence_at) AS evidence FROM flag WHERE patient_id = ? AND state = 'closed' GROUP BY rule_id"
            ),
            arguments: [patientID])
        {
            closed[row["rule_id"]] = Date(millisecondsSince1970: row["evidence"])
        }
        return FlagBook(open: open, closedThrough: closed)
    }

    /// Writes what changed in the book; returns the ids of flags it opened.
    @discardableResult
    func save(_ book: FlagBook, patientID: String, db: Database, now: Date) throws -> [Int64] {
        var opened: [Int64] = []
        let encoder = JSONEncoder()
        for flag in book.open.values.sorted(by: { $0.ruleID < $1.ruleID }) where flag.changed {
            let ids = String(decoding: try encoder.encode(flag.readingIDs), as: UTF8.self)
            if let id = flag.id {
                try db.cachedStatement(
                    sql: """
                        UPDATE flag SET severity = ?, explanation = ?, reading_ids = ?, evidence_at = ?, back_in_range_at = ?,
                            rule_set_version = ?, updated_at = ? WHERE id = ?
                        """
                ).execute(arguments: [
                    flag.severity.rawValue, flag.explanation, ids, flag.evidenceAt.millisecondsSince1970,
                    flag.backInRangeAt?.millisecondsSince1970, flag.ruleSetVersion, now.millisecondsSince1970, id,
                ])
            } else {
                try db.cachedStatement(
                    sql: """
                        INSERT INTO flag (patient_id, rule_id, rule_set_version, measurement, severity, state, explanation,
                                          reading_ids, evidence_at, back_in_range_at, opened_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [
                    patientID, flag.ruleID, flag.ruleSetVersion, flag.measurement.rawValue, flag.severity.rawValue,
                    flag.explanation, ids, flag.evidenceAt.millisecondsSince1970,
                    flag.backInRangeAt?.millisecondsSince1970,
                    now.millisecondsSince1970, now.millisecondsSince1970,
                ])
                opened.append(db.lastInsertedRowID)
            }
        }
        return opened
    }
}

extension PatientFlag {
    init(row: Row) {
        let back: Int64? = row["back_in_range_at"]
        let closed: Int64? = row["closed_at"]
        let ids = (try? JSONDecoder().decode([Int64].self, from: Data((row["reading_ids"] as String).utf8))) ?? []
        self.init(
            id: row["id"], patientID: row["patient_id"], ruleID: row["rule_id"],
            ruleSetVersion: row["rule_set_version"],
            measurement: ReadingKind(rawValue: row["measurement"]) ?? .weight,
            severity: Severity(rawValue: row["severity"]) ?? .yellow,
            state: State(rawValue: row["state"]) ?? .open, explanation: row["explanation"], readingIDs: ids,
            evidenceAt: Date(millisecondsSince1970: row["evidence_at"]),
            backInRangeAt: back.map(Date.init(millisecondsSince1970:)),
            openedAt: Date(millisecondsSince1970: row["opened_at"]),
            updatedAt: Date(millisecondsSince1970: row["updated_at"]),
            closedAt: closed.map(Date.init(millisecondsSince1970:)), closedBy: row["closed_by"],
            closeComment: row["close_comment"])
    }
}
