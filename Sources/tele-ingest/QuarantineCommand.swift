import ArgumentParser
import DevicePayloads
import Foundation
import MonitoringRecords
import PostgresStore
import ReadingIntake
import ServiceConfiguration
import StoreInterface
import TeleIngest
import TerminalUI

struct QuarantineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarantine", abstract: "Messages that could not become readings: list them, or dismiss one.",
        subcommands: [QuarantineList.self, QuarantineDismiss.self], defaultSubcommand: QuarantineList.self)
}

struct QuarantineDismiss: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dismiss",
        abstract: "Set a quarantined message aside for good, with the reason (audited; the journal keeps it).")
    @OptionGroup var store: StoreOptions
    @Argument(help: "Quarantine entry id (tele-ingest quarantine).") var id: Int64
    @Option(help: "Why it can be set aside (a test message, a device fault).") var reason: String

    func run() async throws {
        let resolution = try await store.withStore { store in
            try await store.dismissQuarantine(id: id, reason: reason, account: try await store.sessionAccount())
        }
        print("quarantine entry \(id) \(resolution)")
    }
}

struct QuarantineList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List messages that could not become readings, with the reason.")
    @OptionGroup var store: StoreOptions
    @Flag(help: "Include entries a reprocess run has since stored.") var all = false
    @Flag(help: "Print JSON (with the raw payload, base64).") var json = false

    func run() async throws {
        let entries = try await store.withStore { store in
            let entries = try await store.quarantine(includeResolved: all)
            try await store.recordOperatorAudit(
                .recordsRead, patientID: nil,
                detail: "tele-ingest quarantine\(json ? " --json (raw payloads)" : ""): \(entries.count) entries")
            return entries
        }
        if json { return try Output.json(entries) }
        Output.table(
            ["ID", "WHEN (UTC)", "REASON", "SERIAL", "TOPIC", "WHY"],
            entries.map { entry in
                [
                    String(entry.id), Output.utc(entry.quarantinedAt),
                    entry.reason.rawValue + (entry.resolvedAt == nil ? "" : " (resolved)"),
                    entry.serial?.rawValue ?? "-",
                    entry.topic,
                    entry.message,
                ]
            })
        let counts = Dictionary(grouping: entries.filter { $0.resolvedAt == nil }, by: \.reason).mapValues(\.count)
        if counts.isEmpty {
            print("quarantine is empty")
        } else {
            print("")
            for (reason, count) in counts.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                print("\(count) × \(reason.rawValue): \(reason.advice)")
            }
        }
    }
}

struct Reprocess: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run quarantined messages through the pipeline again (after pairing a device or adding a profile).")
    @OptionGroup var store: StoreOptions
    @Option(help: "Folder of device profiles (.yaml).") var profiles: String?

    func run() async throws {
        var configuration = try store.configuration()
        if let profiles { configuration.profilesDirectory = profiles }
        let results: [MessageResult]
        if let url = configuration.databaseURL {
            let settings = try configuration.intakeSettings()
            results = try await PostgresMonitoringStore.with(PostgresLocation(url: url), clock: configuration.clock) {
                try await $0.reprocessQuarantine(intake: settings.intake, rules: settings.rules)
            }
        } else {
            results = try JournalProcessor(configuration: configuration).reprocessQuarantine()
        }
        let stored = results.filter { $0.outcome != .quarantined }.count
        print(
            "reprocessed \(results.count) quarantined messages: \(stored) now stored, \(results.count - stored) still in quarantine"
        )
    }
}
