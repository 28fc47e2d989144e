import ArgumentParser
import Foundation
import MonitoringRecords
import StoreInterface
import TerminalUI

/// `tele-ingest teams`: the home-care districts whose nurses follow patients.
struct Teams: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add and list teams (a municipality's home-care district): a nurse sees her team's patients.",
        subcommands: [Add.self, List.self], defaultSubcommand: List.self)

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a team.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Team id: lower-case letters, digits and hyphens (north, aarhus-syd).") var id: String
        @Option(help: "The district's name.") var name: String

        func run() async throws {
            try await store.withStore { try await $0.addTeam(Team(id: id, name: name)) }
            print("added team \(id) (\(name))")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List teams.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let teams = try await store.withStore { try await $0.teams() }
            if json { return try Output.json(teams) }
            Output.table(["ID", "NAME"], teams.map { [$0.id, $0.name] })
            if teams.isEmpty { print("no teams: every nurse sees every patient") }
        }
    }
}

/// `tele-ingest clinicians`: who signs in as which account, with which role and teams.
struct Clinicians: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The clinician directory: who signs in as which account, their role and teams (operators only).",
        discussion: """
            On PostgreSQL the account is the person's own login role (created by a database \
            administrator: createuser --pwprompt ACCOUNT); adding it grants the group role of its \
            clinical role. On the SQLite store the account is the operating-system account the \
            person logs in with. Once anyone is in the directory, nurse-console takes the person \
            from the account and --user/--role can no longer name someone else.
            """,
        subcommands: [Add.self, List.self], defaultSubcommand: List.self)

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a clinician, or change one.")
        @OptionGroup var store: StoreOptions
        @Option(help: "The account they sign in with.") var account: String
        @Option(help: "Their name as the record shows it.") var name: String
        @Option(help: "nurse or cardiologist.") var role: Clinician.Role
        @Option(help: "A team whose patients they follow (repeat for several; none: every team).") var team: [String] =
            []

        func run() async throws {
            let entry = try ClinicianAccount.checked(account: account, name: name, role: role, teams: team)
            try await store.withStore { try await $0.saveClinician(entry) }
            print("\(account): \(entry.clinician.name), \(role.rawValue), \(entry.clinician.caseloadText)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the clinician directory.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let entries = try await store.withStore { try await $0.clinicianAccounts() }
            if json { return try Output.json(entries) }
            Output.table(
                ["ACCOUNT", "NAME", "ROLE", "TEAMS"],
                entries.map {
                    [
                        $0.account, $0.clinician.name, $0.clinician.role.rawValue,
                        $0.clinician.teams.joined(separator: ", "),
                    ]
                })
            if entries.isEmpty {
                print("the directory is empty: nurse-console takes --user/--role at their word (demo)")
            }
        }
    }
}
extension Clinician.Role: ExpressibleByArgument {}
