import ArgumentParser
import DevicePayloads
import Foundation
import ReadingIntake
import TeleIngest
import TerminalUI

struct QuarantineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarantine", abstract: "List messages that could not become readings, with the reason.")
    @OptionGroup var store: StoreOptions
    @Flag(help: "Include entries a reprocess run has since stored.") var all = false
    @Flag(help: "Print JSON (with the raw payload, base64).") var json = false

    func run() throws {
        let store = try store.openStore()
        let entries = try store.quarantine(includeResolved: all)
        if json { return try Output.json(entries) }
        Output.table(
            ["ID", "WHEN (UTC)", "REASON", "SERIAL", "TOPIC", "WHY"],
            entries.map { entry in
                [
                    String(entry.id), Output.utc(entry.quarantinedAt),
                    entry.reason.rawValue + (entry.resolvedAt == nil ? "" : " (resolved)"), entry.serial ?? "-",
                    entry.topic,
                    entry.message,
                ]
            })
        let counts = try store.quarantineCounts()
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

struct Reprocess: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run quarantined messages through the pipeline again (after pairing a device or adding a profile).")
    @OptionGroup var store: StoreOptions
    @Option(help: "Folder of device profiles (.yaml).") var profiles: String?

    func run() throws {
        var configuration = try store.configuration()
        if let profiles { configuration.profilesDirectory = profiles }
        let processor = try JournalProcessor(configuration: configuration)
        let results = try processor.reprocessQuarantine()
        let stored = results.filter { $0.outcome != .quarantined }.count
        print(
            "reprocessed \(results.count) quarantined messages: \(stored) now stored, \(results.count - stored) still in quarantine"
        )
    }
}
