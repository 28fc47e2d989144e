import Foundation
import GRDB
import MonitoringRecords
import StoreInterface

extension MonitoringStore {
    /// Registers a patient. Refuses a duplicate id, a malformed CPR number or an unknown zone.
    /// `monitoringStart` (default: now, by the store's clock) starts the measurement plan's daily phase.
    @discardableResult
    public func addPatient(
        id: PatientID, name: String, cpr: String? = nil, timeZone: String = Patient.defaultTimeZone,
        monitoringStart: Date? = nil
    ) throws -> Patient {
        let operation = "adding patient \(id)"
        let patient = try Patient.checked(
            id: id, name: name, cpr: cpr, timeZone: timeZone, createdAt: clock.now(), monitoringStart: monitoringStart)
        try database.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM patient WHERE id = ?", arguments: [id]) == true {
                throw StoreError(operation, "a patient with this id exists already", code: .conflict)
            }
            if let erased = try Int64.fetchOne(
                db, sql: "SELECT erased_at FROM patient_erasure WHERE patient_id = ?", arguments: [id])
            {
                throw StoreError(
                    operation, Patient.erasedIDReason(erasedAt: Date(millisecondsSince1970: erased)), code: .conflict)
            }
            try db.execute(
                sql:
                    "INSERT INTO patient (id, name, cpr, time_zone, created_at, monitoring_start) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [
                    patient.id, patient.name, patient.cpr, patient.timeZone, patient.createdAt.millisecondsSince1970,
                    patient.monitoringStart.millisecondsSince1970,
                ])
        }
        return patient
    }

    /// All patients, by id.
    public func patients() throws -> [Patient] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM patient_monitoring ORDER BY id").map(Patient.init(row:))
        }
    }

    /// One patient, or `nil`.
    public func patient(id: PatientID) throws -> Patient? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM patient_monitoring WHERE id = ?", arguments: [id]).map(
                Patient.init(row:))
        }
    }
}

extension Patient {
    /// A row of `patient_monitoring` (a row of `patient` alone has no end).
    init(row: Row) {
        let start: Int64? = row["monitoring_start"]
        self.init(
            id: row["id"], name: row["name"], cpr: row["cpr"], timeZone: row["time_zone"],
            createdAt: Date(millisecondsSince1970: row["created_at"]),
            monitoringStart: start.map(Date.init(millisecondsSince1970:)),
            monitoringEnd: row.hasColumn("end_reason") ? MonitoringEnd(row: row) : nil, team: row["team"])
    }
}

extension MonitoringEnd {
    /// The end columns of a `patient_monitoring` row; `nil` while the patient is monitored.
    init?(row: Row) {
        guard let reason: String = row["end_reason"], let reason = Reason(rawValue: reason) else { return nil }
        self.init(
            reason: reason, comment: row["end_comment"], endedBy: row["ended_by"],
            endedAt: Date(millisecondsSince1970: row["ended_at"]))
    }
}

extension MonitoringStore {
    @discardableResult
    public func editPatient(id: PatientID, _ edit: PatientEdit, reason: String, account: String) throws -> Patient {
        let operation = "editing patient \(id)"
        let now = clock.now().wholeMilliseconds
        return try database.write { db in
            let patient = try existingPatient(id, operation: operation, db: db)
            let (edited, changes) = try edit.applied(to: patient, reason: reason, operation: operation)
            try db.execute(
                sql: "UPDATE patient SET name = ?, cpr = ?, time_zone = ?, monitoring_start = ? WHERE id = ?",
                arguments: [
                    edited.name, edited.cpr, edited.timeZone, edited.monitoringStart.millisecondsSince1970, id,
                ])
            for change in changes {
                try db.execute(
                    sql: """
                        INSERT INTO patient_change (patient_id, field, old_value, new_value, reason, changed_by, changed_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        id, change.field, change.oldValue, change.newValue, reason, account,
                        now.millisecondsSince1970,
                    ])
            }
            try db.execute(
                sql:
                    "INSERT INTO audit_log (at, user, role, action, patient_id, detail) VALUES (?, ?, 'operator', ?, ?, ?)",
                arguments: [
                    now.millisecondsSince1970, account, AuditEntry.Action.patientEdited.rawValue, id,
                    PatientEdit.auditDetail(changes, reason: reason),
                ])
            return edited
        }
    }

    public func patientChanges(id: PatientID) throws -> [PatientChangeRecord] {
        try database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM patient_change WHERE patient_id = ? ORDER BY id", arguments: [id]
            ).map { row in
                PatientChangeRecord(
                    change: PatientEdit.Change(
                        field: row["field"], oldValue: row["old_value"], newValue: row["new_value"]),
                    reason: row["reason"], changedBy: row["changed_by"],
                    changedAt: Date(millisecondsSince1970: row["changed_at"]))
            }
        }
    }
}
