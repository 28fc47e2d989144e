import ArgumentParser
import Foundation
import MonitoringRecords
import StoreInterface
import TeleIngest
import TerminalUI

struct Patients: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Register and list patients.",
        subcommands: [
            Add.self, Import.self, List.self, TeamCommand.self, Edit.self, History.self, DataExport.self, Erase.self,
            Erasures.self,
        ],
        defaultSubcommand: List.self, aliases: ["patient"])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a patient.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Internal patient id.") var id: PatientID
        @Option(help: "Full name.") var name: String
        @Option(help: "CPR number DDMMYY-SSSS (stored; shown masked in lists).") var cpr: String?
        @Option(help: "IANA time zone of the patient's days.") var timezone = "Europe/Copenhagen"
        @Option(help: "Start of monitoring, ISO 8601 (default now): the plan is daily for the first 14 days.")
        var monitoringStart: String?
        @Option(help: "The team that follows the patient (tele-ingest teams add).") var team: String?

        func run() async throws {
            let start = try monitoringStart.map { try Output.instant($0, option: "--monitoring-start") }
            let patient = try await store.withStore { store in
                let patient = try await store.addPatient(
                    id: id, name: name, cpr: cpr, timeZone: timezone, monitoringStart: start)
                if let team { try await store.assignTeam(patientID: patient.id, team: team) }
                return patient
            }
            print("added patient \(patient.id) (\(patient.timeZone))\(team.map { ", team \($0)" } ?? "")")
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register the patients and devices of a roster file (JSON), adding only what is missing.",
            discussion: """
                The simulator and the test gateways write rosters (telekit-sim --roster FILE). Each \
                patient's devices are paired from the monitoring start; a kit handed back is \
                unpaired at that time. Importing the same roster again changes nothing.
                """)
        @OptionGroup var store: StoreOptions
        @Argument(help: "Roster file.") var file: String

        func run() async throws {
            let url = URL(fileURLWithPath: file)
            let roster: Roster
            do {
                roster = try Roster(contentsOf: url)
            } catch {
                throw ValidationErrorText("\(file): not a roster (\(error))")
            }
            let added = try await store.withRegistry { try await $0.register(roster) }
            print(
                "\(file): \(roster.patients.count) patients; added \(added.patients) patients and \(added.pairings) pairings"
                    + (added.returned > 0 ? "; \(added.returned) devices unpaired again: kits handed back" : ""))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List patients (CPR masked).")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print JSON.") var json = false

        struct Row: Encodable {
            var id: PatientID
            var name: String
            var cpr: String?
            var timeZone: String
            /// "admitted 2026-11-20T…Z", or `nil` while monitored.
            var ended: String?
            var team: String?
        }

        func run() async throws {
            let rows = try await store.withRegistry { try await $0.patients() }.map {
                Row(
                    id: $0.id, name: $0.name, cpr: $0.maskedCPR, timeZone: $0.timeZone,
                    ended: $0.monitoringEnd.map { "\($0.reason.rawValue) \($0.endedAt.formatted(.iso8601))" },
                    team: $0.team)
            }
            if json { return try Output.json(rows) }
            Output.table(
                ["ID", "NAME", "CPR", "TIME ZONE", "TEAM", "MONITORING ENDED"],
                rows.map { [$0.id.rawValue, $0.name, $0.cpr ?? "-", $0.timeZone, $0.team ?? "-", $0.ended ?? "-"] })
            if rows.isEmpty { print("no patients") }
        }
    }

    struct TeamCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "team", abstract: "Give a patient to a team (the nurses who follow them), or to none.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Patient id.") var patient: PatientID
        @Argument(help: "Team id (tele-ingest teams list); 'none' for no team.") var team: String

        func run() async throws {
            let team = team == "none" ? nil : team
            try await store.withStore { try await $0.assignTeam(patientID: patient, team: team) }
            print("\(patient): \(team.map { "team \($0)" } ?? "no team (every nurse sees the patient)")")
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Correct a patient's registration; the old values are kept in the change history (audited).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Patient id.") var patient: PatientID
        @Option(help: "Full name.") var name: String?
        @Option(help: "CPR number DDMMYY-SSSS.") var cpr: String?
        @Flag(help: "Remove the CPR number.") var noCpr = false
        @Option(help: "IANA time zone of the patient's days.") var timezone: String?
        @Option(help: "Start of monitoring, ISO 8601.") var monitoringStart: String?
        @Option(help: "Why (required): the record keeps it with the old values.") var reason: String

        func validate() throws {
            if noCpr && cpr != nil { throw ValidationError("give --cpr or --no-cpr, not both") }
        }

        func run() async throws {
            let start = try monitoringStart.map { try Output.instant($0, option: "--monitoring-start") }
            let change = PatientEdit(
                name: name, cpr: noCpr ? .some(nil) : cpr.map { .some($0) }, timeZone: timezone, monitoringStart: start)
            let edited = try await store.withStore { store in
                try await store.editPatient(
                    id: patient, change, reason: reason, account: try await store.sessionAccount())
            }
            print("\(edited.id): registration changed; old values in tele-ingest patients history \(edited.id)")
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A patient's change history: every corrected field with the value it replaced.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Patient id.") var patient: PatientID
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let records = try await store.withStore { store in
                let records = try await store.patientChanges(id: patient)
                try await store.recordOperatorAudit(
                    .recordsRead, patientID: patient,
                    detail: "tele-ingest patients history: \(records.count) changes")
                return records
            }
            if json { return try Output.json(records) }
            Output.table(
                ["CHANGED (UTC)", "BY", "FIELD", "FROM", "TO", "WHY"],
                records.map {
                    [
                        Output.utc($0.changedAt), $0.changedBy, $0.change.field, $0.change.oldValue ?? "-",
                        $0.change.newValue ?? "-", $0.reason,
                    ]
                })
            if records.isEmpty { print("no changes since registration") }
        }
    }
}
