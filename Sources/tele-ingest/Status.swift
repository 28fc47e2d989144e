import ArgumentParser
import Foundation
import TeleIngest
import TerminalUI

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Is the service running and connected, how far behind is it, what is in quarantine.",
        discussion: "Exits 0 when the service runs, is connected and keeps up; 1 otherwise (for monitoring).")
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let configuration = try store.configuration()
        let report = try store.openStore().serviceReport(heartbeat: configuration.statusIntervalSeconds)
        if json {
            try Output.json(report)
        } else {
            if let service = report.service {
                let state =
                    !service.running
                    ? "stopped at \(Output.utc(service.updatedAt))"
                    : report.stale
                        ? "NOT RESPONDING: last heard from at \(Output.utc(service.updatedAt)) (pid \(service.pid))"
                        : "running since \(Output.utc(service.startedAt)) (pid \(service.pid))"
                print("service:         \(state)")
                if service.running && !report.stale {
                    print(
                        "broker:          \(service.broker) \(service.connection) since \(Output.utc(service.connectionSince))"
                    )
                }
                if service.fallingBehind {
                    print("                 FALLING BEHIND: the journal backlog is over the threshold")
                }
            } else {
                print("service:         never run on this database")
            }
            print("journal backlog: \(report.journalBacklog)")
            print("last message:    \(report.lastMessageAt.map(Output.utc) ?? "none yet")")
            let total = report.quarantine.values.reduce(0, +)
            print("quarantine:      \(total) open")
            for (reason, count) in report.quarantine.sorted(by: { $0.key < $1.key }) {
                print("  \(String(count).leftPadded(6))  \(reason)")
            }
        }
        if !report.healthy { throw ExitCode(1) }
    }
}
