import Foundation
import MonitoringRecords
import ReadingIntake
import StoreInterface
import ThresholdRules
import Vitals

/// The programme's quality indicators over a period (docs/INDICATORS.md gives each formula):
/// adherence to the measurement plan, time from a red flag to a person's action, weekly
/// reviews, escalations and the hotline's answers, flags closed with no action, patients started
/// and ended. Pure: computed from the patients' records.
public struct QualityIndicators: Sendable, Codable {
    /// A share with what it is made of.
    public struct Share: Sendable, Codable, Hashable {
        public var numerator: Int
        public var denominator: Int
        /// `nil` when there is nothing to divide by.
        public var value: Double? { denominator == 0 ? nil : Double(numerator) / Double(denominator) }

        public init(_ numerator: Int, of denominator: Int) {
            self.numerator = numerator
            self.denominator = denominator
        }
    }

    /// Median and 90th percentile of durations, in hours, with how many there were.
    public struct Durations: Sendable, Codable, Hashable {
        public var count: Int
        public var medianHours: Double?
        public var p90Hours: Double?

        init(_ seconds: [TimeInterval]) {
            let hours = seconds.map { $0 / 3600 }.sorted()
            count = hours.count
            medianHours = Self.percentile(hours, 0.5)
            p90Hours = Self.percentile(hours, 0.9)
        }

        /// The nearest-rank percentile: the smallest value with at least `fraction` of the values at or below it.
        static func percentile(_ sorted: [Double], _ fraction: Double) -> Double? {
            guard !sorted.isEmpty else { return nil }
            let rank = Int((fraction * Double(sorted.count)).rounded(.up))
            return sorted[max(0, min(sorted.count - 1, rank - 1))]
        }
    }

    public struct WeekReview: Sendable, Codable, Hashable {
        public var week: String
        public var reviewed: Share
    }

    public var period: String
    public var firstDay: String
    /// The last day counted: the period's last day, or today while the period runs.
    public var lastDay: String
    public var team: String?
    /// Patients monitored on at least one day of the period.
    public var patients: Int
    /// Days monitored, summed over the patients, and the same in weeks.
    public var patientDays: Int
    public var patientWeeks: Double

    /// Weighing days the plan asked for that were kept (each week's weighing days, up to what
    /// the plan asked for that week), over the days it asked for, summed over the patient-weeks.
    public var weighingDaysAgainstPlan: Share
    /// Patient-weeks in which the plan was met.
    public var weeksMeetingPlan: Share

    /// Red flags opened in the period: time to the first action by a person (acknowledged,
    /// escalated, or closed when monitoring ended).
    public var redFlagsOpened: Int
    public var redFlagResponse: Durations
    /// Red flags acted on within one working day (Monday–Friday) of the day they opened.
    public var redFlagsWithinOneWorkingDay: Share
    /// Red flags opened in the period still without an action at the end of it.
    public var redFlagsWithoutAction: Int

    /// Monitored patient-weeks with a weekly review, over all weeks of the period, and per week.
    public var patientWeeksReviewed: Share
    public var weeklyReviews: [WeekReview]

    public var escalations: Int
    public var escalationsPer100PatientWeeks: Double?
    public var hotlineAnswer: Durations
    public var escalationsUnanswered: Int

    /// Flags a person closed in the period that were not escalated and had no contact note
    /// (phone, video or home visit) between their opening and their closing.
    public var flagsClosedWithNoAction: Share
    public var flagsClosedWithNoActionPer100PatientWeeks: Double?
    /// Flags the rules withdrew in the period (later readings showed the rule did not apply).
    public var flagsWithdrawn: Int

    public var patientsStarted: Int
    /// Patients whose monitoring ended in the period, by reason.
    public var patientsEnded: [String: Int]

    /// Computes the indicators from `records` (each with readings, flags, notes, reviews and
    /// escalations covering the period), counting days up to `now`.
    public init(
        records: [PatientRecord], period: IndicatorPeriod, team: String?, ruleSet: RuleSet?, now: Date,
        defaultZone: TimeZone
    ) {
        let periodZone = defaultZone
        let today = LocalDay(now, in: periodZone)
        let lastCounted = min(period.lastDay, today)
        self.period = period.name
        firstDay = period.firstDay.description
        lastDay = lastCounted.description
        self.team = team

        var patients = 0
        var patientDays = 0
        var weighed = 0
        var planned = 0
        var weeksMet = 0
        var weeksWithPlan = 0
        var redOpened = 0
        var redResponses: [TimeInterval] = []
        var redWithinDay = 0
        var redWithout = 0
        var reviewedByWeek: [String: (reviewed: Int, monitored: Int)] = [:]
        var escalations = 0
        var answers: [TimeInterval] = []
        var unanswered = 0
        var closedByPeople = 0
        var closedWithNoAction = 0
        var withdrawn = 0
        var started = 0
        var ended: [String: Int] = [:]
        let periodStart = period.firstDay.start(in: periodZone)
        let periodEnd = min(now, period.lastDay.adding(days: 1).start(in: periodZone))
        func inPeriod(_ instant: Date) -> Bool { instant >= periodStart && instant < periodEnd }

        for record in records {
            let patient = record.patient
            let zone = TimeZone(identifier: patient.timeZone) ?? defaultZone
            let startDay = LocalDay(patient.monitoringStart, in: zone)
            let endDay = patient.monitoringEnd.map { LocalDay($0.endedAt, in: zone) }
            let first = max(period.firstDay, startDay)
            let last = min(lastCounted, endDay ?? lastCounted)
            if inPeriod(patient.monitoringStart) { started += 1 }
            if let end = patient.monitoringEnd, inPeriod(end.endedAt) { ended[end.reason.rawValue, default: 0] += 1 }
            guard first <= last else { continue }
            patients += 1
            patientDays += first.days(to: last) + 1

            // Adherence, week by week, on the monitored days of each week.
            let context = PatientContext(
                timeZone: zone, monitoringStart: patient.monitoringStart, settings: record.settings.map(\.setting))
            let plan = MeasurementPlan(ruleSet: ruleSet, context: context, at: min(now, periodEnd))
            let weighings = record.readings.filter { $0.kind == .weight }.map(\.measuredAt)
            let reviewedWeeks = Set(record.reviews.map(\.week))
            var week = ISOWeek(containing: first)
            while week.monday <= last {
                // A week still running is not judged yet.
                if lastCounted == today, week.monday.adding(days: 6) > lastCounted { break }
                let days = week.days.filter { $0 >= first && $0 <= last }
                let adherence = Adherence(
                    weighings: weighings, days: days, today: last, zone: zone,
                    monitoringStart: patient.monitoringStart, plan: plan)
                // Planned days kept: weighing more often than asked makes up for no other week.
                weighed += min(adherence.measuredDays, adherence.plannedDays)
                planned += adherence.plannedDays
                if adherence.plannedDays > 0 {
                    weeksWithPlan += 1
                    if adherence.meetsPlan { weeksMet += 1 }
                }
                let name = week.description
                reviewedByWeek[name, default: (0, 0)].monitored += 1
                if reviewedWeeks.contains(name) { reviewedByWeek[name, default: (0, 0)].reviewed += 1 }
                week = ISOWeek(containing: week.monday.adding(days: 7))
            }

            // Red flags: time to the first action by a person.
            for flag in record.flags where flag.severity == .red && flag.state != .withdrawn && inPeriod(flag.openedAt)
            {
                redOpened += 1
                let escalatedAt = record.escalations.filter { $0.flagIDs.contains(flag.id) }.map(\.escalatedAt).min()
                let closedAt = flag.state == .closed ? flag.closedAt : nil
                guard let acted = [escalatedAt, closedAt].compactMap({ $0 }).min(), acted < periodEnd else {
                    redWithout += 1
                    continue
                }
                redResponses.append(acted.timeIntervalSince(flag.openedAt))
                if OverduePolicy.workingDays(from: flag.openedAt, to: acted, zone: zone) <= 1 { redWithinDay += 1 }
            }

            // Escalations and the hotline's answers.
            for escalation in record.escalations where inPeriod(escalation.escalatedAt) {
                escalations += 1
                if let answer = escalation.answer, answer.answeredAt < periodEnd {
                    answers.append(answer.answeredAt.timeIntervalSince(escalation.escalatedAt))
                } else {
                    unanswered += 1
                }
            }

            // Flags closed by a person with nothing done: no escalation, no contact recorded.
            let contacts = record.notes.filter { $0.contact != .none }.map(\.writtenAt)
            for flag in record.flags {
                if flag.state == .withdrawn, inPeriod(flag.closedAt ?? flag.updatedAt) { withdrawn += 1 }
                guard flag.state == .closed, let closedAt = flag.closedAt, inPeriod(closedAt) else { continue }
                closedByPeople += 1
                let escalated = record.escalations.contains { $0.flagIDs.contains(flag.id) }
                let contacted = contacts.contains { $0 >= flag.openedAt && $0 <= closedAt }
                if !escalated && !contacted { closedWithNoAction += 1 }
            }
        }

        self.patients = patients
        self.patientDays = patientDays
        patientWeeks = Double(patientDays) / 7
        let per100 = patientDays == 0 ? nil : 100 / (Double(patientDays) / 7)
        weighingDaysAgainstPlan = Share(weighed, of: planned)
        weeksMeetingPlan = Share(weeksMet, of: weeksWithPlan)
        redFlagsOpened = redOpened
        redFlagResponse = Durations(redResponses)
        redFlagsWithinOneWorkingDay = Share(redWithinDay, of: redOpened)
        redFlagsWithoutAction = redWithout
        weeklyReviews = reviewedByWeek.keys.sorted().map {
            WeekReview(week: $0, reviewed: Share(reviewedByWeek[$0]!.reviewed, of: reviewedByWeek[$0]!.monitored))
        }
        patientWeeksReviewed = Share(
            weeklyReviews.map(\.reviewed.numerator).reduce(0, +),
            of: weeklyReviews.map(\.reviewed.denominator).reduce(0, +))
        self.escalations = escalations
        escalationsPer100PatientWeeks = per100.map { Double(escalations) * $0 }
        hotlineAnswer = Durations(answers)
        escalationsUnanswered = unanswered
        flagsClosedWithNoAction = Share(closedWithNoAction, of: closedByPeople)
        flagsClosedWithNoActionPer100PatientWeeks = per100.map { Double(closedWithNoAction) * $0 }
        flagsWithdrawn = withdrawn
        patientsStarted = started
        patientsEnded = ended
    }
}
