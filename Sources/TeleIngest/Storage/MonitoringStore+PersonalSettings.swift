import Foundation
import GRDB
import MonitoringRecords
import ReadingIntake
import StoreInterface
import ThresholdRules

extension MonitoringStore {
    /// Records a cardiologist's personal setting for a patient, with an audit-log entry in the
    /// same transaction. Appended, never changed: a later setting of the same target replaces it
    /// from its own `validFrom` on. Only a cardiologist may change thresholds.
    @discardableResult
    public func addPersonalSetting(
        patientID: PatientID, _ setting: PersonalSetting, reason: String, by clinician: Clinician, ruleSet: RuleSet?,
        at now: Date? = nil
    ) throws -> PersonalSettingRecord {
        let now = now ?? clock.now()
        try PersonalSettingRecord.check(patientID: patientID, setting, reason: reason, by: clinician, ruleSet: ruleSet)
        return try database.write { db in
            try insertPersonalSetting(patientID: patientID, setting, reason: reason, by: clinician, at: now, db: db)
        }
    }

    /// Appends a checked setting and its audit entry inside the caller's transaction.
    func insertPersonalSetting(
        patientID: PatientID, _ setting: PersonalSetting, reason: String, by clinician: Clinician, at now: Date,
        db: Database
    ) throws -> PersonalSettingRecord {
        let operation = "recording a personal setting for patient \(patientID)"
        let columns = PersonalSettingColumns(setting.change)
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM patient WHERE id = ?", arguments: [patientID]) == true else {
            throw StoreError(operation, "no patient with this id", code: .notFound)
        }
        let open = try Int64.fetchAll(
            db, sql: "SELECT id FROM flag WHERE patient_id = ? AND state IN ('open', 'escalated') ORDER BY id",
            arguments: [patientID])
        let openText = String(decoding: try JSONEncoder().encode(open), as: UTF8.self)
        try db.execute(
            sql: """
                INSERT INTO personal_setting (patient_id, kind, rule_id, parameter, value, until, valid_from, reason, set_by, set_at, open_flags)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                patientID, columns.kind, columns.ruleID, columns.parameter, columns.value,
                columns.until?.millisecondsSince1970,
                setting.validFrom.millisecondsSince1970,
                reason, clinician.name, now.millisecondsSince1970, openText,
            ])
        let record = PersonalSettingRecord(
            id: db.lastInsertedRowID, patientID: patientID, setting: setting, reason: reason, setBy: clinician.name,
            setAt: now, openFlagIDs: open)
        try audit(
            columns.auditAction, by: clinician, patientID: patientID,
            detail: "setting \(record.id): \(setting.change.summary); reason: \(reason)", at: now, db: db)
        return record
    }

    /// A patient's personal settings in the order they take effect.
    public func personalSettings(patientID: PatientID) throws -> [PersonalSettingRecord] {
        try database.read { db in try personalSettings(patientID: patientID, db: db) }
    }

    func personalSettings(patientID: PatientID, db: Database) throws -> [PersonalSettingRecord] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM personal_setting WHERE patient_id = ? ORDER BY valid_from, id"),
            arguments: [patientID]
        ).map { row in
            let validFrom = Date(millisecondsSince1970: row["valid_from"])
            let until: Int64? = row["until"]
            let change = PersonalSettingColumns(
                kind: row["kind"], ruleID: row["rule_id"], parameter: row["parameter"], value: row["value"],
                until: until.map(Date.init(millisecondsSince1970:))
            ).change(reason: row["reason"])
            let open = (try? JSONDecoder().decode([Int64].self, from: Data((row["open_flags"] as String).utf8))) ?? []
            return PersonalSettingRecord(
                id: row["id"], patientID: row["patient_id"], setting: PersonalSetting(change, validFrom: validFrom),
                reason: row["reason"], setBy: row["set_by"], setAt: Date(millisecondsSince1970: row["set_at"]),
                openFlagIDs: open)
        }
    }

    /// What the rules need to know about the patient: zone, monitoring start, personal settings.
    func ruleContext(patientID: PatientID, db: Database, defaultZone: TimeZone) throws -> PatientContext? {
        // Read straight from SQLite: this runs for every patient in every batch.
        var found: (zone: String, start: Int64, ended: Int64?)?
        try StatementBindings.rows(
            of: db.cachedStatement(
                sql: "SELECT time_zone, monitoring_start, created_at, ended_at FROM patient_monitoring WHERE id = ?"),
            in: db, { $0.bind(patientID.rawValue) }
        ) { row in
            found = (row.text(0) ?? "", row.optionalInt(1) ?? row.int(2), row.optionalInt(3))
        }
        guard let found else { return nil }
        return PatientContext(
            timeZone: TimeZone.named(found.zone, otherwise: defaultZone),
            monitoringStart: Date(millisecondsSince1970: found.start),
            settings: try personalSettings(patientID: patientID, db: db).map(\.setting),
            monitoringEnded: found.ended.map(Date.init(millisecondsSince1970:)))
    }
}
