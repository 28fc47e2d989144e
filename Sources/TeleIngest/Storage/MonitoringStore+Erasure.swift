import Foundation
import GRDB
import MonitoringRecords
import StoreInterface

extension MonitoringStore: PatientErasure {
    public func erasureFootprint(patientID: PatientID) throws -> PatientFootprint? {
        try database.read { db in try footprint(patientID, db: db) }
    }

    @discardableResult
    public func erasePatient(
        id: PatientID, basis: ErasureBasis, reason: String, account: String, policy: ErasurePolicy
    ) throws -> PatientErasureRecord {
        let operation = "erasing patient \(id)"
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw StoreError(operation, "give the reason (--reason)") }
        let now = clock.now().wholeMilliseconds
        return try database.write { db in
            guard let footprint = try footprint(id, db: db) else {
                throw StoreError(operation, "no patient with id '\(id)'", code: .notFound)
            }
            if let refusal = policy.refusal(patientID: id, footprint: footprint, basis: basis, at: now) {
                throw StoreError(operation, refusal, code: .notAllowed)
            }
            let record = PatientErasureRecord(
                patientID: id, basis: basis, reason: reason, erasedBy: account, erasedAt: now, removed: footprint)
            let stamp = now.millisecondsSince1970
            // First the erasure's own row: the append-only tables' triggers let this patient's
            // rows go once it exists.
            try db.execute(
                sql: """
                    INSERT INTO patient_erasure (patient_id, basis, reason, erased_by, erased_at, removed)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [id, basis.rawValue, reason, account, stamp, try footprint.jsonText()])
            let messages = try Int64.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT journal_id FROM reading WHERE patient_id = :p
                    UNION SELECT journal_id FROM quarantine WHERE id IN (\(Self.quarantinedWhilePaired))
                    """,
                arguments: ["p": id])
            try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
            try db.execute(
                sql: "DELETE FROM quarantine WHERE id IN (\(Self.quarantinedWhilePaired))", arguments: ["p": id])
            for table in PatientErasureRecord.erasedTables {
                try db.execute(sql: "DELETE FROM \(table) WHERE patient_id = ?", arguments: [id])
            }
            try db.execute(sql: "DELETE FROM patient WHERE id = ?", arguments: [id])
            try db.execute(
                sql: "UPDATE audit_log SET detail = ? WHERE patient_id = ?",
                arguments: [PatientErasureRecord.blankedAuditDetail, id])
            if !messages.isEmpty {
                try removePayloads(
                    where: "id IN (\(messages.map(String.init).joined(separator: ",")))", arguments: [], at: stamp,
                    db: db)
            }
            try db.execute(
                sql:
                    "INSERT INTO audit_log (at, user, role, action, patient_id, detail) VALUES (?, ?, 'operator', ?, ?, ?)",
                arguments: [stamp, account, AuditEntry.Action.patientErased.rawValue, id, record.auditDetail])
            return record
        }
    }

    public func erasures() throws -> [PatientErasureRecord] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM patient_erasure ORDER BY erased_at, patient_id").map { row in
                PatientErasureRecord(
                    patientID: row["patient_id"], basis: ErasureBasis(rawValue: row["basis"]) ?? .retentionOver,
                    reason: row["reason"], erasedBy: row["erased_by"],
                    erasedAt: Date(millisecondsSince1970: row["erased_at"]),
                    removed: try PatientFootprint(jsonText: row["removed"]))
            }
        }
    }

    /// The quarantined messages from the patient's (`:p`) devices received while they were
    /// paired to the patient.
    static let quarantinedWhilePaired = """
        SELECT q.id FROM quarantine q
        JOIN journal j ON j.id = q.journal_id
        JOIN pairing p ON p.serial = q.serial AND p.patient_id = :p
            AND j.received_at >= p.valid_from AND (p.valid_to IS NULL OR j.received_at < p.valid_to)
        """

    func footprint(_ id: PatientID, db: Database) throws -> PatientFootprint? {
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT
                        (SELECT count(*) FROM reading WHERE patient_id = :p),
                        (SELECT count(*) FROM flag WHERE patient_id = :p),
                        (SELECT count(*) FROM note WHERE patient_id = :p),
                        (SELECT count(*) FROM review WHERE patient_id = :p),
                        (SELECT count(*) FROM escalation WHERE patient_id = :p),
                        (SELECT count(*) FROM personal_setting WHERE patient_id = :p),
                        (SELECT count(*) FROM reminder WHERE patient_id = :p),
                        (SELECT count(*) FROM pairing WHERE patient_id = :p),
                        (SELECT count(*) FROM monitoring_end WHERE patient_id = :p),
                        (SELECT count(*) FROM patient_change WHERE patient_id = :p),
                        (SELECT count(*) FROM notification WHERE patient_id = :p),
                        (SELECT count(*) FROM quarantine WHERE id IN (\(Self.quarantinedWhilePaired))),
                        (SELECT count(*) FROM journal WHERE payload_removed_at IS NULL AND id IN (
                            SELECT journal_id FROM reading WHERE patient_id = :p
                            UNION SELECT journal_id FROM quarantine WHERE id IN (\(Self.quarantinedWhilePaired)))),
                        (SELECT count(*) FROM audit_log WHERE patient_id = :p),
                        (SELECT count(*) FROM audit_log WHERE patient_id = :p AND action IN (\(Self.clinicalActions))),
                        max(created_at,
                            coalesce((SELECT max(received_at) FROM reading WHERE patient_id = :p), 0),
                            coalesce((SELECT max(updated_at) FROM flag WHERE patient_id = :p), 0),
                            coalesce((SELECT max(written_at) FROM note WHERE patient_id = :p), 0),
                            coalesce((SELECT max(reviewed_at) FROM review WHERE patient_id = :p), 0),
                            coalesce((SELECT max(max(escalated_at, coalesce(answered_at, 0))) FROM escalation
                                      WHERE patient_id = :p), 0),
                            coalesce((SELECT max(set_at) FROM personal_setting WHERE patient_id = :p), 0),
                            coalesce((SELECT max(max(ended_at, coalesce(reopened_at, 0))) FROM monitoring_end
                                      WHERE patient_id = :p), 0),
                            coalesce((SELECT max(changed_at) FROM patient_change WHERE patient_id = :p), 0)),
                        EXISTS (SELECT 1 FROM monitoring_end WHERE patient_id = :p AND reopened_at IS NULL)
                    FROM patient WHERE id = :p
                    """,
                arguments: ["p": id])
        else { return nil }
        var footprint = PatientFootprint(newestEntry: Date(millisecondsSince1970: row[15]))
        (footprint.readings, footprint.flags, footprint.notes, footprint.reviews) = (row[0], row[1], row[2], row[3])
        (footprint.escalations, footprint.personalSettings, footprint.reminders) = (row[4], row[5], row[6])
        (footprint.pairings, footprint.monitoringEnds, footprint.registrationChanges) = (row[7], row[8], row[9])
        (footprint.notifications, footprint.quarantined, footprint.journalPayloads) = (row[10], row[11], row[12])
        (footprint.auditEntries, footprint.clinicalActions) = (row[13], row[14])
        footprint.monitoringEnded = row[16]
        return footprint
    }

    /// The clinical actions' raw values as an SQL list (constants, not input).
    static var clinicalActions: String {
        AuditEntry.Action.clinical.map { "'\($0.rawValue)'" }.joined(separator: ", ")
    }
}
