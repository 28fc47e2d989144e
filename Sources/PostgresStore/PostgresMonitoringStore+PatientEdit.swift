import Foundation
import MonitoringRecords
import PostgresNIO
import StoreInterface

extension PostgresMonitoringStore {
    @discardableResult
    public func editPatient(id: PatientID, _ edit: PatientEdit, reason: String, account: String) async throws -> Patient
    {
        let operation = "editing patient \(id)"
        let now = clock.now().wholeMilliseconds
        return try await failing(operation) {
            try await client.withTransaction(logger: logger) { connection in
                let patient = try await existingPatient(id, operation: operation, lock: .update, on: connection)
                let (edited, changes) = try edit.applied(to: patient, reason: reason, operation: operation)
                try await connection.query(
                    """
                    UPDATE patient SET name = \(edited.name), cpr = \(edited.cpr), time_zone = \(edited.timeZone),
                        monitoring_start = \(edited.monitoringStart)
                    WHERE id = \(id)
                    """, logger: logger)
                for change in changes {
                    try await connection.query(
                        """
                        INSERT INTO patient_change (patient_id, field, old_value, new_value, reason, changed_by, changed_at)
                        VALUES (\(id), \(change.field), \(change.oldValue), \(change.newValue), \(reason), \(account), \(now))
                        """, logger: logger)
                }
                try await connection.query(
                    """
                    INSERT INTO audit_log (at, "user", role, action, patient_id, detail)
                    VALUES (\(now), \(account), 'operator', \(AuditEntry.Action.patientEdited.rawValue), \(id),
                            \(PatientEdit.auditDetail(changes, reason: reason)))
                    """, logger: logger)
                return edited
            }
        }
    }

    public func patientChanges(id: PatientID) async throws -> [PatientChangeRecord] {
        try await failing("reading the change history of patient \(id)") {
            var records: [PatientChangeRecord] = []
            for try await (field, old, new, reason, by, at) in try await client.query(
                """
                SELECT field, old_value, new_value, reason, changed_by, changed_at FROM patient_change
                WHERE patient_id = \(id) ORDER BY id
                """, logger: logger
            ).decode((String, String?, String?, String, String, Date).self) {
                records.append(
                    PatientChangeRecord(
                        change: PatientEdit.Change(field: field, oldValue: old, newValue: new), reason: reason,
                        changedBy: by, changedAt: at))
            }
            return records
        }
    }
}
