import Foundation
import MonitoringRecords
import SiteNotification
import StoreInterface
import ThresholdRules

/// Something the console cannot do, in words for the person at the keyboard.
public struct FollowUpError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// One clinician's work at the console: every view and action goes through here, so every one
/// is written to the audit log with who, when and which patient. The clock is injected: what
/// "this week" and "the hotline is open" mean is decided by `now()` (the store's clock unless
/// given another), never by a hidden wall clock.
public struct FollowUpSession: Sendable {
    public let store: any FollowUpStore
    public let clinician: Clinician
    public let ruleSet: RuleSet?
    /// The nurse's zone: defines "this week".
    public let timeZone: TimeZone
    public let hotline: HotlineSchedule
    /// When a flag or an escalation has waited too long.
    public let limits: WaitingLimits
    /// The site's notifier (`notify.command`), called for an escalation outside hotline hours.
    public let notifier: SiteNotifier?
    public let now: @Sendable () -> Date

    public init(
        store: any FollowUpStore, clinician: Clinician, ruleSet: RuleSet?, timeZone: TimeZone,
        hotline: HotlineSchedule, limits: WaitingLimits = WaitingLimits(), notifier: SiteNotifier? = nil,
        now: (@Sendable () -> Date)? = nil
    ) {
        self.store = store
        self.clinician = clinician
        self.ruleSet = ruleSet
        self.timeZone = timeZone
        self.hotline = hotline
        self.limits = limits
        self.notifier = notifier
        self.now = now ?? { [clock = store.clock] in clock.now() }
    }

    /// The current ISO week in the nurse's zone.
    public var currentWeek: ISOWeek { ISOWeek(containing: now(), in: timeZone) }

    /// The worklist for `week` (default: this week). Audited as one view of the list.
    public func worklist(week: ISOWeek? = nil, audited: Bool = true) async throws -> Worklist {
        let week = week ?? currentWeek
        let instant = now()
        // This week's weighed days are kept with the latest readings; a past week reads its
        // weighings, a day either side: each patient's own zone decides which day they fall on.
        let start = week.start(in: timeZone)
        let window =
            week == ISOWeek(containing: instant, in: timeZone)
            ? nil : start.addingTimeInterval(-86_400)..<week.end(in: timeZone).addingTimeInterval(86_400)
        var snapshot = try await store.worklistSnapshot(week: week.description, weighings: window, at: instant)
        if !clinician.teams.isEmpty {
            snapshot.lines.removeAll { !clinician.follows($0.patient) }
        }
        let list = Worklist(
            snapshot: snapshot, week: week, now: instant, defaultZone: timeZone, ruleSet: ruleSet, limits: limits)
        if audited {
            try await store.recordAudit(
                .worklistViewed, by: clinician, patientID: nil,
                detail: "week \(week), \(list.entries.count) patients", at: instant)
        }
        return list
    }

    /// A patient's record for the patient view, the last 30 days in full. Audited.
    public func overview(patientID: PatientID, audited: Bool = true) async throws -> PatientOverview {
        let instant = now()
        try await requireCaseload(patientID, "view the record")
        guard let record = try await store.patientRecord(id: patientID, since: instant.addingTimeInterval(-31 * 86_400))
        else { throw FollowUpError("no patient with id '\(patientID)'") }
        if audited {
            try await store.recordAudit(
                .patientViewed, by: clinician, patientID: patientID, detail: "patient view", at: instant)
        }
        return PatientOverview(record: record, ruleSet: ruleSet, now: instant, defaultZone: timeZone)
    }

    /// The quality indicators over `period` for the patients of `team` (every team when `nil`)
    /// within the person's caseload. Audited once, as a view of many patients.
    public func indicators(period: IndicatorPeriod, team: String?) async throws -> QualityIndicators {
        let instant = now()
        if let team, !clinician.teams.isEmpty, !clinician.teams.contains(team) {
            try await store.recordAudit(
                .refused, by: clinician, patientID: nil,
                detail: "tried to compute indicators of team \(team): not in the caseload (\(clinician.caseloadText))",
                at: instant)
            throw FollowUpError("team \(team) is not in your caseload (\(clinician.caseloadText))")
        }
        // A week before the period: the first week's readings, and flags opened before it.
        let since = period.firstDay.adding(days: -7).start(in: timeZone)
        var records: [PatientRecord] = []
        for patient in try await store.patients() where clinician.follows(patient) {
            if let team, patient.team != team { continue }
            if let record = try await store.patientRecord(id: patient.id, since: since) { records.append(record) }
        }
        let indicators = QualityIndicators(
            records: records, period: period, team: team, ruleSet: ruleSet, now: instant, defaultZone: timeZone)
        try await store.recordAudit(
            .indicatorsViewed, by: clinician, patientID: nil,
            detail: "quality indicators \(period)\(team.map { " team \($0)" } ?? ""): \(indicators.patients) patients",
            at: instant)
        return indicators
    }

    /// The record a status report for the GP covers: readings since `from`, flags and
    /// escalations as the store keeps them. Audited as a report written, with the period.
    public func reportRecord(patientID: PatientID, from: Date, to: Date) async throws -> PatientRecord {
        try await requireCaseload(patientID, "write a status report")
        guard let record = try await store.patientRecord(id: patientID, since: from) else {
            throw FollowUpError("no patient with id '\(patientID)'")
        }
        try await store.recordAudit(
            .reportWritten, by: clinician, patientID: patientID,
            detail: "status report for the GP, \(from.formatted(.iso8601)) to \(to.formatted(.iso8601))", at: now())
        return record
    }

    @discardableResult
    /// Closes an open flag; `shown`: the flag as the person's screen showed it, so that a flag
    /// that changed since (new evidence, another severity) is refused with what changed.
    public func acknowledge(flagID: Int64, comment: String?, shown: PatientFlag? = nil) async throws -> PatientFlag {
        if !clinician.teams.isEmpty, let flag = try await store.flag(id: flagID) {
            try await requireCaseload(flag.patientID, "acknowledge flag \(flagID)")
        }
        return try await store.acknowledge(flagID: flagID, by: clinician, comment: comment, shown: shown, at: now())
    }

    @discardableResult
    public func note(patientID: PatientID, contact: ContactNote.Contact, text: String) async throws -> ContactNote {
        try await requireCaseload(patientID, "write a note")
        return try await store.addNote(patientID: patientID, contact: contact, text: text, by: clinician, at: now())
    }

    @discardableResult
    public func review(patientID: PatientID, week: ISOWeek? = nil) async throws -> WeeklyReview {
        try await requireCaseload(patientID, "mark the patient reviewed")
        return try await store.markReviewed(
            patientID: patientID, week: (week ?? currentWeek).description, by: clinician, at: now())
    }

    /// Ends the patient's monitoring period now (`FollowUpStore.endMonitoring`): devices
    /// unpaired, open flags closed, off the worklist; the record stays, read-only.
    @discardableResult
    public func endMonitoring(patientID: PatientID, reason: MonitoringEnd.Reason, comment: String?) async throws
        -> MonitoringEnd
    {
        try await requireCaseload(patientID, "end the monitoring")
        return try await store.endMonitoring(
            patientID: patientID, reason: reason, comment: comment, by: clinician, at: now())
    }

    /// Reopens the patient's ended period now; returns the end it lifts.
    @discardableResult
    public func reopenMonitoring(patientID: PatientID) async throws -> MonitoringEnd {
        try await requireCaseload(patientID, "reopen the monitoring")
        return try await store.reopenMonitoring(patientID: patientID, by: clinician, at: now())
    }

    /// Agrees a measurement plan with the patient from now on: `daysAWeek` days a week after
    /// the daily phase (1…7), or `nil` for the rule set's plan. A nurse may, as a cardiologist
    /// may; audited with the reason. Missed measurements are judged by it from now on.
    @discardableResult
    public func setMeasurementPlan(patientID: PatientID, daysAWeek: Int?, reason: String) async throws
        -> PersonalSettingRecord
    {
        try await requireCaseload(patientID, "change the measurement plan")
        let instant = now()
        return try await store.addPersonalSetting(
            patientID: patientID, PersonalSetting(.measurementPlan(daysAWeek: daysAWeek), validFrom: instant),
            reason: reason, by: clinician, ruleSet: ruleSet, at: instant)
    }

    /// Sets a personal limit from now on, `value` `nil` for the rule set's: a cardiologist's
    /// decision (the store refuses anyone else), audited with the reason. This is how a
    /// proposed limit (`PatientOverview.limitProposals`) is accepted or edited.
    @discardableResult
    public func setLimit(patientID: PatientID, ruleID: String, parameter: String, value: Double?, reason: String)
        async throws -> PersonalSettingRecord
    {
        try await requireCaseload(patientID, "set a personal limit")
        let instant = now()
        return try await refusalsAudited("set a personal limit", patient: { patientID }) {
            try await store.addPersonalSetting(
                patientID: patientID,
                PersonalSetting(.limit(ruleID: ruleID, parameter: parameter, value: value), validFrom: instant),
                reason: reason, by: clinician, ruleSet: ruleSet, at: instant)
        }
    }

    /// The brief as it would be sent now, and what the hotline's hours mean now. Not recorded.
    public func draft(patientID: PatientID, brief: EscalationBrief) async throws -> (text: String, notice: [String]) {
        let instant = now()
        let overview = try await overview(patientID: patientID, audited: false)
        // The draft shows the full CPR number: a view of the patient like any other.
        try await store.recordAudit(
            .briefDrafted, by: clinician, patientID: patientID, detail: "brief drafted, not sent", at: instant)
        return (brief.text(for: overview, by: clinician, at: instant), hotline.notice(at: instant))
    }

    /// Records the escalation with its brief and whether the hotline was open; returns it with
    /// the notice to show (the number to call, or that it is closed and what to do instead).
    public func escalate(patientID: PatientID, brief: EscalationBrief) async throws -> (
        escalation: Escalation, notice: [String]
    ) {
        let instant = now()
        guard !brief.reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw FollowUpError("a reason is required: why should the hotline look at this patient?")
        }
        let overview = try await overview(patientID: patientID, audited: false)
        let open = hotline.status(at: instant).isOpen
        let escalation = try await store.escalate(
            patientID: patientID, reason: brief.reason, brief: brief.text(for: overview, by: clinician, at: instant),
            hotlineOpen: open, by: clinician, at: instant)
        var notice = hotline.notice(at: instant)
        if !open, let notifier {
            // The escalation is recorded whatever the notifier does; the nurse is told either way.
            do {
                try await notifier.send(
                    .escalationAfterHours(escalationID: escalation.id, patientID: patientID), ledger: store,
                    at: instant)
                notice.append("The on-call notifier was called (escalation-after-hours, patient \(patientID)).")
            } catch {
                notice.append("The on-call notifier failed (\(error)): call the on-call doctor yourself.")
            }
        }
        return (escalation, notice)
    }

    /// The brief of an escalation as recorded. Audited as a view of the patient.
    public func brief(escalationID: Int64) async throws -> Escalation {
        guard let escalation = try await store.escalation(id: escalationID) else {
            throw FollowUpError("no escalation with id \(escalationID)")
        }
        try await requireCaseload(escalation.patientID, "read the brief of escalation \(escalationID)")
        try await store.recordAudit(
            .briefViewed, by: clinician, patientID: escalation.patientID, detail: "escalation \(escalationID)",
            at: now())
        return escalation
    }

    /// The cardiologist's answer; new thresholds go through the rules' personal settings.
    @discardableResult
    public func answer(
        escalationID: Int64, decision: Escalation.Decision, medicationChange: String?, comment: String?,
        nextReview: String?, settings: [PersonalSetting.Change]
    ) async throws -> Escalation {
        let instant = now()
        if !clinician.teams.isEmpty, let escalation = try await store.escalation(id: escalationID) {
            try await requireCaseload(escalation.patientID, "answer escalation \(escalationID)")
        }
        return try await refusalsAudited(
            "answer escalation \(escalationID)", patient: { try await store.escalation(id: escalationID)?.patientID }
        ) {
            try await store.answer(
                escalationID: escalationID, decision: decision, medicationChange: medicationChange, comment: comment,
                nextReview: nextReview, settings: settings.map { PersonalSetting($0, validFrom: instant) },
                ruleSet: ruleSet, by: clinician, at: instant)
        }
    }

    /// Runs an action; when the store refuses it for the person's role, the attempt is written
    /// to the audit log (`refused`, with what was tried and why) before the refusal reaches the
    /// person. Refusals of the request itself (an empty reason, a value out of range) are not
    /// attempts to exceed a role and are not logged.
    /// `patient` is asked only on a refusal: the allowed path pays for no extra read.
    private func refusalsAudited<T>(
        _ attempt: String, patient: () async throws -> PatientID?, _ action: () async throws -> T
    ) async throws -> T {
        do {
            return try await action()
        } catch let refusal as StoreError where refusal.code == .notAllowed {
            try await store.recordAudit(
                .refused, by: clinician, patientID: try await patient(),
                detail: "tried to \(attempt): \(refusal.reason)",
                at: now())
            throw refusal
        }
    }

    /// Refuses, and audits as `refused`, an action on a patient outside the person's caseload
    /// (their teams). On PostgreSQL row-level security hides such a patient from the session
    /// anyway; on the SQLite store this is the check.
    private func requireCaseload(_ patientID: PatientID, _ attempt: String) async throws {
        guard !clinician.teams.isEmpty else { return }
        if let patient = try await store.patient(id: patientID), clinician.follows(patient) { return }
        try await store.recordAudit(
            .refused, by: clinician, patientID: patientID,
            detail: "tried to \(attempt): not in the caseload (\(clinician.caseloadText))", at: now())
        throw FollowUpError("no patient with id '\(patientID)' in your caseload (\(clinician.caseloadText))")
    }

    /// The audit log, optionally of one patient. Reading it is itself audited.
    public func auditLog(patientID: PatientID?, limit: Int?) async throws -> [AuditEntry] {
        if let patientID { try await requireCaseload(patientID, "read the audit log") }
        let entries = try await store.auditLog(patientID: patientID, limit: limit)
        try await store.recordAudit(
            .auditViewed, by: clinician, patientID: patientID, detail: "audit log", at: now())
        return entries
    }
}
