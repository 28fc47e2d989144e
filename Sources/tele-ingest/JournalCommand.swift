import ArgumentParser
import Foundation
import MonitoringRecords
import PostgresStore
import ServiceConfiguration
import StoreInterface
import TeleIngest

/// `tele-ingest journal prune`: the retention of raw payloads, by hand (the service does it on
/// its own every `journal.pruneIntervalMinutes`).
struct JournalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal", abstract: "The journal of raw messages.", subcommands: [Prune.self])

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove the raw payloads of stored messages older than the retention time.",
            discussion: """
                Readings, the messages' rows, the quarantine and the audit log stay. On SQLite the file \
                gives the space back at once if it uses incremental vacuum (every store made since \
                schema v16); --vacuum converts an older one, rewriting it once. docs/OPERATIONS.md.
                """)
        @OptionGroup var store: StoreOptions
        @Option(help: "Days to keep (default: journal.keepPayloadDays, 180).") var olderThanDays: Int?
        @Flag(help: "SQLite: turn on incremental vacuum for a store made before schema v16 (rewrites the file once).")
        var vacuum = false

        func run() async throws {
            let configuration = try store.configuration()
            guard let days = olderThanDays ?? configuration.journalRetention.keepPayloadDays else {
                throw ValidationErrorText(
                    "journal.keepPayloadDays is 'forever' in the configuration: give --older-than-days to prune anyway")
            }
            guard days >= 1 else { throw ValidationErrorText("--older-than-days expects 1 or more, found \(days)") }
            let now = configuration.clock.now()
            let cutoff = now.addingTimeInterval(-Double(days) * 86_400)
            let before = "received before \(cutoff.formatted(.iso8601))"
            if let url = configuration.databaseURL {
                if vacuum {
                    throw ValidationErrorText(
                        "--vacuum is for the SQLite store; on PostgreSQL the space is reused, and VACUUM FULL journal gives it back (it locks the table)"
                    )
                }
                let (pruned, payloads) = try await PostgresMonitoringStore.with(
                    PostgresLocation(url: url), clock: configuration.clock
                ) { store in
                    (
                        try await store.pruneAllJournalPayloads(receivedBefore: cutoff, at: now),
                        try await store.journalPayloads()
                    )
                }
                print("removed the payloads of \(pruned.messages) messages (\(Self.size(pruned.bytes))) \(before)")
                print(Self.summary(payloads))
                return
            }
            let sqlite = try store.openStore()
            let sizeBefore = Self.fileSize(sqlite.path)
            let pruned = try await sqlite.pruneAllJournalPayloads(receivedBefore: cutoff, at: now)
            let givesSpaceBack = try sqlite.givesSpaceBack()
            if vacuum && !givesSpaceBack {
                try sqlite.convertToIncrementalVacuum()
            } else {
                _ = try sqlite.reclaimFreedSpace()
            }
            try sqlite.checkpoint()
            print("removed the payloads of \(pruned.messages) messages (\(Self.size(pruned.bytes))) \(before)")
            print(Self.summary(try sqlite.journalPayloads()))
            let sizeAfter = Self.fileSize(sqlite.path)
            print("store file \(Self.size(sizeBefore)) → \(Self.size(sizeAfter))")
            if !(try sqlite.givesSpaceBack()) {
                print(
                    "this store reuses the space but keeps its size: --vacuum gives it back (once; it rewrites the file)"
                )
            }
        }

        static func summary(_ payloads: JournalPayloads) -> String {
            "journal: \(payloads.kept) payloads kept (\(size(payloads.keptBytes))), \(payloads.removed) removed"
        }

        static func fileSize(_ path: String) -> Int64 {
            ["", "-wal"].reduce(0) { total, suffix in
                total + ((try? FileManager.default.attributesOfItem(atPath: path + suffix)[.size] as? Int64) ?? 0)
            }
        }

        static func size(_ bytes: Int64) -> String {
            bytes < 1_048_576 ? "\(bytes / 1024) KiB" : String(format: "%.1f MiB", Double(bytes) / 1_048_576)
        }
    }
}
