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

        /// The explanation in a few words (worked out when shown, not for every flag).
        public var headline: String { FlagHeadline.of(explanation) }
    }

    public var id: String { patientID }
    public var patientID: String
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

    /// The flags in a few words: "weight +2.5 kg in 3 days; pulse 112 /min > red 110".
    public var flagSummary: String {
        var seen: Set<String> = []
        return flags.map(\.headline).filter { seen.insert($0).inserted }.joined(separator: "; ")
    }
}

/// The nurse's list for one ISO week: red first, then yellow, then who stopped measuring, then
/// stable; within each, the longest-waiting flag first.
public struct Worklist: Sendable, Codable {
    public var week: ISOWeek
    public var generatedAt: Date
    public var entries: [WorklistEntry]

    /// Builds the list from the store's snapshot. `ruleSet` tells missing-data flags from the
    /// others and gives the measurement plan (`MeasurementPlan`); without it every flag counts
    /// by its severity and the plan is TeleHjerte's. A patient's own days a week come with the
    /// snapshot's line.
    public init(
        snapshot: WorklistSnapshot, week: ISOWeek, now: Date, defaultZone: TimeZone, ruleSet: RuleSet?
    ) {
        let missingRules = Set((ruleSet?.rules ?? []).filter { $0.kind == .missing }.map(\.id))
        let ruleSetPlan = MeasurementPlan(ruleSet: ruleSet, context: nil, at: now)
        var zones: [String: TimeZone] = [:]
        var todays: [TimeZone: LocalDay] = [:]
        let weekDays = week.days
        func adherence(_ line: WorklistSnapshot.Line, zone: TimeZone) -> Adherence {
            let today = todays[zone] ?? LocalDay(now, in: zone)
            todays[zone] = today
            let plan = ruleSetPlan.measuring(daysAWeek: line.daysAWeek)
            if let weighings = line.weighings {
                return Adherence(
                    weighings: weighings, days: weekDays, today: today, zone: zone,
                    monitoringStart: line.patient.monitoringStart, plan: plan)
            }
            let firstDay = LocalDay(line.patient.monitoringStart, in: zone)
            let weighed = line.weight.map { $0.weekMonday == week.monday.number ? $0.weekDays : 0 } ?? 0
            return Adherence(weighedDays: weighed, days: weekDays, today: today, firstDay: firstDay, plan: plan)
        }
        let unsorted: [WorklistEntry] = snapshot.lines.map { line in
            let patient = line.patient
            let zone =
                zones[patient.timeZone]
                ?? {
                    let zone = TimeZone(identifier: patient.timeZone) ?? defaultZone
                    zones[patient.timeZone] = zone
                    return zone
                }()
            let flags = line.openFlags.map { flag in
                WorklistEntry.Flag(
                    id: flag.id, ruleID: flag.ruleID, severity: flag.severity,
                    missingData: missingRules.contains(flag.ruleID), escalated: flag.escalated,
                    explanation: flag.explanation, openedAt: flag.openedAt)
            }.sorted { ($0.severity, $1.openedAt, $0.id) > ($1.severity, $0.openedAt, $1.id) }
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
            func trend(_ kind: ReadingKind) -> Trend? {
                let latest =
                    switch kind {
                    case .weight: line.weight
                    case .systolic: line.systolic
                    case .diastolic: line.diastolic
                    case .pulse: line.pulse
                    }
                return latest.map {
                    Trend(
                        kind: kind, value: $0.value, measuredAt: $0.measuredAt,
                        reference: $0.weekMonday == week.monday.number ? $0.previousWeekValue : nil)
                }
            }
            return WorklistEntry(
                patientID: patient.id, name: patient.name, maskedCPR: patient.maskedCPR, triage: triage,
                flags: flags, oldestFlagOpenedAt: flags.map(\.openedAt).min(),
                weight: trend(.weight), systolic: trend(.systolic), diastolic: trend(.diastolic), pulse: trend(.pulse),
                adherence: adherence(line, zone: zone),
                review: snapshot.reviews[patient.id],
                pendingEscalationID: snapshot.pendingEscalations[patient.id]?.id)
        }
        // Sort positions by small keys, then take the entries in that order: entries are large,
        // and moving them around in the sort was most of the list's cost.
        let keys = unsorted.map { entry in
            (
                triage: entry.triage.rawValue,
                waiting: entry.oldestFlagOpenedAt?.timeIntervalSince1970 ?? .infinity,
                name: entry.name.lowercased(), id: entry.patientID
            )
        }
        entries = unsorted.indices.sorted { a, b in
            let (x, y) = (keys[a], keys[b])
            if x.triage != y.triage { return x.triage < y.triage }
            if x.waiting != y.waiting { return x.waiting < y.waiting }
            if x.name != y.name { return x.name < y.name }
            return x.id < y.id
        }.map { unsorted[$0] }
        self.week = week
        generatedAt = now
    }

    /// The entries a filter leaves: flagged only, and/or matching `search` in name or id
    /// (case-insensitive).
    public func filtered(flaggedOnly: Bool, search: String) -> [WorklistEntry] {
        let needle = search.trimmingCharacters(in: .whitespaces)
        return entries.filter { entry in
            (!flaggedOnly || entry.triage != .stable)
                && (needle.isEmpty || entry.name.localizedCaseInsensitiveContains(needle)
                    || entry.patientID.localizedCaseInsensitiveContains(needle))
        }
    }

    /// How many patients are in each triage group.
    public var counts: [Triage: Int] {
        Dictionary(grouping: entries, by: \.triage).mapValues(\.count)
    }
}
