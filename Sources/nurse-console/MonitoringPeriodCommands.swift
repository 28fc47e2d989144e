import ArgumentParser
import FollowUp
import Foundation
import MonitoringRecords

struct EndMonitoringCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "end",
        abstract: "End a patient's monitoring period: devices unpaired, open flags closed, off the worklist.",
        discussion: """
            The record stays, read-only: notes, reviews, escalations and new pairings are refused \
            until the period is reopened (nurse-console reopen). An escalation already sent keeps \
            waiting for the hotline's answer. Audited.
            """)
    @OptionGroup var options: ConsoleOptions
    @Argument(help: "Patient id.") var patient: PatientID
    @Option(help: "Why: completed, admitted, moved, died or declined.") var reason: MonitoringEnd.Reason
    @Option(help: "The closing remark (what the GP should know).") var comment: String?

    func run() async throws {
        let end = try await options.withSession {
            try await $0.endMonitoring(patientID: patient, reason: reason, comment: comment)
        }
        print("\(patient): \(end.summary)")
    }
}

struct ReopenMonitoringCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reopen",
        abstract: "Reopen a patient's ended monitoring period: back on the worklist (pair the devices again).")
    @OptionGroup var options: ConsoleOptions
    @Argument(help: "Patient id.") var patient: PatientID

    func run() async throws {
        let end = try await options.withSession { try await $0.reopenMonitoring(patientID: patient) }
        print(
            "\(patient): monitoring reopened (it had ended \(end.endedAt.formatted(.iso8601)), \(end.reason.rawValue)); "
                + "pair the devices again: tele-ingest devices pair --serial … --patient \(patient)")
    }
}

extension MonitoringEnd.Reason: ExpressibleByArgument {}
