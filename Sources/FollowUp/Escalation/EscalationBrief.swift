import Foundation
import MonitoringRecords
import ReadingIntake
import StoreInterface
import ThresholdRules
import Vitals

/// The SBAR brief (Situation, Background, Assessment, Recommendation) a nurse reads to the
/// hotline or pastes into a secure message, pre-filled from the record: the flags with their
/// numbers, the weight trend, the latest BP and pulse, adherence, personal thresholds and the
/// last notes. The nurse's own words go into the situation, assessment and recommendation.
public struct EscalationBrief: Sendable, Hashable {
    /// Why she escalates, in her words (required).
    public var reason: String
    /// Her assessment, if she adds one.
    public var assessment: String
    /// What she asks for; a plain request for assessment when empty.
    public var recommendation: String

    public init(reason: String, assessment: String = "", recommendation: String = "") {
        self.reason = reason
        self.assessment = assessment
        self.recommendation = recommendation
    }

    /// The brief as text, about 25–40 lines of at most ~100 characters.
    public func text(for overview: PatientOverview, by clinician: Clinician, at now: Date) -> String {
        let patient = overview.record.patient
        let zone = overview.zone
        var lines: [String] = []
        func add(_ line: String = "") { lines.append(line) }
        add("SBAR — escalation to the heart-failure hotline")
        add(
            "Patient: \(patient.name), CPR \(patient.cpr ?? "not recorded"), id \(patient.id)")
        add("From: \(clinician.name) (\(clinician.role.rawValue)), \(Self.local(now, zone))")
        add()
        add("S — Situation")
        add("  \(reason.trimmingCharacters(in: .whitespacesAndNewlines))")
        let open = overview.openFlags
        if open.isEmpty {
            add("  No open flags.")
        } else {
            add("  Open flags:")
            for flag in open {
                add(
                    "  - \(flag.severity.rawValue.uppercased()) \(overview.title(ofRule: flag.ruleID)): \(flag.explanation)"
                )
                for other in flag.alsoSeenBy {
                    add("    also \(overview.title(ofRule: other.ruleID)): \(other.explanation)")
                }
            }
        }
        add()
        add("B — Background")
        let monitoringDay = LocalDay(patient.monitoringStart, in: zone).days(to: overview.today) + 1
        add("  Monitored since \(LocalDay(patient.monitoringStart, in: zone)) (day \(monitoringDay)).")
        if overview.thresholds.isEmpty {
            add("  Personal thresholds: none; the rule set's defaults apply.")
        } else {
            add("  Personal thresholds in force:")
            for threshold in overview.thresholds {
                add("  - \(threshold.what) (set by \(threshold.setBy) \(LocalDay(threshold.setAt, in: zone)))")
            }
        }
        if !overview.limitProposals.isEmpty {
            add("  Proposed from the patient's own readings (for you to decide):")
            for proposal in overview.limitProposals {
                add("  - \(proposal.change): \(proposal.basis)")
            }
        }
        let notes = overview.record.notes.prefix(3)
        if notes.isEmpty {
            add("  No notes yet.")
        } else {
            add("  Last notes:")
            for note in notes {
                add(
                    "  - \(LocalDay(note.writtenAt, in: zone)) \(note.contact.rawValue), \(note.writtenBy): \(note.text)"
                )
            }
        }
        if let last = overview.record.escalations.first(where: { $0.answer != nil }), let answer = last.answer {
            add(
                "  Last escalation \(LocalDay(last.escalatedAt, in: zone)): \(answer.decision.words)"
                    + (answer.medicationChange.map { " (\($0))" } ?? ""))
        }
        add()
        add("A — Assessment")
        add("  Weight: \(weightLine(overview))")
        add("  Blood pressure: \(pressureLine(overview))")
        add("  Pulse: \(valueLine(overview, .pulse))")
        add("  Adherence: weighed on \(overview.weighedDaysLastWeek) of the last 7 days.")
        if !assessment.trimmingCharacters(in: .whitespaces).isEmpty {
            add("  Nurse's assessment: \(assessment.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        add()
        add("R — Recommendation")
        let request = recommendation.trimmingCharacters(in: .whitespacesAndNewlines)
        add("  \(request.isEmpty ? "Assessment by a cardiologist requested." : request)")
        return lines.joined(separator: "\n") + "\n"
    }

    func weightLine(_ overview: PatientOverview) -> String {
        guard let latest = overview.latest(.weight) else { return "no weighing in the last 30 days." }
        var text = "\(kg(latest.value)) on \(LocalDay(latest.measuredAt, in: overview.zone).short)"
        for days in [3, 7] {
            if let earlier = overview.reading(.weight, daysBeforeLatest: days) {
                let change = latest.value - earlier.value
                text +=
                    "; \(days) days before \(kg(earlier.value)) (\(change >= 0 ? "+" : "−")\(kg(abs(change))))"
            }
        }
        if let dry = overview.dryWeight {
            let over = latest.value - dry
            text += "; dry weight \(kg(dry)) (\(over >= 0 ? "+" : "−")\(kg(abs(over))))"
        }
        let values = (overview.daily[.weight] ?? []).map(\.value)
        if let low = values.min(), let high = values.max(), values.count > 1 {
            text += "; 30-day range \(Quantity.format(low, decimals: 1))–\(kg(high))"
        }
        return text + "."
    }

    func pressureLine(_ overview: PatientOverview) -> String {
        guard let systolic = overview.latest(.systolic) else { return "none in the last 30 days." }
        let diastolic = overview.record.readings.last { $0.kind == .diastolic && $0.measuredAt == systolic.measuredAt }
        var text =
            "\(Int(systolic.value.rounded()))/\(diastolic.map { String(Int($0.value.rounded())) } ?? "–") mmHg on \(LocalDay(systolic.measuredAt, in: overview.zone).short)"
        let week = (overview.daily[.systolic] ?? []).filter { $0.day > overview.today.adding(days: -7) }.map(\.value)
        if week.count > 1 {
            text += "; 7-day mean systolic \(Int((week.reduce(0, +) / Double(week.count)).rounded())) mmHg"
        }
        return text + "."
    }

    func valueLine(_ overview: PatientOverview, _ kind: ReadingKind) -> String {
        guard let latest = overview.latest(kind) else { return "none in the last 30 days." }
        var text =
            "\(Int(latest.value.rounded())) \(kind.canonicalUnit.rawValue) on \(LocalDay(latest.measuredAt, in: overview.zone).short)"
        let week = (overview.daily[kind] ?? []).filter { $0.day > overview.today.adding(days: -7) }.map(\.value)
        if week.count > 1 {
            text += "; 7-day mean \(Int((week.reduce(0, +) / Double(week.count)).rounded()))"
        }
        return text + "."
    }

    func kg(_ value: Double) -> String { Quantity.format(value, decimals: 1) + " kg" }

    /// `2026-11-20 10:15 (Europe/Copenhagen)`.
    static func local(_ instant: Date, _ zone: TimeZone) -> String {
        let day = LocalDay(instant, in: zone)
        let minute = Int(instant.timeIntervalSince(day.start(in: zone)) / 60)
        return "\(day) \(String(format: "%02d:%02d", minute / 60, minute % 60)) (\(zone.identifier))"
    }
}
