import ArgumentParser
import Foundation
import ServiceConfiguration
import TeleIngest
import TerminalUI

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the database with SQLite's online backup, while the service runs, and verify the copy.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "Where to write the copy (a new file; created with mode 0600).") var path: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        if try store.configuration().databaseURL != nil {
            throw ValidationErrorText(
                "tele-ingest backup copies the SQLite store; back up the PostgreSQL store with pg_dump, and keep a standby with pg_basebackup (docs/POSTGRESQL.md, Backups)"
            )
        }
        let report = try store.openStore().backup(to: path)
        try VerifyCommand.show(report, json: json)
    }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check a backup: integrity, foreign keys, schema version, row counts.")
    @Argument(help: "The backup file.") var path: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try Self.show(try MonitoringStore.verify(path: path), json: json)
    }

    static func show(_ report: BackupReport, json: Bool) throws {
        if json {
            try Output.json(report)
        } else {
            print(
                "\(report.path): integrity \(report.integrity), foreign-key violations \(report.foreignKeyViolations), schema \(report.schemaVersion)"
            )
            Output.table(
                ["TABLE", "ROWS"], report.rowCounts.sorted { $0.key < $1.key }.map { [$0.key, String($0.value)] })
        }
        guard report.isUsable else { throw ExitCode(3) }
    }
}
