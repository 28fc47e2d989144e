import FollowUp
import Foundation
import MonitoringRecords
import ReadingIntake
import StoreInterface
import ThresholdRules
import Vitals

/// The status a municipality sends the patient's GP when a course of home monitoring ends, or
/// along the way: one or two pages a GP reads in a minute. What the period showed (charts of
/// weight, blood pressure and pulse with the limits in force), what was flagged and done about
/// it, what the hotline decided and which medication changed, how well the patient measured, and
/// the nurse's closing remark. Pure: built from the store's record of the patient.
public struct StatusReport: Sendable {
    /// A flag of the period and what became of it, in words.
    public struct FlagLine: Sendable, Hashable {
        public var opened: LocalDay
        public var severity: Severity
        /// The explanation in a few words (`FlagHeadline`).
        public var headline: String
        public var explanation: String
        /// "closed 20 Nov by Test Nurse: called, diuretic taken late", "escalated 18 Nov", "open".
        public var outcome: String
    }

    /// A medication change the hotline recorded.
    public struct MedicationChange: Sendable, Hashable {
        public var day: LocalDay
        public var change: String
        public var by: String
    }

    public var patient: Patient
    public var zone: TimeZone
    /// The first and last day of the period, in the patient's zone.
    public var firstDay: LocalDay
    public var lastDay: LocalDay
    public var preparedBy: String
    public var preparedAt: Date
    /// One value per day (the first of the day), per kind, within the period.
    public var daily: [ReadingKind: [PatientOverview.DailyPoint]]
    /// The limits in force at the end of the period, drawn across the charts.
    public var limits: [ReadingKind: [PatientOverview.LimitLine]]
    public var flags: [FlagLine]
    public var escalations: [Escalation]
    public var medicationChanges: [MedicationChange]
    /// Personal settings in force at the end of the period, with who set them and why.
    public var thresholds: [PatientOverview.Threshold]
    /// Weighing days over the period against what the plan asked for.
    public var adherence: Adherence
    public var measurementPlan: String
    public var readingCounts: [ReadingKind: Int]
    /// The nurse's closing remark; the end of monitoring's comment when none is given.
    public var remark: String?

    /// The report for `record` from `firstDay` (default: the day monitoring started) to
    /// `lastDay` (default: the day it ended, or today), days in the patient's zone; the limits
    /// and settings are those in force at the end of the last day, or now if that is later.
    /// `record` must hold the readings since `firstDay`.
    public init(
        record: PatientRecord, ruleSet: RuleSet?, firstDay: LocalDay?, lastDay: LocalDay?, now: Date,
        defaultZone: TimeZone, preparedBy: String, remark: String?
    ) {
        let zone = TimeZone(identifier: record.patient.timeZone) ?? defaultZone
        let startDay = LocalDay(record.patient.monitoringStart, in: zone)
        let firstDay = max(firstDay ?? startDay, startDay)
        let lastDay = max(
            firstDay,
            lastDay ?? record.patient.monitoringEnd.map { LocalDay($0.endedAt, in: zone) } ?? LocalDay(now, in: zone))
        let to = min(now, lastDay.adding(days: 1).start(in: zone).addingTimeInterval(-0.001))
        let preparedAt = now
        let inPeriod = record.readings.filter {
            let day = LocalDay($0.measuredAt, in: zone)
            return day >= firstDay && day <= lastDay
        }
        var periodRecord = record
        periodRecord.readings = inPeriod
        let overview = PatientOverview(
            record: periodRecord, ruleSet: ruleSet, now: to, defaultZone: defaultZone,
            chartDays: firstDay.days(to: lastDay) + 1)
        patient = record.patient
        self.zone = zone
        self.firstDay = firstDay
        self.lastDay = lastDay
        self.preparedBy = preparedBy
        self.preparedAt = preparedAt
        daily = overview.daily
        limits = overview.limits
        thresholds = overview.thresholds
        measurementPlan = overview.measurementPlan.text
        adherence = Adherence(
            weighings: inPeriod.filter { $0.kind == .weight }.map(\.measuredAt),
            days: (0...firstDay.days(to: lastDay)).map { firstDay.adding(days: $0) }, today: lastDay, zone: zone,
            monitoringStart: record.patient.monitoringStart, plan: overview.measurementPlan)
        readingCounts = Dictionary(grouping: inPeriod, by: \.kind).mapValues(\.count)

        func day(_ instant: Date) -> LocalDay { LocalDay(instant, in: zone) }
        let periodEscalations = record.escalations.filter {
            day($0.escalatedAt) >= firstDay && day($0.escalatedAt) <= lastDay
        }.sorted { $0.escalatedAt < $1.escalatedAt }
        escalations = periodEscalations
        flags = record.flags.filter { day($0.openedAt) >= firstDay && day($0.openedAt) <= lastDay }
            .sorted { ($0.openedAt, $0.id) < ($1.openedAt, $1.id) }
            .map { flag in
                let outcome: String
                switch flag.state {
                case .open: outcome = "open at the end of the period"
                case .escalated:
                    outcome = "escalated to the hotline, waiting for its answer"
                case .withdrawn:
                    outcome = "withdrawn: later readings showed the rule did not apply"
                case .closed:
                    let escalated = periodEscalations.first { $0.flagIDs.contains(flag.id) }
                    let when = flag.closedAt.map { " \(day($0).short)" } ?? ""
                    let who = flag.closedBy.map { " by \($0)" } ?? ""
                    let comment = flag.closeComment.map { ": \($0)" } ?? ""
                    outcome =
                        (escalated.map { "escalated \(day($0.escalatedAt).short); " } ?? "")
                        + "closed\(when)\(who)\(comment)"
                }
                return FlagLine(
                    opened: day(flag.openedAt), severity: flag.severity, headline: FlagHeadline.of(flag.explanation),
                    explanation: flag.explanation, outcome: outcome)
            }
        medicationChanges = periodEscalations.compactMap { escalation in
            guard let answer = escalation.answer, let change = answer.medicationChange else { return nil }
            return MedicationChange(day: day(answer.answeredAt), change: change, by: answer.answeredBy)
        }
        self.remark = remark ?? record.patient.monitoringEnd?.comment
    }

    /// The change in weight from the first to the last daily value of the period, in kg.
    public var weightChange: (first: PatientOverview.DailyPoint, last: PatientOverview.DailyPoint)? {
        guard let points = daily[.weight], let first = points.first, let last = points.last, points.count > 1 else {
            return nil
        }
        return (first, last)
    }
}
