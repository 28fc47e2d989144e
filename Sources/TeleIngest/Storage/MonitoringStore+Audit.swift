import Foundation
import GRDB
import MonitoringRecords

/// One line of the audit log: who did or looked at what, when, and for which patient.
public struct AuditEntry: Sendable, Hashable, Codable {
    /// What happened. The raw values are what the log stores and what `audit` prints.
    public enum Action: String, Sendable, Hashable, Codable, CaseIterable {
        case worklistViewed = "worklist.view"
        case patientViewed = "patient.view"
        case briefViewed = "escalation.brief.view"
        case auditViewed = "audit.view"
        case flagAcknowledged = "flag.acknowledge"
        case noteWritten = "note.write"
        case patientReviewed = "patient.review"
        case escalated = "escalation.create"
        case escalationAnswered = "escalation.answer"
        case thresholdChanged = "threshold.change"
        case measurementPlanChanged = "plan.change"
        case refused = "refused"
    }

    public var id: Int64
    public var at: Date
    public var user: String
    public var role: String
    public var action: Action
    /// The patient concerned; `nil` for views of many patients (the worklist).
    public var patientID: String?
    /// What exactly, in words and ids ("flag 12 (weight-gain-3d, red)").
    public var detail: String
}

extension MonitoringStore {
    /// Records a view or an action by `clinician`. Views use this directly; actions are recorded
    /// by the store method that performs them, in the same transaction.
    public func recordAudit(
        _ action: AuditEntry.Action, by clinician: Clinician, patientID: String?, detail: String, at now: Date? = nil
    ) throws {
        let now = now ?? clock.now()
        try database.write { db in
            try audit(action, by: clinician, patientID: patientID, detail: detail, at: now, db: db)
        }
    }

    func audit(
        _ action: AuditEntry.Action, by clinician: Clinician, patientID: String?, detail: String, at now: Date,
        db: Database
    ) throws {
        try db.cachedStatement(
            sql: "INSERT INTO audit_log (at, user, role, action, patient_id, detail) VALUES (?, ?, ?, ?, ?, ?)"
        ).execute(arguments: [
            now.millisecondsSince1970, clinician.name, clinician.role.rawValue, action.rawValue, patientID, detail,
        ])
    }

    /// The audit log, oldest first, optionally for one patient and limited to the newest `limit`.
    public func auditLog(patientID: String? = nil, limit: Int? = nil) throws -> [AuditEntry] {
        try database.read { db in
            var sql = "SELECT * FROM audit_log"
            var arguments: StatementArguments = []
            if let patientID {
                sql += " WHERE patient_id = ?"
                _ = arguments.append(contentsOf: [patientID])
            }
            sql += " ORDER BY id DESC"
            if let limit { sql += " LIMIT \(max(0, limit))" }
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                AuditEntry(
                    id: row["id"], at: Date(millisecondsSince1970: row["at"]), user: row["user"], role: row["role"],
                    action: AuditEntry.Action(rawValue: row["action"]) ?? .refused, patientID: row["patient_id"],
                    detail: row["detail"])
            }.reversed()
        }
    }
}
