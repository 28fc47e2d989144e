import Foundation
import MonitoringRecords
import ReadingIntake
import ThresholdRules
import Vitals

/// A patient escalated to the heart-failure hotline: the brief as sent and, once recorded, the
/// cardiologist's answer. Recorded once, answered once.
public struct Escalation: Sendable, Hashable, Codable {
    /// What the cardiologist decided.
    public enum Decision: String, Sendable, Hashable, Codable, CaseIterable {
        case medicationChanged = "medication-changed"
        case thresholdsChanged = "thresholds-changed"
        case outpatientVisit = "outpatient-visit"
        case admission
        case noChange = "no-change"

        /// In words, for screens and briefs.
        public var words: String {
            switch self {
            case .medicationChanged: "medication changed"
            case .thresholdsChanged: "personal thresholds changed"
            case .outpatientVisit: "outpatient visit"
            case .admission: "admission"
            case .noChange: "no change"
            }
        }
    }

    /// The cardiologist's answer.
    public struct Answer: Sendable, Hashable, Codable {
        public var decision: Decision
        /// The medication change in words ("furosemide 40 mg → 80 mg daily for 3 days").
        public var medicationChange: String?
        public var comment: String?
        /// When the patient should next be reviewed (`YYYY-MM-DD`).
        public var nextReview: String?
        /// The personal settings recorded with the answer.
        public var settingIDs: [Int64]
        public var answeredBy: String
        public var answeredAt: Date

        public init(
            decision: Decision, medicationChange: String? = nil, comment: String? = nil, nextReview: String? = nil,
            settingIDs: [Int64], answeredBy: String, answeredAt: Date
        ) {
            self.decision = decision
            self.medicationChange = medicationChange
            self.comment = comment
            self.nextReview = nextReview
            self.settingIDs = settingIDs
            self.answeredBy = answeredBy
            self.answeredAt = answeredAt
        }
    }

    public var id: Int64
    public var patientID: PatientID
    /// Why the nurse escalated, in her words.
    public var reason: String
    /// The SBAR brief as it was sent.
    public var brief: String
    /// The flags open at the time; they stay `escalated` until the answer is recorded.
    public var flagIDs: [Int64]
    /// Whether the hotline was open when the escalation was made.
    public var hotlineOpen: Bool
    public var escalatedBy: String
    public var escalatedAt: Date
    public var answer: Answer?

    public init(
        id: Int64, patientID: PatientID, reason: String, brief: String, flagIDs: [Int64], hotlineOpen: Bool,
        escalatedBy: String, escalatedAt: Date, answer: Answer? = nil
    ) {
        self.id = id
        self.patientID = patientID
        self.reason = reason
        self.brief = brief
        self.flagIDs = flagIDs
        self.hotlineOpen = hotlineOpen
        self.escalatedBy = escalatedBy
        self.escalatedAt = escalatedAt
        self.answer = answer
    }
}

/// What the nurse and the patient talked about, as written; append-only.
public struct ContactNote: Sendable, Hashable, Codable {
    /// How the contact happened.
    public enum Contact: String, Sendable, Hashable, Codable, CaseIterable {
        case phone
        case video
        case homeVisit = "home-visit"
        /// A note without a contact (a message left, a remark for colleagues).
        case none
    }

    public var id: Int64
    public var patientID: PatientID
    public var contact: Contact
    public var text: String
    public var writtenBy: String
    public var writtenAt: Date

    public init(id: Int64, patientID: PatientID, contact: Contact, text: String, writtenBy: String, writtenAt: Date) {
        self.id = id
        self.patientID = patientID
        self.contact = contact
        self.text = text
        self.writtenBy = writtenBy
        self.writtenAt = writtenAt
    }
}

/// A patient marked reviewed for an ISO week (`2026-W47`).
public struct WeeklyReview: Sendable, Hashable, Codable {
    public var patientID: PatientID
    public var week: String
    public var reviewedBy: String
    public var reviewedAt: Date

    public init(patientID: PatientID, week: String, reviewedBy: String, reviewedAt: Date) {
        self.patientID = patientID
        self.week = week
        self.reviewedBy = reviewedBy
        self.reviewedAt = reviewedAt
    }
}

/// A reminder to measure as the store keeps it: recorded once per patient, rule and due day,
/// and published to the patient's devices when `reminders.enabled`.
public struct ReminderRecord: Sendable, Hashable, Codable {
    /// The missing-data rule it comes from (`missing-weight`).
    public var ruleID: String
    public var measurement: ReadingKind
    /// The patient's local day it asked them to measure on (`2026-12-01`).
    public var due: String
    public var recordedAt: Date

    public init(ruleID: String, measurement: ReadingKind, due: String, recordedAt: Date) {
        self.ruleID = ruleID
        self.measurement = measurement
        self.due = due
        self.recordedAt = recordedAt
    }
}

/// Everything the weekly worklist is built from, read in one transaction: the store's facts
/// without their meaning (triage, adherence and trends are worked out by the console).
public struct WorklistSnapshot: Sendable {
    /// An open or escalated flag, without the readings behind it.
    public struct OpenFlag: Sendable, Hashable {
        public var id: Int64
        public var ruleID: String
        public var measurement: ReadingKind
        public var severity: Severity
        public var escalated: Bool
        public var explanation: String
        public var openedAt: Date

        public init(
            id: Int64, ruleID: String, measurement: ReadingKind, severity: Severity, escalated: Bool,
            explanation: String, openedAt: Date
        ) {
            self.id = id
            self.ruleID = ruleID
            self.measurement = measurement
            self.severity = severity
            self.escalated = escalated
            self.explanation = explanation
            self.openedAt = openedAt
        }
    }

    /// A patient's latest value of a kind, and the newest value before that value's week began.
    public struct Latest: Sendable, Hashable {
        public var value: Double
        public var measuredAt: Date
        /// The patient-local day number of the Monday of the week `measuredAt` falls in.
        public var weekMonday: Int
        /// The newest value measured before that Monday; `nil` if none.
        public var previousWeekValue: Double?
        /// Days of that week with a reading of the kind: bit 0 Monday … bit 6 Sunday.
        public var weekDays: Int

        public init(value: Double, measuredAt: Date, weekMonday: Int, previousWeekValue: Double? = nil, weekDays: Int) {
            self.value = value
            self.measuredAt = measuredAt
            self.weekMonday = weekMonday
            self.previousWeekValue = previousWeekValue
            self.weekDays = weekDays
        }
    }

    /// One patient with what the list shows of them.
    public struct Line: Sendable {
        public var patient: Patient
        public var openFlags: [OpenFlag] = []
        public var weight: Latest?
        public var systolic: Latest?
        public var diastolic: Latest?
        public var pulse: Latest?
        /// Weighings in the window asked for; `nil` when not asked for (the current week's
        /// days come from `weight.weekDays`).
        public var weighings: [Date]?
        /// The patient's own measurement plan after the daily phase, in days a week, in force
        /// at the snapshot's time; `nil`: the rule set's.
        public var daysAWeek: Int?

        public init(
            patient: Patient, openFlags: [OpenFlag] = [], weight: Latest? = nil, systolic: Latest? = nil,
            diastolic: Latest? = nil, pulse: Latest? = nil, weighings: [Date]? = nil, daysAWeek: Int? = nil
        ) {
            self.patient = patient
            self.openFlags = openFlags
            self.weight = weight
            self.systolic = systolic
            self.diastolic = diastolic
            self.pulse = pulse
            self.weighings = weighings
            self.daysAWeek = daysAWeek
        }
    }

    /// Every patient, by id.
    public var lines: [Line]
    public var reviews: [PatientID: WeeklyReview]
    public var pendingEscalations: [PatientID: PendingEscalation]
    /// The next review date (`2026-12-04`) the cardiologist set in the patient's latest answer.
    public var nextReviews: [PatientID: String] = [:]
    /// The newest week each patient was marked reviewed (`2026-W49`).
    public var lastReviewedWeeks: [PatientID: String] = [:]

    /// An escalation still waiting for the cardiologist's answer.
    public struct PendingEscalation: Sendable, Hashable {
        public var id: Int64
        public var escalatedAt: Date

        public init(id: Int64, escalatedAt: Date) {
            self.id = id
            self.escalatedAt = escalatedAt
        }
    }

    public init(lines: [Line], reviews: [PatientID: WeeklyReview], pendingEscalations: [PatientID: PendingEscalation]) {
        self.lines = lines
        self.reviews = reviews
        self.pendingEscalations = pendingEscalations
    }
}

/// One patient's record as the patient view shows it, read in one transaction.
public struct PatientRecord: Sendable, Codable {
    public var patient: Patient
    /// Readings since the date asked for, in measured-time order.
    public var readings: [StoredReading]
    /// Open and escalated flags, and flags closed or withdrawn since the date asked for; newest first.
    public var flags: [PatientFlag]
    public var notes: [ContactNote]
    public var settings: [PersonalSettingRecord]
    public var escalations: [Escalation]
    public var pairings: [Pairing]
    public var reviews: [WeeklyReview]
    /// Reminders to measure recorded since the date asked for, newest first.
    public var reminders: [ReminderRecord]

    public init(
        patient: Patient, readings: [StoredReading], flags: [PatientFlag], notes: [ContactNote],
        settings: [PersonalSettingRecord], escalations: [Escalation], pairings: [Pairing], reviews: [WeeklyReview],
        reminders: [ReminderRecord]
    ) {
        self.patient = patient
        self.readings = readings
        self.flags = flags
        self.notes = notes
        self.settings = settings
        self.escalations = escalations
        self.pairings = pairings
        self.reviews = reviews
        self.reminders = reminders
    }
}

extension Escalation {
    /// The checks an answer gets on every backend before anything is written: only a
    /// cardiologist answers; a medication change says what changed; new thresholds come with
    /// the settings; the next review is a calendar date. Returns the medication change and the
    /// comment trimmed, `nil` when empty.
    public static func checkAnswer(
        decision: Decision, medicationChange: String?, comment: String?, nextReview: String?,
        settings: [PersonalSetting], by clinician: Clinician, operation: String
    ) throws -> (medicationChange: String?, comment: String?) {
        guard clinician.role == .cardiologist else {
            throw StoreError(
                operation, "\(clinician.name) has the \(clinician.role.rawValue) role; only a cardiologist answers",
                code: .notAllowed)
        }
        let medication = medicationChange?.trimmingCharacters(in: .whitespacesAndNewlines)
        let comment = comment?.trimmingCharacters(in: .whitespacesAndNewlines)
        if decision == .medicationChanged, medication?.isEmpty ?? true {
            throw StoreError(operation, "say what medication changed (--medication)")
        }
        if decision == .thresholdsChanged, settings.isEmpty {
            throw StoreError(operation, "give the new thresholds (a limit or a dry weight)")
        }
        if let nextReview, !isCalendarDate(nextReview) {
            throw StoreError(operation, "the next review is a date like 2026-12-04, found '\(nextReview)'")
        }
        return (medication?.isEmpty == false ? medication : nil, comment?.isEmpty == false ? comment : nil)
    }

    /// Whether `text` is a calendar date like 2026-12-04.
    public static func isCalendarDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return false }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return DateComponents(year: year, month: month, day: day).isValidDate(in: calendar)
    }

    /// What closes the escalated flags when the answer is recorded.
    public static func closingComment(_ decision: Decision, medicationChange: String?) -> String {
        "answered by the hotline: \(decision.words)" + (medicationChange.map { "; \($0)" } ?? "")
    }
}

extension PatientFlag {
    /// The checks an acknowledgement gets on every backend: only an open flag (a closed,
    /// withdrawn or escalated one is refused, saying why), and a red flag only with a comment.
    /// Returns the comment trimmed, `nil` when empty.
    public func checkAcknowledgement(comment: String?, shown: PatientFlag? = nil, operation: String) throws -> String? {
        switch state {
        case .closed:
            throw StoreError(
                operation,
                "the flag was closed already by \(closedBy ?? "someone")\(closedAt.map { " at \($0.formatted(.iso8601))" } ?? "")",
                code: .conflict)
        case .withdrawn:
            throw StoreError(
                operation, "the flag was withdrawn: late readings showed the rule does not fire", code: .conflict)
        case .escalated:
            throw StoreError(
                operation, "the flag is escalated; it closes when the cardiologist's answer is recorded",
                code: .conflict)
        case .open: break
        }
        if let shown,
            shown.updatedAt.millisecondsSince1970 != updatedAt.millisecondsSince1970 || shown.severity != severity
                || shown.explanation != explanation
                || shown.evidenceAt.millisecondsSince1970 != evidenceAt.millisecondsSince1970
        {
            let severityChange =
                shown.severity == severity ? "" : "now \(severity.rawValue) (was \(shown.severity.rawValue)); "
            throw StoreError(
                operation,
                "the flag changed since it was shown: \(severityChange)\(explanation). Look at it again before closing it",
                code: .conflict)
        }
        let text = comment?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if severity == .red, text.isEmpty {
            throw StoreError(operation, "a red flag needs a comment: what was done or agreed")
        }
        return text.isEmpty ? nil : text
    }

    /// The audit entry's detail for its acknowledgement.
    public func acknowledgementDetail(comment: String?) -> String {
        "flag \(id) (\(ruleID), \(severity.rawValue))\(comment.map { ": \($0)" } ?? "")"
    }
}

extension Escalation {
    /// The checks on the escalation itself before its answer is written, on every backend: not
    /// answered yet, and each new setting acceptable for its patient. Returns the reason the
    /// settings are recorded with.
    public func checkAnswerable(
        _ decision: Decision, settings: [PersonalSetting], by clinician: Clinician, ruleSet: RuleSet?,
        operation: String
    ) throws -> String {
        if let answer {
            throw StoreError(
                operation, "answered already by \(answer.answeredBy) at \(answer.answeredAt.formatted(.iso8601))",
                code: .conflict)
        }
        let reason = "answer to escalation \(id): \(decision.words)"
        for setting in settings {
            try PersonalSettingRecord.check(
                patientID: patientID, setting, reason: reason, by: clinician, ruleSet: ruleSet)
        }
        return reason
    }

    /// The audit entry's detail for an escalation.
    public static func auditDetail(id: Int64, flagIDs: [Int64], hotlineOpen: Bool) -> String {
        "escalation \(id); flags \(flagIDs.isEmpty ? "none" : flagIDs.map(String.init).joined(separator: ", ")); hotline \(hotlineOpen ? "open" : "closed")"
    }

    /// The audit entry's detail for an answer.
    public static func answerDetail(id: Int64, decision: Decision, settingIDs: [Int64]) -> String {
        "escalation \(id): \(decision.words)"
            + (settingIDs.isEmpty ? "" : "; settings \(settingIDs.map(String.init).joined(separator: ", "))")
    }
}

extension WorklistSnapshot.Line {
    /// Keeps `latest` as the line's latest value of `kind`.
    public mutating func keep(_ latest: WorklistSnapshot.Latest, of kind: ReadingKind) {
        switch kind {
        case .weight: weight = latest
        case .systolic: systolic = latest
        case .diastolic: diastolic = latest
        case .pulse: pulse = latest
        }
    }
}
