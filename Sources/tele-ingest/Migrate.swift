import ArgumentParser
import Foundation
import PostgresStore
import ServiceConfiguration
import StoreInterface
import TeleIngest

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the store or bring its schema up to date, and print its version.",
        discussion: """
            SQLite (database.path) or PostgreSQL (database.url). Every program also migrates on \
            opening; run this once after an upgrade, before the services start, to see it done. On \
            PostgreSQL an advisory lock lets several workers start at once.
            """)
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let configuration = try store.configuration()
        if let url = configuration.databaseURL {
            let location = try PostgresLocation(url: url)
            let version = try await PostgresMonitoringStore.with(location, clock: configuration.clock) {
                try await $0.schemaVersion()
            }
            print("\(location): PostgreSQL schema version \(version)")
        } else {
            let sqlite = try store.openStore()
            print("\(sqlite.path): SQLite schema version \(try sqlite.schemaVersion())")
        }
    }
}
