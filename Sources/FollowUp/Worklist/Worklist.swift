import Foundation
import MonitoringRecords
import StoreInterface
import ThresholdRules
import Vitals

/// One patient's line on the weekly worklist.
public struct WorklistEntry: Sendable, Hashable, Codable, Identifiable {
    /// An open or escalated flag as the list shows it.
    public struct Flag: Sendable, Hashable, Codable {
        public var id: Int64
        public var ruleID: String
        public var severity: Severity
        public var missingData: Bool
        public var escalated: Bool
        public var explanation: String
        public var openedAt: Date
        /// Open and unacknowledged past its severity's working days (`WaitingLimits.flags`).
        public var overdue: Bool = false

        /// The explanation in a few words (worked out when shown, not for every flag).
        public var headline: String { FlagHeadline.of(explanation) }
    }

    public var id: PatientID { patientID }
    public var patientID: PatientID
    public var name: String
    /// `010101-****`; the full number is only in the patient view.
    public var maskedCPR: String?
    public var triage: Triage
    /// Most severe first, then oldest first.
    public var flags: [Flag]
    /// When the oldest open flag was raised: how long it has waited.
    public var oldestFlagOpenedAt: Date?
    public var weight: Trend?
    public var systolic: Trend?
    public var diastolic: Trend?
    public var pulse: Trend?
    public var adherence: Adherence
    public var review: WeeklyReview?
    /// An escalation waiting for the hotline's answer.
    public var pendingEscalationID: Int64?
    /// When that escalation was sent.
    public var pendingEscalationAt: Date?
    /// That escalation has waited longer than `WaitingLimits.escalationAnswer`: it is back with
    /// the nurse, to chase the hotline.
    public var escalationOverdue: Bool = false

    /// The next review date the cardiologist set (`2026-12-04`), if any.
    public var nextReview: String?
    /// That date has come and nobody has marked the patient reviewed in its week or later.
    public var reviewDue: Bool = false

    /// Waiting for the hotline: an escalation without an answer, or a review date that has come.
    public var waitingForHotline: Bool { pendingEscalationID != nil || reviewDue }

    /// A flag is overdue or an escalation has gone unanswered too long: the line comes first in
    /// its triage group and says so.
    public var needsChasing: Bool { escalationOverdue || flags.contains(where: \.overdue) }

    /// What is overdue, in words, as of `now`: "OVERDUE: red flag open since 2026-11-30;
    /// escalation #4 unanswered for 27 h". `nil` when nothing is.
    public func overdueText(now: Date) -> String? {
        var parts: [String] = []
        if let flag = flags.filter(\.overdue).min(by: { $0.openedAt < $1.openedAt }) {
            parts.append(
                "\(flag.severity.rawValue) flag open since \(flag.openedAt.formatted(.iso8601.year().month().day()))")
        }
        if escalationOverdue, let id = pendingEscalationID, let at = pendingEscalationAt {
            parts.append("escalation #\(id) unanswered for \(Int(now.timeIntervalSince(at) / 3600)) h")
        }
        return parts.isEmpty ? nil : "OVERDUE: " + parts.joined(separator: "; ")
    }

    /// The flags in a few words: "weight +2.5 kg in 3 days; pulse 112 /min > red 110".
    public var flagSummary: String {
        var seen: Set<String> = []
        return flags.map(\.headline).filter { seen.insert($0).inserted }.joined(separator: "; ")
    }
}

/// The nurse's list for one ISO week: red first, then yellow, then who stopped measuring, then
/// stable; within each, what is overdue first (`WaitingLimits`), then the longest-waiting flag.
/// Patients whose monitoring has ended are not on it.
public struct Worklist: Sendable, Codable {
    public var week: ISOWeek
    public var generatedAt: Date
    public var entries: [WorklistEntry]
    /// Patients whose monitoring has ended: not on the list, counted so the total adds up.
    public var ended: Int = 0

    /// Builds the list from the store's snapshot. `ruleSet` tells missing-data flags from the
    /// others and gives the measurement plan (`MeasurementPlan`); without it every flag counts
    /// by its severity and the plan is TeleHjerte's. A patient's own days a week come with the
    /// snapshot's line.
    public init(
        snapshot: WorklistSnapshot, week: ISOWeek, now: Date, defaultZone: TimeZone, ruleSet: RuleSet?,
        limits: WaitingLimits = WaitingLimits()
    ) {
        let missingRules = Set((ruleSet?.rules ?? []).filter { $0.kind == .missing }.map(\.id))
        let ruleSetPlan = MeasurementPlan(ruleSet: ruleSet, context: nil, at: now)
        // Each zone's name resolved, and its today, once for the list.
        var zones: [String: (zone: TimeZone, today: LocalDay)] = [:]
        let weekDays = week.days
        // A monitoring start this long before the week is older than any daily phase reaching
        // into it: its own day, worked out in the zone for every patient, would change nothing.
        let longBefore = week.start(in: defaultZone).addingTimeInterval(
            -Double(ruleSetPlan.dailyPhaseDays + 2) * 86_400)
        func adherence(_ line: WorklistSnapshot.Line, zone: TimeZone, today: LocalDay) -> Adherence {
            let plan = ruleSetPlan.measuring(daysAWeek: line.daysAWeek)
            if let weighings = line.weighings {
                return Adherence(
                    weighings: weighings, days: weekDays, today: today, zone: zone,
                    monitoringStart: line.patient.monitoringStart, plan: plan)
            }
            let start = line.patient.monitoringStart
            let firstDay =
                start < longBefore
                ? weekDays[0].adding(days: -(plan.dailyPhaseDays + 1)) : LocalDay(start, in: zone)
            let weighed = line.weight.map { $0.weekMonday == week.monday.number ? $0.weekDays : 0 } ?? 0
            return Adherence(weighedDays: weighed, days: weekDays, today: today, firstDay: firstDay, plan: plan)
        }
        let todayInList = LocalDay(now, in: defaultZone)
        // Two passes: first what orders the list (flags, triage, what is overdue) for every
        // monitored line, then the entries themselves, made in their final order into an array of
        // the final size. Entries are large: sorting them, or making them unsorted and copying
        // them into order, was most of the list's cost (page faults included).
        struct Placed {
            var line: Int
            var zone: TimeZone
            var today: LocalDay
            var flags: [WorklistEntry.Flag]
            var triage: Triage
            var escalationOverdue: Bool
        }
        // The lines are read in place (through the buffer, not copied out of the array).
        let (entries, monitored) = snapshot.lines.withUnsafeBufferPointer { lines in
            var placed: [Placed] = []
            placed.reserveCapacity(snapshot.lines.count)
            for index in lines.indices {
                guard lines[index].patient.monitoringEnd == nil else { continue }
                let zoneName = lines[index].patient.timeZone
                let (zone, today) =
                    zones[zoneName]
                    ?? {
                        let zone = TimeZone(identifier: zoneName) ?? defaultZone
                        let resolved = (zone, LocalDay(now, in: zone))
                        zones[zoneName] = resolved
                        return resolved
                    }()
                var flags = lines[index].openFlags.map { flag in
                    WorklistEntry.Flag(
                        id: flag.id, ruleID: flag.ruleID, severity: flag.severity,
                        missingData: missingRules.contains(flag.ruleID), escalated: flag.escalated,
                        explanation: flag.explanation, openedAt: flag.openedAt,
                        overdue: !flag.escalated
                            && limits.flags.isOverdue(
                                severity: flag.severity, openedAt: flag.openedAt, today: today, zone: zone)
                    )
                }
                flags.sort { ($0.severity, $1.openedAt, $0.id) > ($1.severity, $0.openedAt, $1.id) }
                let triage: Triage =
                    if flags.contains(where: { $0.severity == .red }) {
                        .red
                    } else if flags.contains(where: { !$0.missingData }) {
                        .yellow
                    } else if !flags.isEmpty {
                        .missingData
                    } else {
                        .stable
                    }
                let escalationOverdue =
                    snapshot.pendingEscalations[lines[index].patient.id].map {
                        now.timeIntervalSince($0.escalatedAt) > limits.escalationAnswer
                    } ?? false
                placed.append(
                    Placed(
                        line: index, zone: zone, today: today, flags: flags, triage: triage,
                        escalationOverdue: escalationOverdue))
            }
            // The order: by small keys (the same as `WorklistEntry.needsChasing` and
            // `oldestFlagOpenedAt` give).
            let keys = placed.map { place in
                (
                    triage: place.triage.rawValue,
                    chasing: place.escalationOverdue || place.flags.contains(where: \.overdue),
                    waiting: place.flags.lazy.map(\.openedAt.timeIntervalSince1970).min() ?? .infinity,
                    name: lines[place.line].patient.name.lowercased(),
                    id: lines[place.line].patient.id
                )
            }
            let order = placed.indices.sorted { a, b in
                let (x, y) = (keys[a], keys[b])
                if x.triage != y.triage { return x.triage < y.triage }
                if x.chasing != y.chasing { return x.chasing }
                if x.waiting != y.waiting { return x.waiting < y.waiting }
                if x.name != y.name { return x.name < y.name }
                return x.id < y.id
            }
            var entries: [WorklistEntry] = []
            entries.reserveCapacity(order.count)
            for position in order {
                let place = placed[position]
                // Through a pointer: a line taken out of the buffer would be a copy of all it holds.
                let line = lines.baseAddress! + place.line
                let patient = line.pointee.patient
                func trend(_ kind: ReadingKind) -> Trend? {
                    let latest =
                        switch kind {
                        case .weight: line.pointee.weight
                        case .systolic: line.pointee.systolic
                        case .diastolic: line.pointee.diastolic
                        case .pulse: line.pointee.pulse
                        }
                    return latest.map {
                        Trend(
                            kind: kind, value: $0.value, measuredAt: $0.measuredAt,
                            reference: $0.weekMonday == week.monday.number ? $0.previousWeekValue : nil)
                    }
                }
                let pending = snapshot.pendingEscalations[patient.id]
                let nextReview = snapshot.nextReviews[patient.id]
                var reviewDue = false
                if let nextReview, let date = LocalDay(iso: nextReview), date <= todayInList {
                    let dueWeek = ISOWeek(containing: date).description
                    reviewDue = snapshot.lastReviewedWeeks[patient.id].map { $0 < dueWeek } ?? true
                }
                entries.append(
                    WorklistEntry(
                        patientID: patient.id, name: patient.name, maskedCPR: patient.maskedCPR, triage: place.triage,
                        flags: place.flags, oldestFlagOpenedAt: place.flags.lazy.map(\.openedAt).min(),
                        weight: trend(.weight), systolic: trend(.systolic), diastolic: trend(.diastolic),
                        pulse: trend(.pulse),
                        adherence: adherence(line.pointee, zone: place.zone, today: place.today),
                        review: snapshot.reviews[patient.id],
                        pendingEscalationID: pending?.id, pendingEscalationAt: pending?.escalatedAt,
                        escalationOverdue: place.escalationOverdue, nextReview: nextReview, reviewDue: reviewDue))
            }
            return (entries, placed.count)
        }
        self.entries = entries
        self.week = week
        generatedAt = now
        ended = snapshot.lines.count - monitored
    }

    /// The entries a filter leaves: flagged only, waiting for the hotline only (the
    /// cardiologist's view: escalations without an answer, review dates that have come), and/or
    /// matching `search` in name or id (case-insensitive).
    public func filtered(flaggedOnly: Bool, search: String, waitingOnly: Bool = false) -> [WorklistEntry] {
        let needle = search.trimmingCharacters(in: .whitespaces)
        return entries.filter { entry in
            (!flaggedOnly || entry.triage != .stable) && (!waitingOnly || entry.waitingForHotline)
                && (needle.isEmpty || entry.name.localizedCaseInsensitiveContains(needle)
                    || entry.patientID.rawValue.localizedCaseInsensitiveContains(needle))
        }
    }

    /// How many patients are in each triage group.
    public var counts: [Triage: Int] {
        Dictionary(grouping: entries, by: \.triage).mapValues(\.count)
    }
}
