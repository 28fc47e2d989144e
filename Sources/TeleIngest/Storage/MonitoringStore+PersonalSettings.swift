import Foundation
import GRDB
import MonitoringRecords
import ThresholdRules

/// A personal setting with its audit trail: who set it, when, why, and which flags were open.
public struct PersonalSettingRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var patientID: String
    public var setting: PersonalSetting
    public var reason: String
    public var setBy: String
    public var setAt: Date
    /// Ids of the patient's open flags when the setting was made.
    public var openFlagIDs: [Int64]
}

extension MonitoringStore {
    /// Records a cardiologist's personal setting for a patient, with an audit-log entry in the
    /// same transaction. Appended, never changed: a later setting of the same target replaces it
    /// from its own `validFrom` on. Only a cardiologist may change thresholds.
    @discardableResult
    public func addPersonalSetting(
        patientID: String, _ setting: PersonalSetting, reason: String, by clinician: Clinician, ruleSet: RuleSet?,
        at now: Date? = nil
    ) throws -> PersonalSettingRecord {
        let now = now ?? clock.now()
        try checkPersonalSetting(patientID: patientID, setting, reason: reason, by: clinician, ruleSet: ruleSet)
        return try database.write { db in
            try insertPersonalSetting(patientID: patientID, setting, reason: reason, by: clinician, at: now, db: db)
        }
    }

    /// Refuses a setting that cannot be applied, before any transaction starts.
    func checkPersonalSetting(
        patientID: String, _ setting: PersonalSetting, reason: String, by clinician: Clinician, ruleSet: RuleSet?
    ) throws {
        let operation = "recording a personal setting for patient \(patientID)"
        if case .measurementPlan(let days) = setting.change {
            // The measurement plan is the nurse's to agree with the patient, as the cardiologist's.
            if let days, !(1...7).contains(days) {
                throw StoreError(operation, "a measurement plan of 1 to 7 days a week is expected, found \(days)")
            }
        } else if !clinician.mayChangeThresholds {
            throw StoreError(
                operation,
                "\(clinician.name) has the \(clinician.role.rawValue) role; only a cardiologist changes thresholds")
        }
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw StoreError(operation, "a reason is required")
        }
        guard !clinician.name.isEmpty else { throw StoreError(operation, "who sets it is required") }
        switch setting.change {
        case .limit(let rule, let name, _):
            if let ruleSet {
                guard let known = ruleSet.rules.first(where: { $0.id == rule }) else {
                    throw StoreError(operation, "no rule '\(rule)' in \(ruleSet.label)")
                }
                let (required, optional) = Rule.parameterNames(for: known.kind)
                guard (required + optional).contains(name) else {
                    throw StoreError(
                        operation,
                        "'\(name)' is not a parameter of \(rule); expected one of \((required + optional).joined(separator: ", "))"
                    )
                }
            }
        case .dryWeight(let kg):
            if let kg, !(20...350).contains(kg) {
                throw StoreError(operation, "a dry weight between 20 and 350 kg is expected")
            }
        case .measurementPlan: break
        case .suspension(let rule, let end, _):
            if let ruleSet, !ruleSet.rules.contains(where: { $0.id == rule }) {
                throw StoreError(operation, "no rule '\(rule)' in \(ruleSet.label)")
            }
            guard end > setting.validFrom else {
                throw StoreError(operation, "the suspension must end after it starts")
            }
        }
    }

    /// Appends a checked setting and its audit entry inside the caller's transaction.
    func insertPersonalSetting(
        patientID: String, _ setting: PersonalSetting, reason: String, by clinician: Clinician, at now: Date,
        db: Database
    ) throws -> PersonalSettingRecord {
        let operation = "recording a personal setting for patient \(patientID)"
        var kind = ""
        var ruleID: String?
        var parameter: String?
        var value: Double?
        var until: Date?
        switch setting.change {
        case .limit(let rule, let name, let number):
            kind = "limit"
            ruleID = rule
            parameter = name
            value = number
        case .dryWeight(let kg):
            kind = "dryWeight"
            value = kg
        case .suspension(let rule, let end, _):
            kind = "suspension"
            ruleID = rule
            until = end
        case .measurementPlan(let days):
            kind = "plan"
            value = days.map(Double.init)
        }
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM patient WHERE id = ?", arguments: [patientID]) == true else {
            throw StoreError(operation, "no patient with this id")
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
                patientID, kind, ruleID, parameter, value, until?.millisecondsSince1970,
                setting.validFrom.millisecondsSince1970,
                reason, clinician.name, now.millisecondsSince1970, openText,
            ])
        let record = PersonalSettingRecord(
            id: db.lastInsertedRowID, patientID: patientID, setting: setting, reason: reason, setBy: clinician.name,
            setAt: now, openFlagIDs: open)
        let action: AuditEntry.Action =
            if case .measurementPlan = setting.change { .measurementPlanChanged } else { .thresholdChanged }
        try audit(
            action, by: clinician, patientID: patientID,
            detail: "setting \(record.id): \(setting.change.summary); reason: \(reason)", at: now, db: db)
        return record
    }

    /// A patient's personal settings in the order they take effect.
    public func personalSettings(patientID: String) throws -> [PersonalSettingRecord] {
        try database.read { db in try personalSettings(patientID: patientID, db: db) }
    }

    func personalSettings(patientID: String, db: Database) throws -> [PersonalSettingRecord] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM personal_setting WHERE patient_id = ? ORDER BY valid_from, id"),
            arguments: [patientID]
        ).map { row in
            let validFrom = Date(millisecondsSince1970: row["valid_from"])
            let change: PersonalSetting.Change
            switch row["kind"] as String {
            case "limit": change = .limit(ruleID: row["rule_id"], parameter: row["parameter"], value: row["value"])
            case "dryWeight": change = .dryWeight(row["value"])
            case "plan": change = .measurementPlan(daysAWeek: (row["value"] as Double?).map { Int($0) })
            default:
                change = .suspension(
                    ruleID: row["rule_id"], until: Date(millisecondsSince1970: row["until"]), reason: row["reason"])
            }
            let open = (try? JSONDecoder().decode([Int64].self, from: Data((row["open_flags"] as String).utf8))) ?? []
            return PersonalSettingRecord(
                id: row["id"], patientID: row["patient_id"], setting: PersonalSetting(change, validFrom: validFrom),
                reason: row["reason"], setBy: row["set_by"], setAt: Date(millisecondsSince1970: row["set_at"]),
                openFlagIDs: open)
        }
    }

    /// What the rules need to know about the patient: zone, monitoring start, personal settings.
    func ruleContext(patientID: String, db: Database, defaultZone: TimeZone) throws -> PatientContext? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT time_zone, monitoring_start, created_at FROM patient WHERE id = ?"),
                arguments: [patientID])
        else { return nil }
        let start: Int64 = row[1] ?? row[2]
        return PatientContext(
            timeZone: TimeZone.named(row[0], otherwise: defaultZone),
            monitoringStart: Date(millisecondsSince1970: start),
            settings: try personalSettings(patientID: patientID, db: db).map(\.setting))
    }
}
