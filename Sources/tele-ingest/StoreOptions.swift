import ArgumentParser
import Foundation
import MonitoringRecords
import TeleIngest

/// `--config` and `--db`, shared by every subcommand that opens the database.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (YAML); see docs/CONFIGURATION.md.")
    var config: String?

    @Option(name: .long, help: "SQLite database file (overrides the configuration; default tele-ingest.sqlite).")
    var db: String?

    func configuration() throws -> IngestConfiguration {
        var configuration =
            try config.map { try IngestConfiguration.load(file: URL(fileURLWithPath: $0)) } ?? IngestConfiguration()
        if let db { configuration.databasePath = db }
        configuration.clock = try WallClock.fromEnvironment()
        return configuration
    }

    func openStore() throws -> MonitoringStore {
        let configuration = try configuration()
        return try MonitoringStore(
            path: configuration.databasePath, durability: configuration.durability, clock: configuration.clock)
    }
}
