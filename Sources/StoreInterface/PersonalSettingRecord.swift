import Foundation
import MonitoringRecords
import ThresholdRules

/// A personal setting with its audit trail: who set it, when, why, and which flags were open.
public struct PersonalSettingRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var patientID: PatientID
    public var setting: PersonalSetting
    public var reason: String
    public var setBy: String
    public var setAt: Date
    /// Ids of the patient's open flags when the setting was made.
    public var openFlagIDs: [Int64]

    public init(
        id: Int64, patientID: PatientID, setting: PersonalSetting, reason: String, setBy: String, setAt: Date,
        openFlagIDs: [Int64]
    ) {
        self.id = id
        self.patientID = patientID
        self.setting = setting
        self.reason = reason
        self.setBy = setBy
        self.setAt = setAt
        self.openFlagIDs = openFlagIDs
    }
}

extension PersonalSettingRecord {
    /// Refuses a setting that cannot be applied, before any transaction starts: the role
    /// (only a cardiologist changes thresholds; a nurse may agree a measurement plan), the
    /// reason, and the rule and parameter it names. Every backend checks through here.
    public static func check(
        patientID: PatientID, _ setting: PersonalSetting, reason: String, by clinician: Clinician, ruleSet: RuleSet?
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
                "\(clinician.name) has the \(clinician.role.rawValue) role; only a cardiologist changes thresholds",
                code: .notAllowed)
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
}

/// A personal setting's change as every backend stores it: a kind and the columns it uses.
public struct PersonalSettingColumns: Sendable, Equatable {
    /// `limit`, `dryWeight`, `suspension` or `plan`.
    public var kind: String
    public var ruleID: String?
    public var parameter: String?
    public var value: Double?
    public var until: Date?

    public init(kind: String, ruleID: String?, parameter: String?, value: Double?, until: Date?) {
        self.kind = kind
        self.ruleID = ruleID
        self.parameter = parameter
        self.value = value
        self.until = until
    }

    public init(_ change: PersonalSetting.Change) {
        switch change {
        case .limit(let rule, let name, let number):
            self.init(kind: "limit", ruleID: rule, parameter: name, value: number, until: nil)
        case .dryWeight(let kg):
            self.init(kind: "dryWeight", ruleID: nil, parameter: nil, value: kg, until: nil)
        case .suspension(let rule, let end, _):
            self.init(kind: "suspension", ruleID: rule, parameter: nil, value: nil, until: end)
        case .measurementPlan(let days):
            self.init(kind: "plan", ruleID: nil, parameter: nil, value: days.map(Double.init), until: nil)
        }
    }

    /// The change these columns hold; a suspension's reason is the setting's reason.
    public func change(reason: String) -> PersonalSetting.Change {
        switch kind {
        case "limit": .limit(ruleID: ruleID ?? "", parameter: parameter ?? "", value: value)
        case "dryWeight": .dryWeight(value)
        case "plan": .measurementPlan(daysAWeek: value.map { Int($0) })
        default: .suspension(ruleID: ruleID ?? "", until: until ?? .distantPast, reason: reason)
        }
    }

    /// The audit action recording a change of this kind.
    public var auditAction: AuditEntry.Action { kind == "plan" ? .measurementPlanChanged : .thresholdChanged }
}
