import Foundation
import MonitoringRecords
import PostgresNIO
import StoreInterface
import ThresholdRules

extension PostgresMonitoringStore: AuditTrail, PersonalSettingsLedger {
    public func recordAudit(
        _ action: AuditEntry.Action, by clinician: Clinician, patientID: PatientID?, detail: String, at: Date? = nil
    ) async throws {
        let at = (at ?? clock.now()).wholeMilliseconds
        try await failing("recording \(action.rawValue) in the audit log") {
            try await client.withConnection { connection in
                try await audit(action, by: clinician, patientID: patientID, detail: detail, at: at, on: connection)
            }
        }
    }

    public func recordOperatorAudit(
        _ action: AuditEntry.Action, account: String, patientID: PatientID?, detail: String
    ) async throws {
        let at = clock.now().wholeMilliseconds
        try await failing("recording \(action.rawValue) in the audit log") {
            try await client.query(
                """
                INSERT INTO audit_log (at, "user", role, action, patient_id, detail)
                VALUES (\(at), \(account), 'operator', \(action.rawValue), \(patientID), \(detail))
                """, logger: logger)
        }
    }

    public func auditLog(patientID: PatientID? = nil, limit: Int? = nil) async throws -> [AuditEntry] {
        try await failing("reading the audit log") {
            let limit = Int64(max(0, limit ?? Int(Int32.max)))
            var entries: [AuditEntry] = []
            for try await (id, at, user, role, action, patient, detail) in try await client.query(
                """
                SELECT id, at, "user", role, action, patient_id, detail FROM audit_log
                WHERE \(patientID)::text IS NULL OR patient_id = \(patientID)
                ORDER BY id DESC LIMIT \(limit)
                """, logger: logger
            ).decode((Int64, Date, String, String, String, PatientID?, String).self) {
                entries.append(
                    AuditEntry(
                        id: id, at: at, user: user, role: role, action: AuditEntry.Action(rawValue: action) ?? .refused,
                        patientID: patient, detail: detail))
            }
            return entries.reversed()
        }
    }

    @discardableResult
    public func addPersonalSetting(
        patientID: PatientID, _ setting: PersonalSetting, reason: String, by clinician: Clinician, ruleSet: RuleSet?,
        at: Date? = nil
    ) async throws -> PersonalSettingRecord {
        let now = (at ?? clock.now()).wholeMilliseconds
        let operation = "recording a personal setting for patient \(patientID)"
        try PersonalSettingRecord.check(patientID: patientID, setting, reason: reason, by: clinician, ruleSet: ruleSet)
        return try await failing(operation) {
            try await client.withTransaction(logger: logger) { connection in
                try await insertPersonalSetting(
                    patientID: patientID, setting, reason: reason, by: clinician, at: now, on: connection)
            }
        }
    }

    /// Appends a checked setting with the ids of the patient's flags open now and its audit
    /// entry, inside the caller's transaction. Refuses an unknown patient.
    func insertPersonalSetting(
        patientID: PatientID, _ setting: PersonalSetting, reason: String, by clinician: Clinician, at now: Date,
        on connection: PostgresConnection
    ) async throws -> PersonalSettingRecord {
        let operation = "recording a personal setting for patient \(patientID)"
        let columns = PersonalSettingColumns(setting.change)
        let validFrom = setting.validFrom.wholeMilliseconds
        let until = columns.until?.wholeMilliseconds
        let known = try await connection.query("SELECT 1 FROM patient WHERE id = \(patientID)", logger: logger)
            .collect()
        guard !known.isEmpty else { throw StoreError(operation, "no patient with this id", code: .notFound) }
        var open: [Int64] = []
        for try await id in try await connection.query(
            """
            SELECT id FROM flag WHERE patient_id = \(patientID) AND state IN ('open', 'escalated') ORDER BY id
            """, logger: logger
        ).decode(Int64.self) {
            open.append(id)
        }
        var id: Int64 = 0
        for try await value in try await connection.query(
            """
            INSERT INTO personal_setting
                (patient_id, kind, rule_id, parameter, value, until, valid_from, reason, set_by, set_at, open_flags)
            VALUES (\(patientID), \(columns.kind), \(columns.ruleID), \(columns.parameter), \(columns.value),
                    \(until), \(validFrom), \(reason), \(clinician.name), \(now), \(open))
            RETURNING id
            """, logger: logger
        ).decode(Int64.self) {
            id = value
        }
        let record = PersonalSettingRecord(
            id: id, patientID: patientID,
            setting: PersonalSetting(columns.change(reason: reason), validFrom: validFrom),
            reason: reason, setBy: clinician.name, setAt: now, openFlagIDs: open)
        try await audit(
            columns.auditAction, by: clinician, patientID: patientID,
            detail: "setting \(id): \(setting.change.summary); reason: \(reason)", at: now, on: connection)
        return record
    }

    public func personalSettings(patientID: PatientID) async throws -> [PersonalSettingRecord] {
        try await failing("reading the personal settings of patient \(patientID)") {
            try await client.withConnection { connection in
                try await personalSettings([patientID], on: connection)
            }
        }
    }

    /// The personal settings of `patients`, in the order they take effect per patient.
    func personalSettings(_ patients: [PatientID], on connection: PostgresConnection) async throws
        -> [PersonalSettingRecord]
    {
        var records: [PersonalSettingRecord] = []
        for try await (id, patientID, kind, ruleID, parameter, value, until, validFrom, reason, setBy, setAt, open)
            in try await connection.query(
                """
                SELECT id, patient_id, kind, rule_id, parameter, value, until, valid_from, reason, set_by, set_at,
                       open_flags
                FROM personal_setting WHERE patient_id = ANY(\(patients)::text[]) ORDER BY patient_id, valid_from, id
                """, logger: logger
            ).decode(
                (Int64, PatientID, String, String?, String?, Double?, Date?, Date, String, String, Date, [Int64]).self)
        {
            let columns = PersonalSettingColumns(
                kind: kind, ruleID: ruleID, parameter: parameter, value: value, until: until)
            records.append(
                PersonalSettingRecord(
                    id: id, patientID: patientID,
                    setting: PersonalSetting(columns.change(reason: reason), validFrom: validFrom), reason: reason,
                    setBy: setBy, setAt: setAt, openFlagIDs: open))
        }
        return records
    }

    /// Appends one audit entry on `connection` (inside the caller's transaction, if any).
    func audit(
        _ action: AuditEntry.Action, by clinician: Clinician, patientID: PatientID?, detail: String, at: Date,
        on connection: PostgresConnection
    ) async throws {
        try await connection.query(
            """
            INSERT INTO audit_log (at, "user", role, action, patient_id, detail)
            VALUES (\(at), \(clinician.name), \(clinician.role.rawValue), \(action.rawValue), \(patientID), \(detail))
            """, logger: logger)
    }
}
