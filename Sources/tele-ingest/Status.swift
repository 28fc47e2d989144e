import ArgumentParser
import Foundation
import MonitoringRecords
import PostgresStore
import ServiceConfiguration
import StoreInterface
import TeleIngest
import TerminalUI

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Is every ingest worker running and connected, how far behind are they, what is in quarantine.",
        discussion:
            "Exits 0 when at least one worker runs and every running worker is connected, heard from and keeping up; 1 otherwise (for monitoring)."
    )
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let configuration = try store.configuration()
        let report = try await serviceReport(configuration)
        if json {
            try Output.json(report)
        } else {
            if report.workers.isEmpty {
                print("service:         never run on this database")
            }
            for worker in report.workers {
                let service = worker.status
                let state =
                    !service.running
                    ? "stopped at \(Output.utc(service.updatedAt))"
                    : worker.stale
                        ? "NOT RESPONDING: last heard from at \(Output.utc(service.updatedAt)) (\(placement(service)))"
                        : "running since \(Output.utc(service.startedAt)) (\(placement(service)))"
                print(
                    "worker \(service.worker.text.padding(toLength: WorkerName.maxLength, withPad: " ", startingAt: 0)) \(state)"
                )
                if service.running && !worker.stale {
                    print(
                        "  broker:        \(service.broker) \(service.connection) since \(Output.utc(service.connectionSince))"
                    )
                    print("  inbox:         \(worker.inboxBacklog) waiting")
                }
                if service.running && worker.stale {
                    print("                 its share of a shared subscription queues at the broker until it is back")
                }
                if service.fallingBehind {
                    print("                 FALLING BEHIND: the journal backlog is over the threshold")
                }
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

    /// The report from the configured store. On PostgreSQL the workers' inboxes are on their
    /// own machines: those in this machine's `ingest.inboxFolder` are counted.
    private func serviceReport(_ configuration: IngestConfiguration) async throws -> ServiceReport {
        guard let url = configuration.databaseURL else {
            return try store.openStore().serviceReport(heartbeat: configuration.statusIntervalSeconds)
        }
        return try await PostgresMonitoringStore.with(try PostgresLocation(url: url), clock: configuration.clock) {
            store in
            var report = try await store.serviceReport(heartbeat: configuration.statusIntervalSeconds)
            try report.countInboxes(storePath: configuration.inboxBasePath, marks: try await store.inboxMarks())
            return report
        }
    }

    /// Where a worker runs: its process, machine and client id, as far as it said.
    private func placement(_ status: ServiceStatus) -> String {
        var parts = ["pid \(status.pid)"]
        if !status.host.isEmpty { parts.append("on \(status.host)") }
        if !status.clientID.isEmpty { parts.append("client \(status.clientID)") }
        return parts.joined(separator: " ")
    }
}
