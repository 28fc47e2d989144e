import Foundation
import GRDB
import MonitoringRecords
import StoreInterface
import ThresholdRules
import Vitals

extension MonitoringStore {
    /// Open and escalated flags by severity (`red`, `yellow`), counted from the index alone.
    public func openFlagCounts() throws -> [String: Int] {
        try database.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(
                db,
                sql: "SELECT severity, count(*) FROM flag WHERE state IN ('open', 'escalated') GROUP BY severity")
            {
                counts[row[0]] = row[1]
            }
            return counts
        }
    }

    /// Flags, newest first, optionally of one patient and one state.
    public func flags(patientID: PatientID? = nil, state: PatientFlag.State? = nil) throws -> [PatientFlag] {
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

    /// One flag, or `nil`.
    public func flag(id: Int64) throws -> PatientFlag? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM flag WHERE id = ?", arguments: [id]).map(PatientFlag.init(row:))
        }
    }

    /// A nurse's acknowledgement: closes an open flag with who and a comment, and writes it to the
    /// audit log in the same transaction. A red flag needs a comment; an escalated flag waits for
    /// the cardiologist's answer and cannot be acknowledged.
    @discardableResult
    public func acknowledge(
        flagID: Int64, by clinician: Clinician, comment: String?, shown: PatientFlag? = nil, at now: Date? = nil
    ) throws -> PatientFlag {
        let now = now ?? clock.now()
        let user = clinician.name
        let operation = "acknowledging flag \(flagID)"
        return try database.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM flag WHERE id = ?", arguments: [flagID]) else {
                throw StoreError(operation, "no flag with this id", code: .notFound)
            }
            let flag = PatientFlag(row: row)
            let text = try flag.checkAcknowledgement(comment: comment, shown: shown, operation: operation)
            try db.execute(
                sql:
                    "UPDATE flag SET state = 'closed', closed_at = ?, closed_by = ?, close_comment = ?, updated_at = ? WHERE id = ?",
                arguments: [
                    now.millisecondsSince1970, user, text, now.millisecondsSince1970, flagID,
                ])
            try audit(
                .flagAcknowledged, by: clinician, patientID: flag.patientID,
                detail: flag.acknowledgementDetail(comment: text), at: now, db: db)
            return try PatientFlag(row: Row.fetchOne(db, sql: "SELECT * FROM flag WHERE id = ?", arguments: [flagID])!)
        }
    }

    /// Per problem, the newest evidence of a patient's closed flags (argument: the patient),
    /// answered by `flag_by_patient` alone: it runs for every patient in every batch.
    static let closedEvidenceQuery =
        "SELECT problem, MAX(evidence_at) FROM flag WHERE patient_id = ? AND state = 'closed' GROUP BY problem"

    /// `escalated` as stored, compared without making a string of every flag's state.
    private static let escalatedState = Array(PatientFlag.State.escalated.rawValue.utf8)

    /// The patient's flag book: open flags, and per rule the newest evidence already closed.
    /// `ruleOrder`: each rule's place in the rule set, for naming a flag's strongest evidence.
    /// `problems`: only the flags of these problems, when the caller's decisions concern no
    /// other (`FlagBook` touches a problem's flag only through a decision about that problem):
    /// the rules' decisions after a batch leave the missing-data flags alone, and their evidence
    /// need not be decoded for every patient in every batch.
    func flagBook(patientID: PatientID, db: Database, ruleOrder: [String: Int] = [:], problems: Set<String>? = nil)
        throws -> FlagBook
    {
        // Read straight from SQLite by column position: this runs for every patient in every
        // batch.
        var open: [FlagBook.OpenFlag] = []
        let patient = { (bindings: inout StatementBindings) in bindings.bind(patientID.rawValue) }
        let wanted = problems.map { $0.map { Array($0.utf8) } }
        func isWanted(_ row: StatementColumns, column: Int32) -> Bool {
            guard let wanted else { return true }
            return wanted.contains { row.text(column, equals: $0) }
        }
        try StatementBindings.rows(
            of: db.cachedStatement(
                sql: """
                    SELECT id, rule_id, rule_set_version, measurement, severity, explanation, reading_ids, evidence_at,
                           supports, back_in_range_at, state, problem, evidence
                    FROM flag WHERE patient_id = ? AND state IN ('open', 'escalated')
                    """), in: db, patient
        ) { row in
            guard isWanted(row, column: 11) else { return }
            let ruleID = row.text(1) ?? ""
            let severity = row.text(4).flatMap(Severity.init(rawValue:)) ?? .yellow
            let explanation = row.text(5) ?? ""
            let evidence =
                FlagEvidence.decode(row.text(12))
                ?? IDList.parse(row.text(8) ?? "").map {
                    FlagBook.Evidence(
                        at: Date(millisecondsSince1970: $0), ruleID: ruleID, severity: severity,
                        explanation: explanation)
                }
            open.append(
                FlagBook.OpenFlag(
                    id: row.int(0), problem: row.text(11), ruleID: ruleID, ruleSetVersion: Int(row.int(2)),
                    measurement: row.readingKind(3) ?? .weight, severity: severity,
                    explanation: explanation, readingIDs: IDList.parse(row.text(6) ?? ""),
                    evidenceAt: Date(millisecondsSince1970: row.int(7)), evidence: evidence,
                    backInRangeAt: row.optionalInt(9).map(Date.init(millisecondsSince1970:)),
                    escalated: row.text(10, equals: Self.escalatedState)))
        }
        var closed: [String: Date] = [:]
        try StatementBindings.rows(of: db.cachedStatement(sql: Self.closedEvidenceQuery), in: db, patient) { row in
            if isWanted(row, column: 0), let problem = row.text(0) {
                closed[problem] = Date(millisecondsSince1970: row.int(1))
            }
        }
        return FlagBook(open: open, closedThrough: closed, ruleOrder: ruleOrder)
    }

    /// Writes what changed in the book: withdrawn flags, updated flags, new flags. Returns the
    /// ids of the flags it opened.
    @discardableResult
    func save(_ book: FlagBook, patientID: PatientID, db: Database, now: Date) throws -> [Int64] {
        var opened: [Int64] = []
        let stamp = now.millisecondsSince1970
        for flag in book.withdrawn {
            guard let id = flag.id else { continue }
            try db.cachedStatement(
                sql:
                    "UPDATE flag SET state = 'withdrawn', closed_at = ?, close_comment = ?, updated_at = ? WHERE id = ? AND state = 'open'"
            ).execute(arguments: [stamp, "withdrawn: late readings showed the rule does not fire", stamp, id])
        }
        for flag in book.open.values.sorted(by: { $0.problem < $1.problem }) where flag.changed {
            let ids = IDList.text(flag.readingIDs)
            let supports = IDList.text(flag.supports.map(\.millisecondsSince1970).sorted())
            let evidence = FlagEvidence.encode(flag.evidence)
            if let id = flag.id {
                try db.cachedStatement(
                    sql: """
                        UPDATE flag SET rule_id = ?, severity = ?, explanation = ?, reading_ids = ?, evidence_at = ?,
                            supports = ?, evidence = ?, back_in_range_at = ?, rule_set_version = ?, updated_at = ?
                        WHERE id = ?
                        """
                ).execute(arguments: [
                    flag.ruleID, flag.severity.rawValue, flag.explanation, ids, flag.evidenceAt.millisecondsSince1970,
                    supports, evidence, flag.backInRangeAt?.millisecondsSince1970, flag.ruleSetVersion, stamp, id,
                ])
            } else {
                try db.cachedStatement(
                    sql: """
                        INSERT INTO flag (patient_id, problem, rule_id, rule_set_version, measurement, severity, state,
                                          explanation, reading_ids, evidence_at, supports, evidence, back_in_range_at,
                                          opened_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [
                    patientID, flag.problem, flag.ruleID, flag.ruleSetVersion, flag.measurement.rawValue,
                    flag.severity.rawValue, flag.explanation, ids, flag.evidenceAt.millisecondsSince1970, supports,
                    evidence, flag.backInRangeAt?.millisecondsSince1970, stamp, stamp,
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
        let ids = IDList.parse(row["reading_ids"])
        let ruleID: String = row["rule_id"]
        let severity = Severity(rawValue: row["severity"]) ?? .yellow
        let explanation: String = row["explanation"]
        let evidence =
            FlagEvidence.decode(row["evidence"])
            ?? [
                FlagBook.Evidence(
                    at: Date(millisecondsSince1970: row["evidence_at"]), ruleID: ruleID, severity: severity,
                    explanation: explanation)
            ]
        let book = FlagBook()
        self.init(
            id: row["id"], patientID: row["patient_id"], problem: row["problem"] ?? ruleID, ruleID: ruleID,
            ruleSetVersion: row["rule_set_version"],
            measurement: ReadingKind(rawValue: row["measurement"]) ?? .weight,
            severity: severity,
            state: State(rawValue: row["state"]) ?? .open, explanation: explanation,
            evidence: evidence.sorted { book.stronger($0, than: $1) }, readingIDs: ids,
            evidenceAt: Date(millisecondsSince1970: row["evidence_at"]),
            backInRangeAt: back.map(Date.init(millisecondsSince1970:)),
            openedAt: Date(millisecondsSince1970: row["opened_at"]),
            updatedAt: Date(millisecondsSince1970: row["updated_at"]),
            closedAt: closed.map(Date.init(millisecondsSince1970:)), closedBy: row["closed_by"],
            closeComment: row["close_comment"])
    }
}
