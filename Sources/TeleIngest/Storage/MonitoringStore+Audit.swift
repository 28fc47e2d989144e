import Foundation
import GRDB
import MonitoringRecords

extension MonitoringStore {
    /// Records a view or an action by `clinician`. Views use this directly; actions are recorded
    /// by the store method that performs them, in the same transaction.
    public func recordAudit(
        _ action: AuditEntry.Action, by clinician: Clinician, patientID: PatientID?, detail: String, at now: Date? = nil
    ) throws {
        let now = now ?? clock.now()
        try database.write { db in
            try audit(action, by: clinician, patientID: patientID, detail: detail, at: now, db: db)
        }
    }

    public func recordOperatorAudit(
        _ action: AuditEntry.Action, account: String, patientID: PatientID?, detail: String
    ) throws {
        try database.write { db in
            try db.execute(
                sql:
                    "INSERT INTO audit_log (at, user, role, action, patient_id, detail) VALUES (?, ?, 'operator', ?, ?, ?)",
                arguments: [clock.now().millisecondsSince1970, account, action.rawValue, patientID, detail])
        }
    }

    func audit(
        _ action: AuditEntry.Action, by clinician: Clinician, patientID: PatientID?, detail: String, at now: Date,
        db: Database
    ) throws {
        try db.cachedStatement(
            sql: "INSERT INTO audit_log (at, user, role, action, patient_id, detail) VALUES (?, ?, ?, ?, ?, ?)"
        ).execute(arguments: [
            now.millisecondsSince1970, clinician.name, clinician.role.rawValue, action.rawValue, patientID, detail,
        ])
    }

    /// The audit log, oldest first, optionally for one patient and limited to the newest `limit`.
    public func auditLog(patientID: PatientID? = nil, limit: Int? = nil) throws -> [AuditEntry] {
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
