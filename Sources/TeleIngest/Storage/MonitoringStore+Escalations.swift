import Foundation
import GRDB
import MonitoringRecords
import StoreInterface
import ThresholdRules

extension MonitoringStore {
    /// Records an escalation and marks the patient's open flags escalated, audited in the same
    /// transaction. A patient has at most one unanswered escalation.
    @discardableResult
    public func escalate(
        patientID: PatientID, reason: String, brief: String, hotlineOpen: Bool, by clinician: Clinician,
        at now: Date? = nil
    ) throws -> Escalation {
        let now = now ?? clock.now()
        let operation = "escalating patient \(patientID)"
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw StoreError(operation, "a reason is required: why the hotline should look") }
        return try database.write { db in
            try requireMonitoredPatient(patientID, operation: operation, db: db)
            if let pending = try Row.fetchOne(
                db, sql: "SELECT id, escalated_at FROM escalation WHERE patient_id = ? AND answered_at IS NULL",
                arguments: [patientID])
            {
                let at = Date(millisecondsSince1970: pending["escalated_at"])
                throw StoreError(
                    operation,
                    "escalation \(pending["id"] as Int64) from \(at.formatted(.iso8601)) is not answered yet; record its answer first",
                    code: .conflict)
            }
            let flagIDs = try Int64.fetchAll(
                db, sql: "SELECT id FROM flag WHERE patient_id = ? AND state = 'open' ORDER BY id",
                arguments: [patientID])
            let stamp = now.millisecondsSince1970
            try db.execute(
                sql: """
                    INSERT INTO escalation (patient_id, reason, brief, flag_ids, hotline_open, escalated_by, escalated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [patientID, reason, brief, Self.idList(flagIDs), hotlineOpen, clinician.name, stamp])
            let id = db.lastInsertedRowID
            try db.execute(
                sql: "UPDATE flag SET state = 'escalated', updated_at = ? WHERE patient_id = ? AND state = 'open'",
                arguments: [stamp, patientID])
            try audit(
                .escalated, by: clinician, patientID: patientID,
                detail: Escalation.auditDetail(id: id, flagIDs: flagIDs, hotlineOpen: hotlineOpen),
                at: now, db: db)
            return Escalation(
                id: id, patientID: patientID, reason: reason, brief: brief, flagIDs: flagIDs, hotlineOpen: hotlineOpen,
                escalatedBy: clinician.name, escalatedAt: now)
        }
    }

    /// Records the cardiologist's answer: the decision, any personal settings (through the same
    /// audited path as `addPersonalSetting`), and closes the escalated flags with the decision as
    /// their comment. Only a cardiologist may answer.
    @discardableResult
    public func answer(
        escalationID: Int64, decision: Escalation.Decision, medicationChange: String? = nil, comment: String? = nil,
        nextReview: String? = nil, settings: [PersonalSetting] = [], ruleSet: RuleSet?, by clinician: Clinician,
        at now: Date? = nil
    ) throws -> Escalation {
        let now = now ?? clock.now()
        let operation = "recording the answer to escalation \(escalationID)"
        let (medication, comment) = try Escalation.checkAnswer(
            decision: decision, medicationChange: medicationChange, comment: comment, nextReview: nextReview,
            settings: settings, by: clinician, operation: operation)
        guard let current = try escalation(id: escalationID) else {
            throw StoreError(operation, "no escalation with this id", code: .notFound)
        }
        let reason = try current.checkAnswerable(
            decision, settings: settings, by: clinician, ruleSet: ruleSet, operation: operation)
        return try database.write { db in
            let settingIDs = try settings.map {
                try insertPersonalSetting(
                    patientID: current.patientID, $0, reason: reason, by: clinician, at: now, db: db
                ).id
            }
            let stamp = now.millisecondsSince1970
            try db.execute(
                sql: """
                    UPDATE escalation SET decision = ?, medication_change = ?, answer_comment = ?, next_review = ?,
                        setting_ids = ?, answered_by = ?, answered_at = ?
                    WHERE id = ? AND answered_at IS NULL
                    """,
                arguments: [
                    decision.rawValue, medication, comment, nextReview, Self.idList(settingIDs), clinician.name, stamp,
                    escalationID,
                ])
            guard db.changesCount == 1 else {
                throw StoreError(operation, "answered by someone else meanwhile", code: .conflict)
            }
            let closing = Escalation.closingComment(decision, medicationChange: medication)
            try db.execute(
                sql: """
                    UPDATE flag SET state = 'closed', closed_at = ?, closed_by = ?, close_comment = ?, updated_at = ?
                    WHERE patient_id = ? AND state = 'escalated'
                    """,
                arguments: [stamp, clinician.name, closing, stamp, current.patientID])
            try audit(
                .escalationAnswered, by: clinician, patientID: current.patientID,
                detail: Escalation.answerDetail(id: escalationID, decision: decision, settingIDs: settingIDs),
                at: now, db: db)
            return try escalations(patientID: current.patientID, db: db).first { $0.id == escalationID }!
        }
    }

    /// One escalation with its answer, if any.
    public func escalation(id: Int64) throws -> Escalation? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM escalation WHERE id = ?", arguments: [id]).map(
                Escalation.init(row:))
        }
    }

    /// A patient's escalations, newest first.
    public func escalations(patientID: PatientID) throws -> [Escalation] {
        try database.read { db in try escalations(patientID: patientID, db: db) }
    }

    func escalations(patientID: PatientID, db: Database) throws -> [Escalation] {
        try Row.fetchAll(
            db, sql: "SELECT * FROM escalation WHERE patient_id = ? ORDER BY escalated_at DESC, id DESC",
            arguments: [patientID]
        ).map(Escalation.init(row:))
    }

    static func idList(_ ids: [Int64]) -> String {
        "[" + ids.map(String.init).joined(separator: ",") + "]"
    }

    static func parseIDList(_ text: String?) -> [Int64] {
        guard let text else { return [] }
        return text.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).split(separator: ",").compactMap {
            Int64($0.trimmingCharacters(in: .whitespaces))
        }
    }

}

extension Escalation {
    init(row: Row) {
        let answeredAt: Int64? = row["answered_at"]
        self.init(
            id: row["id"], patientID: row["patient_id"], reason: row["reason"], brief: row["brief"],
            flagIDs: MonitoringStore.parseIDList(row["flag_ids"]), hotlineOpen: row["hotline_open"],
            escalatedBy: row["escalated_by"], escalatedAt: Date(millisecondsSince1970: row["escalated_at"]),
            answer: answeredAt.map { at in
                Answer(
                    decision: Decision(rawValue: row["decision"]) ?? .noChange,
                    medicationChange: row["medication_change"], comment: row["answer_comment"],
                    nextReview: row["next_review"], settingIDs: MonitoringStore.parseIDList(row["setting_ids"]),
                    answeredBy: row["answered_by"], answeredAt: Date(millisecondsSince1970: at))
            })
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
