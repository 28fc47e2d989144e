import Foundation
import MonitoringRecords
import PostgresNIO
import StoreInterface

extension PostgresMonitoringStore: PatientErasure {
    public func erasureFootprint(patientID: PatientID) async throws -> PatientFootprint? {
        try await failing("reading what is held on patient \(patientID)") {
            try await client.withConnection { connection in try await footprint(patientID, on: connection) }
        }
    }

    @discardableResult
    public func erasePatient(
        id: PatientID, basis: ErasureBasis, reason: String, account: String, policy: ErasurePolicy
    ) async throws -> PatientErasureRecord {
        let operation = "erasing patient \(id)"
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw StoreError(operation, "give the reason (--reason)") }
        let now = clock.now().wholeMilliseconds
        return try await failing(operation) {
            try await client.withTransaction(logger: logger) { connection in
                var allowed = false
                for try await granted in try await connection.query(
                    "SELECT has_table_privilege('reading', 'DELETE') AND has_table_privilege('patient', 'DELETE')",
                    logger: logger
                ).decode(Bool.self) {
                    allowed = granted
                }
                guard allowed else {
                    throw StoreError(
                        operation,
                        "erasing needs the role that owns the schema (the one tele-ingest migrate runs as); this session's role may not delete readings",
                        code: .notAllowed)
                }
                _ = try await existingPatient(id, operation: operation, lock: .update, on: connection)
                guard let footprint = try await footprint(id, on: connection) else {
                    throw StoreError(operation, "no patient with id '\(id)'", code: .notFound)
                }
                if let refusal = policy.refusal(patientID: id, footprint: footprint, basis: basis, at: now) {
                    throw StoreError(operation, refusal, code: .notAllowed)
                }
                let record = PatientErasureRecord(
                    patientID: id, basis: basis, reason: reason, erasedBy: account, erasedAt: now,
                    removed: footprint)
                // First the erasure's own row: the append-only tables' triggers let this
                // patient's rows go once it exists.
                try await connection.query(
                    """
                    INSERT INTO patient_erasure (patient_id, basis, reason, erased_by, erased_at, removed)
                    VALUES (\(id), \(basis.rawValue), \(reason), \(account), \(now), \(try footprint.jsonText()))
                    """, logger: logger)
                try await connection.query(
                    """
                    WITH quarantined AS (\(unescaped: Self.quarantinedWhilePaired(id))),
                    messages AS (
                        SELECT journal_id AS id FROM reading WHERE patient_id = \(id)
                        UNION SELECT journal_id FROM quarantine WHERE id IN (SELECT id FROM quarantined)
                    ), emptied AS (
                        UPDATE journal SET payload = '\\x'::bytea, payload_removed_at = \(now)
                        WHERE id IN (SELECT id FROM messages) AND payload_removed_at IS NULL RETURNING id
                    )
                    DELETE FROM quarantine WHERE id IN (SELECT id FROM quarantined)
                    """, logger: logger)
                for table in PatientErasureRecord.erasedTables {
                    try await connection.query(
                        "DELETE FROM \(unescaped: table) WHERE patient_id = \(id)", logger: logger)
                }
                try await connection.query("DELETE FROM patient WHERE id = \(id)", logger: logger)
                try await connection.query(
                    """
                    UPDATE audit_log SET detail = \(PatientErasureRecord.blankedAuditDetail)
                    WHERE patient_id = \(id)
                    """, logger: logger)
                try await connection.query(
                    """
                    INSERT INTO audit_log (at, "user", role, action, patient_id, detail)
                    VALUES (\(now), \(account), 'operator', \(AuditEntry.Action.patientErased.rawValue), \(id),
                            \(record.auditDetail))
                    """, logger: logger)
                return record
            }
        }
    }

    public func erasures() async throws -> [PatientErasureRecord] {
        try await failing("listing erasures") {
            var records: [PatientErasureRecord] = []
            for try await (id, basis, reason, by, at, removed) in try await client.query(
                """
                SELECT patient_id, basis, reason, erased_by, erased_at, removed FROM patient_erasure
                ORDER BY erased_at, patient_id
                """, logger: logger
            ).decode((String, String, String, String, Date, String).self) {
                records.append(
                    PatientErasureRecord(
                        patientID: PatientID(rawValue: id), basis: ErasureBasis(rawValue: basis) ?? .retentionOver,
                        reason: reason, erasedBy: by, erasedAt: at, removed: try PatientFootprint(jsonText: removed)))
            }
            return records
        }
    }

    /// The quarantined messages from the patient's devices received while they were paired to
    /// the patient (as the SQLite store's). `id` is a checked patient id, quoted as a literal.
    static func quarantinedWhilePaired(_ id: PatientID) -> String {
        """
        SELECT q.id FROM quarantine q
        JOIN journal j ON j.id = q.journal_id
        JOIN pairing p ON p.serial = q.serial AND p.patient_id = \(literal(id.rawValue))
            AND j.received_at >= p.valid_from AND (p.valid_to IS NULL OR j.received_at < p.valid_to)
        """
    }

    private static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    func footprint(_ id: PatientID, on connection: PostgresConnection) async throws -> PatientFootprint? {
        let clinical = AuditEntry.Action.clinical.map(\.rawValue)
        var footprint: PatientFootprint?
        let rows = try await connection.query(
            """
            WITH quarantined AS (\(unescaped: Self.quarantinedWhilePaired(id)))
            SELECT ARRAY[
                (SELECT count(*) FROM reading WHERE patient_id = \(id)),
                (SELECT count(*) FROM flag WHERE patient_id = \(id)),
                (SELECT count(*) FROM note WHERE patient_id = \(id)),
                (SELECT count(*) FROM review WHERE patient_id = \(id)),
                (SELECT count(*) FROM escalation WHERE patient_id = \(id)),
                (SELECT count(*) FROM personal_setting WHERE patient_id = \(id)),
                (SELECT count(*) FROM reminder WHERE patient_id = \(id)),
                (SELECT count(*) FROM pairing WHERE patient_id = \(id)),
                (SELECT count(*) FROM monitoring_end WHERE patient_id = \(id)),
                (SELECT count(*) FROM patient_change WHERE patient_id = \(id)),
                (SELECT count(*) FROM notification WHERE patient_id = \(id)),
                (SELECT count(*) FROM quarantined),
                (SELECT count(*) FROM journal WHERE payload_removed_at IS NULL AND id IN (
                    SELECT journal_id FROM reading WHERE patient_id = \(id)
                    UNION SELECT journal_id FROM quarantine WHERE id IN (SELECT id FROM quarantined))),
                (SELECT count(*) FROM audit_log WHERE patient_id = \(id)),
                (SELECT count(*) FROM audit_log WHERE patient_id = \(id) AND action = ANY(\(clinical)))]::bigint[],
                greatest(created_at,
                    (SELECT max(received_at) FROM reading WHERE patient_id = \(id)),
                    (SELECT max(updated_at) FROM flag WHERE patient_id = \(id)),
                    (SELECT max(written_at) FROM note WHERE patient_id = \(id)),
                    (SELECT max(reviewed_at) FROM review WHERE patient_id = \(id)),
                    (SELECT max(greatest(escalated_at, answered_at)) FROM escalation WHERE patient_id = \(id)),
                    (SELECT max(set_at) FROM personal_setting WHERE patient_id = \(id)),
                    (SELECT max(greatest(ended_at, reopened_at)) FROM monitoring_end WHERE patient_id = \(id)),
                    (SELECT max(changed_at) FROM patient_change WHERE patient_id = \(id))),
                EXISTS (SELECT 1 FROM monitoring_end WHERE patient_id = \(id) AND reopened_at IS NULL)
            FROM patient WHERE id = \(id)
            """, logger: logger)
        for try await (counts, newest, ended) in rows.decode(([Int64], Date, Bool).self) {
            let count = counts.map { Int($0) }
            var found = PatientFootprint(newestEntry: newest)
            (found.readings, found.flags, found.notes, found.reviews) = (count[0], count[1], count[2], count[3])
            (found.escalations, found.personalSettings, found.reminders) = (count[4], count[5], count[6])
            (found.pairings, found.monitoringEnds, found.registrationChanges) = (count[7], count[8], count[9])
            (found.notifications, found.quarantined, found.journalPayloads) = (count[10], count[11], count[12])
            (found.auditEntries, found.clinicalActions) = (count[13], count[14])
            found.monitoringEnded = ended
            footprint = found
        }
        return footprint
    }
}
