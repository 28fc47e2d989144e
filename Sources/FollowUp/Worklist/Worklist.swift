import Foundation
import TeleIngest
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
        public var headline: String
        public var explanation: String
        public var openedAt: Date
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
    /// others and gives the daily phase of the measurement plan; without it every flag counts
    /// by its severity and the daily phase is 14 days (TeleHjerte).
    public init(
        snapshot: WorklistSnapshot, week: ISOWeek, now: Date, defaultZone: TimeZone, ruleSet: RuleSet?
    ) {
        let missingRules = Set((ruleSet?.rules ?? []).filter { $0.kind == .missing }.map(\.id))
        let dailyPhaseDays =
            ruleSet?.rules.first { $0.kind == .missing && $0.measurement == .weight }
            .flatMap { $0.parameters["dailyPhaseDays"] }.map { Int($0) } ?? 14
        var zones: [String: TimeZone] = [:]
        entries = snapshot.patients.map { patient in
            let zone =
                zones[patient.timeZone]
                ?? {
                    let zone = TimeZone(identifier: patient.timeZone) ?? defaultZone
                    zones[patient.timeZone] = zone
                    return zone
                }()
            let flags = (snapshot.openFlags[patient.id] ?? []).map { flag in
                WorklistEntry.Flag(
                    id: flag.id, ruleID: flag.ruleID, severity: flag.severity,
                    missingData: missingRules.contains(flag.ruleID), escalated: flag.escalated,
                    headline: FlagHeadline.of(flag.explanation), explanation: flag.explanation,
                    openedAt: flag.openedAt)
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
            let latest = snapshot.latest[patient.id] ?? [:]
            let reference = snapshot.reference[patient.id] ?? [:]
            func trend(_ kind: ReadingKind) -> Trend? {
                latest[kind].map {
                    Trend(
                        kind: kind, value: $0.value, measuredAt: $0.measuredAt, reference: reference[kind],
                        referenceBefore: snapshot.referenceBefore)
                }
            }
            return WorklistEntry(
                patientID: patient.id, name: patient.name, maskedCPR: patient.maskedCPR, triage: triage,
                flags: flags, oldestFlagOpenedAt: flags.map(\.openedAt).min(),
                weight: trend(.weight), systolic: trend(.systolic), diastolic: trend(.diastolic), pulse: trend(.pulse),
                adherence: Adherence(
                    weighings: snapshot.weighings[patient.id] ?? [], week: week, today: LocalDay(now, in: zone),
                    zone: zone, monitoringStart: patient.monitoringStart, dailyPhaseDays: dailyPhaseDays),
                review: snapshot.reviews[patient.id],
                pendingEscalationID: snapshot.pendingEscalations[patient.id]?.id)
        }
        .sorted(by: Self.precedes)
        self.week = week
        generatedAt = now
    }

    /// Red before yellow before missing data before stable; then the longest-waiting flag; then name.
    static func precedes(_ a: WorklistEntry, _ b: WorklistEntry) -> Bool {
        if a.triage != b.triage { return a.triage < b.triage }
        switch (a.oldestFlagOpenedAt, b.oldestFlagOpenedAt) {
        case (let x?, let y?) where x != y: return x < y
        case (.some, nil): return true
        case (nil, .some): return false
        default: break
        }
        if a.name != b.name { return a.name.localizedStandardCompare(b.name) == .orderedAscending }
        return a.patientID < b.patientID
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
