import ArgumentParser
import ConsoleScreens
import FollowUp
import Foundation
import MonitoringRecords
import StoreInterface
import TeleIngest
import TerminalUI
import Vitals

struct WorklistCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worklist",
        abstract: "The week's worklist: red, yellow, missing data, then stable; longest-waiting flag first.")

    @OptionGroup var options: ConsoleOptions
    @Option(help: "ISO week, e.g. 2026-W47 (default: this week in the console's time zone).") var week: String?
    @Flag(help: "Only patients with open flags.") var flagged = false
    @Flag(
        help: "Only what waits for the hotline: escalations without an answer, review dates that have come.")
    var waiting = false
    @Option(help: "Only patients whose name or id contains this.") var search: String?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try await options.withSession { session in
            let list = try await session.worklist(week: try parseWeek(self.week))
            let entries = list.filtered(flaggedOnly: flagged, search: search ?? "", waitingOnly: waiting)
            if json {
                var shown = list
                shown.entries = entries
                return try Output.json(shown)
            }
            print("Worklist \(list.week) — \(Self.counts(list))")
            Output.table(
                ["TRIAGE", "PATIENT", "ID", "CPR", "FLAGS", "WEIGHT", "BP", "PULSE", "PLAN", "REVIEWED", "ESCALATED"],
                entries.map { Self.row($0, now: list.generatedAt) })
            if entries.isEmpty { print("no patients match") }
            if list.ended > 0 {
                print("\(list.ended) patient\(list.ended == 1 ? "" : "s") whose monitoring ended not listed")
            }
        }
    }

    static func row(_ entry: WorklistEntry, now: Date) -> [String] {
        let summary = entry.flagSummary.isEmpty ? "-" : entry.flagSummary
        let flags = (entry.flags.contains(where: \.overdue) ? "OVERDUE " + summary : summary).fitted(60)
        let reviewed = entry.review.map { "yes (\($0.reviewedBy))" } ?? "no"
        let escalation =
            entry.pendingEscalationID.map { id in
                guard entry.escalationOverdue, let at = entry.pendingEscalationAt else { return "#\(id)" }
                return "#\(id) NO ANSWER \(Int(now.timeIntervalSince(at) / 3600)) h"
            } ?? (entry.reviewDue ? "review due \(entry.nextReview ?? "")" : "-")
        return [
            entry.triage.label, entry.name, entry.patientID.rawValue, entry.maskedCPR ?? "-", flags,
            WorklistText.weight(entry, glyphs: .unicode), WorklistText.pressure(entry, glyphs: .unicode),
            WorklistText.pulse(entry, glyphs: .unicode), entry.adherence.text, reviewed, escalation,
        ]
    }

    static func counts(_ list: Worklist) -> String {
        let counts = list.counts
        return Triage.allCases.map { "\(counts[$0] ?? 0) \($0.description)" }.joined(separator: ", ")
    }
}
