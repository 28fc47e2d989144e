import Foundation
import MonitoringRecords
import PostgresNIO
import StoreInterface

extension PostgresMonitoringStore {
    /// How `requireMonitoredPatient` locks the patient's row.
    enum PatientLock: String {
        /// Other actions on the patient may go on; an end of monitoring waits.
        case share = "FOR SHARE"
        /// Everything else on the patient waits.
        case update = "FOR UPDATE"
    }

    /// The patient under a row lock until the transaction ends, refusing `operation` for an
    /// unknown patient and for one whose monitoring has ended (read-only until reopened).
    @discardableResult
    func requireMonitoredPatient(
        _ patientID: PatientID, operation: String, lock: PatientLock = .share, unknown: String? = nil,
        on connection: PostgresConnection
    ) async throws -> Patient {
        let patient = try await existingPatient(
            patientID, operation: operation, lock: lock, unknown: unknown, on: connection)
        try patient.requireMonitored(operation)
        return patient
    }

    /// The patient with the end of monitoring in force, under a row lock until the transaction
    /// ends; refuses `operation` for an unknown patient (`unknown`: what to say then).
    func existingPatient(
        _ patientID: PatientID, operation: String, lock: PatientLock, unknown: String? = nil,
        on connection: PostgresConnection
    ) async throws -> Patient {
        try await connection.query(
            "SELECT 1 FROM patient WHERE id = \(patientID) \(unescaped: lock.rawValue)", logger: logger)
        guard
            let patient = try await collect(
                connection.query(
                    "SELECT \(unescaped: Self.patientColumns) FROM patient_monitoring WHERE id = \(patientID)",
                    logger: logger)
            ).first
        else {
            throw StoreError(operation, unknown ?? "no patient with id '\(patientID)'", code: .notFound)
        }
        return patient
    }

    @discardableResult
    public func endMonitoring(
        patientID: PatientID, reason: MonitoringEnd.Reason, comment: String?, by clinician: Clinician, at: Date? = nil
    ) async throws -> MonitoringEnd {
        let now = (at ?? clock.now()).wholeMilliseconds
        let stamp = now.millisecondsSince1970
        let operation = "ending the monitoring of patient \(patientID)"
        return try await failing(operation) {
            try await client.withTransaction(logger: logger) { connection in
                let patient = try await requireMonitoredPatient(
                    patientID, operation: operation, lock: .update, on: connection)
                var later: [String] = []
                for try await serial in try await connection.query(
                    """
                    SELECT serial FROM pairing WHERE patient_id = \(patientID) AND valid_from >= instant(\(stamp))
                    ORDER BY serial
                    """, logger: logger
                ).decode(String.self) {
                    later.append(serial)
                }
                let end = try MonitoringEnd.checked(
                    reason: reason, comment: comment, by: clinician, at: now, patient: patient, laterPairings: later,
                    operation: operation)
                var unpaired: [String] = []
                for try await serial in try await connection.query(
                    """
                    UPDATE pairing SET valid_to = instant(\(stamp))
                    WHERE patient_id = \(patientID) AND (valid_to IS NULL OR valid_to > instant(\(stamp)))
                    RETURNING serial
                    """, logger: logger
                ).decode(String.self) {
                    unpaired.append(serial)
                }
                var closed: [Int64] = []
                for try await id in try await connection.query(
                    """
                    UPDATE flag SET state = 'closed', closed_at = instant(\(stamp)), closed_by = \(clinician.name),
                        close_comment = \(MonitoringEnd.flagComment(reason)), updated_at = instant(\(stamp))
                    WHERE patient_id = \(patientID) AND state = 'open' RETURNING id
                    """, logger: logger
                ).decode(Int64.self) {
                    closed.append(id)
                }
                try await connection.query(
                    """
                    INSERT INTO monitoring_end (patient_id, reason, comment, ended_by, ended_at)
                    VALUES (\(patientID), \(reason.rawValue), \(end.comment), \(clinician.name), instant(\(stamp)))
                    """, logger: logger)
                try await audit(
                    .monitoringEnded, by: clinician, patientID: patientID,
                    detail: MonitoringEnd.auditDetail(
                        reason: reason, unpaired: unpaired.sorted(), closedFlags: closed.sorted()),
                    at: now, on: connection)
                return end
            }
        }
    }

    @discardableResult
    public func reopenMonitoring(patientID: PatientID, by clinician: Clinician, at: Date? = nil) async throws
        -> MonitoringEnd
    {
        let now = (at ?? clock.now()).wholeMilliseconds
        let operation = "reopening the monitoring of patient \(patientID)"
        return try await failing(operation) {
            try await client.withTransaction(logger: logger) { connection in
                let patient = try await existingPatient(patientID, operation: operation, lock: .update, on: connection)
                let (end, now) = try MonitoringEnd.checkReopening(patient, at: now, operation: operation)
                try await connection.query(
                    """
                    UPDATE monitoring_end SET reopened_by = \(clinician.name),
                        reopened_at = instant(\(now.millisecondsSince1970))
                    WHERE patient_id = \(patientID) AND reopened_at IS NULL
                    """, logger: logger)
                try await audit(
                    .monitoringReopened, by: clinician, patientID: patientID, detail: MonitoringEnd.reopenDetail(end),
                    at: now, on: connection)
                return end
            }
        }
    }
}
