import ArgumentParser
import Foundation
import MonitoringRecords
import PostgresStore
import ServiceConfiguration
import StoreInterface
import TeleIngest

/// `--config`, `--db` and `--database-url`, shared by every subcommand that opens the store.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (YAML); see docs/CONFIGURATION.md.")
    var config: String?

    @Option(name: .long, help: "SQLite database file (overrides the configuration; default tele-ingest.sqlite).")
    var db: String?

    @Option(
        name: .long,
        help:
            "PostgreSQL store, postgresql://USER@HOST:PORT/DATABASE (overrides the configuration; every command but backup, which is pg_dump's job there)."
    )
    var databaseURL: String?

    func configuration() throws -> IngestConfiguration {
        var configuration =
            try config.map { try IngestConfiguration.load(file: URL(fileURLWithPath: $0)) } ?? IngestConfiguration()
        if let db {
            configuration.databasePath = db
            configuration.databaseURL = nil
        }
        if let databaseURL { configuration.databaseURL = databaseURL }
        configuration.clock = try WallClock.fromEnvironment()
        return configuration
    }

    /// The SQLite store. Refuses a PostgreSQL configuration: the commands that call this work
    /// on the SQLite store only so far.
    func openStore() throws -> MonitoringStore {
        let configuration = try configuration()
        if configuration.databaseURL != nil {
            throw ValidationErrorText(
                "this command works on the SQLite store only so far; the configured store is PostgreSQL (database.url), which serves every command but backup (docs/POSTGRESQL.md)"
            )
        }
        return try MonitoringStore(
            path: configuration.databasePath, durability: configuration.durability,
            groupAccess: configuration.databaseGroupAccess, clock: configuration.clock)
    }

    /// Runs `body` with the configured store, SQLite or PostgreSQL, through its interfaces, and
    /// closes a PostgreSQL connection pool afterwards.
    func withStore<T>(_ body: (any FollowUpStore & MessageQuarantine & PatientErasure) async throws -> T) async throws
        -> T
    {
        let configuration = try configuration()
        guard let url = configuration.databaseURL else {
            return try await body(
                MonitoringStore(
                    path: configuration.databasePath, durability: configuration.durability,
                    groupAccess: configuration.databaseGroupAccess, clock: configuration.clock))
        }
        return try await PostgresMonitoringStore.with(PostgresLocation(url: url), clock: configuration.clock, body)
    }

    /// Runs `body` with the patient registry of the configured store.
    func withRegistry<T>(_ body: (any PatientRegistry) async throws -> T) async throws -> T {
        try await withStore(body)
    }
}
