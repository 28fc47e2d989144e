import ArgumentParser
import Foundation
import MonitoringRecords
import ServiceConfiguration
import StoreInterface
import TeleIngest
import TerminalUI
import ThresholdRules

struct FlagsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flags", abstract: "List flags, and acknowledge one.", subcommands: [List.self, Acknowledge.self],
        defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List flags, red first, with why they fired.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Only this patient.") var patient: PatientID?
        @Option(help: "Only this state: open, escalated, closed.") var state: PatientFlag.State?
        @Flag(help: "Print JSON.") var json = false

        struct Row: Encodable {
            var flag: PatientFlag
            var overdue: Bool
        }

        func run() async throws {
            let configuration = try store.configuration()
            let policy = OverduePolicy(
                redWorkingDays: configuration.rules.overdueRedWorkingDays,
                yellowWorkingDays: configuration.rules.overdueYellowWorkingDays)
            let zone = TimeZone(identifier: configuration.defaultTimeZone) ?? .gmt
            let now = configuration.clock.now()
            let stored: [PatientFlag] = try await store.withStore { store in
                let flags = try await store.flags(patientID: patient, state: state)
                try await store.recordOperatorAudit(
                    .recordsRead, patientID: patient,
                    detail: "tele-ingest flags\(json ? " --json" : ""): \(flags.count) flags")
                return flags
            }
            let flags = stored.sorted {
                ($0.state == .closed ? 1 : 0, $0.severity == .red ? 0 : 1, $0.openedAt) < (
                    $1.state == .closed ? 1 : 0, $1.severity == .red ? 0 : 1, $1.openedAt
                )
            }
            let rows = flags.map { flag in
                Row(
                    flag: flag,
                    overdue: flag.state != .closed
                        && policy.isOverdue(severity: flag.severity, openedAt: flag.openedAt, now: now, zone: zone))
            }
            if json { return try Output.json(rows) }
            Output.table(
                ["ID", "PATIENT", "RULE", "SEVERITY", "STATE", "OPENED", "UPDATED", "WHY"],
                rows.map { row in
                    let flag = row.flag
                    var state = flag.state.rawValue
                    if row.overdue { state += " OVERDUE" }
                    if flag.backInRangeAt != nil, flag.state != .closed { state += " (back in range)" }
                    let others = flag.alsoSeenBy.count
                    return [
                        String(flag.id), flag.patientID.rawValue,
                        flag.ruleID + (others == 0 ? "" : " (+\(others) more)"),
                        flag.severity.rawValue, state,
                        Output.local(flag.openedAt, zone: zone),
                        Output.local(flag.updatedAt, zone: zone), flag.explanation,
                    ]
                })
            if rows.isEmpty { print("no flags") }
        }
    }

    struct Acknowledge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ack", abstract: "Close an open flag as acknowledged (a comment is required for red).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Flag id.") var flag: Int64
        @Option(help: "Who acknowledges.") var by: String
        @Option(help: "What was done or agreed.") var comment: String?

        func run() async throws {
            let closed = try await store.withStore { store in
                let clinician = try await store.orderingClinician(named: by, role: .nurse)
                let closed = try await store.acknowledge(flagID: flag, by: clinician, comment: comment, at: nil)
                try await store.recordOperatorAudit(
                    .enteredForClinician, patientID: closed.patientID,
                    detail: "acknowledgement of flag \(closed.id) entered for \(clinician.name)")
                return closed
            }
            print("flag \(closed.id) (\(closed.ruleID), \(closed.severity.rawValue)) acknowledged by \(by)")
        }
    }
}

extension PatientFlag.State: ExpressibleByArgument {}
