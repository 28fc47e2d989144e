import ArgumentParser
import FollowUp
import Foundation
import MonitoringRecords
import PostgresStore
import ServiceConfiguration
import SiteNotification
import StoreInterface
import TeleIngest
import TerminalUI
import ThresholdRules

/// `--config`, `--db`, `--user`, `--role`: shared by every subcommand.
struct ConsoleOptions: ParsableArguments {
    @Option(help: "Configuration file (YAML): database, rules, console.user, console.hotline; see docs/CONSOLE.md.")
    var config: String?

    @Option(help: "SQLite database file written by tele-ingest (overrides the configuration).")
    var db: String?

    @Option(help: "PostgreSQL store, postgresql://user@host:port/database (overrides the configuration).")
    var databaseURL: String?

    @Option(help: "Who is using the console (overrides console.user in the configuration).")
    var user: String?

    @Option(help: "nurse or cardiologist (with --user).")
    var role: Clinician.Role?

    @Option(
        help: """
            Rule file (overrides rules.file; default: the shipped rule set). 'none' runs without \
            rules: no limits, no titles, missing data triaged as yellow.
            """)
    var rules: String?

    func configuration() throws -> ConsoleConfiguration {
        var configuration =
            try config.map { try ConsoleConfiguration.load(file: URL(fileURLWithPath: $0)) } ?? ConsoleConfiguration()
        if let db {
            configuration.ingest.databasePath = db
            configuration.ingest.databaseURL = nil
        }
        if let databaseURL { configuration.ingest.databaseURL = databaseURL }
        if let rules { configuration.ingest.rules.file = rules == "none" ? nil : rules }
        configuration.ingest.clock = try WallClock.fromEnvironment()
        return configuration
    }

    /// Opens the store named by the configuration (the SQLite file, or PostgreSQL with
    /// `database.url`), signs the person in (`ClinicianDirectory.signIn`: the directory's entry
    /// for the session's account — the database role, or the operating-system account on SQLite;
    /// the name and role on the command line or in the configuration only while the directory
    /// is empty), runs `body` with their session and closes the store; refuses to run for nobody.
    func withSession<T>(_ body: (FollowUpSession) async throws -> T) async throws -> T {
        let configuration = try configuration()
        let claimed: Clinician?
        switch (user, role) {
        case (let name?, let role?):
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw FollowUpError("--user must name a person")
            }
            claimed = Clinician(name: name, role: role)
        case (nil, nil):
            claimed = configuration.user
        default:
            throw FollowUpError("give --user and --role together")
        }
        // The worklist triages by the rules' severities and shows their limits and titles:
        // without a rule set it would mislead, so a missing rule file stops the console unless
        // it was told `--rules none`.
        let ruleSet = try configuration.ingest.rules.file.map { try RuleFile.load(from: URL(fileURLWithPath: $0)) }
        func session(_ store: any FollowUpStore) async throws -> FollowUpSession {
            let clinician: Clinician
            do {
                clinician = try await store.signIn(claimed: claimed)
            } catch let error as SignInError {
                throw FollowUpError(error.description)
            }
            return FollowUpSession(
                store: store, clinician: clinician, ruleSet: ruleSet, timeZone: configuration.timeZone,
                hotline: configuration.hotline, limits: configuration.limits,
                notifier: configuration.ingest.notifyCommand.map { SiteNotifier(command: $0) })
        }
        if let url = configuration.ingest.databaseURL {
            let location = try PostgresLocation(url: url)
            return try await PostgresMonitoringStore.with(location, clock: configuration.ingest.clock) {
                try await body(try await session($0))
            }
        }
        let path = configuration.ingest.databasePath
        guard FileManager.default.fileExists(atPath: path) else {
            throw FollowUpError("no database at \(path): give --db, or start tele-ingest first")
        }
        return try await body(
            try await session(
                try MonitoringStore(
                    path: path, durability: configuration.ingest.durability, memoryMapped: true,
                    groupAccess: configuration.ingest.databaseGroupAccess, clock: configuration.ingest.clock)))
    }
}

extension Clinician.Role: ExpressibleByArgument {}

extension ContactNote.Contact: ExpressibleByArgument {}

extension Escalation.Decision: ExpressibleByArgument {}

/// Reads `--week 2026-W47`.
func parseWeek(_ text: String?) throws -> ISOWeek? {
    guard let text else { return nil }
    guard let week = ISOWeek(text) else {
        throw FollowUpError("--week expects an ISO week like 2026-W47, found '\(text)'")
    }
    return week
}
