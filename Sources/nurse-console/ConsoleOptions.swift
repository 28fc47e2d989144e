import ArgumentParser
import FollowUp
import Foundation
import MonitoringRecords
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
        if let rules { configuration.ingest.rules.file = rules == "none" ? nil : rules }
        configuration.ingest.clock = try WallClock.fromEnvironment()
        return configuration
    }

    /// Opens the store and builds the session for the person named on the command line or in the
    /// configuration; refuses to run for nobody.
    func session() throws -> FollowUpSession {
        let configuration = try configuration()
        let clinician: Clinician
        switch (user, role) {
        case (let name?, let role?):
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw FollowUpError("--user must name a person")
            }
            clinician = Clinician(name: name, role: role)
        case (nil, nil):
            guard let configured = configuration.user else {
                throw FollowUpError(
                    "who is using the console? Give --user NAME --role nurse|cardiologist, or set console.user in the configuration"
                )
            }
            clinician = configured
        default:
            throw FollowUpError("give --user and --role together")
        }
        if configuration.ingest.databaseURL != nil {
            throw FollowUpError(
                "database.url: the console works on the SQLite store only so far (database.path); see docs/POSTGRESQL.md"
            )
        }
        let path = configuration.ingest.databasePath
        guard FileManager.default.fileExists(atPath: path) else {
            throw FollowUpError("no database at \(path): give --db, or start tele-ingest first")
        }
        // The worklist triages by the rules' severities and shows their limits and titles:
        // without a rule set it would mislead, so a missing rule file stops the console unless
        // it was told `--rules none`.
        let ruleSet = try configuration.ingest.rules.file.map { try RuleFile.load(from: URL(fileURLWithPath: $0)) }
        return FollowUpSession(
            store: try MonitoringStore(
                path: path, durability: configuration.ingest.durability, memoryMapped: true,
                clock: configuration.ingest.clock),
            clinician: clinician, ruleSet: ruleSet, timeZone: configuration.timeZone, hotline: configuration.hotline)
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
