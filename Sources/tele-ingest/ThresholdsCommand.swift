import ArgumentParser
import Foundation
import MonitoringRecords
import ReadingIntake
import ServiceConfiguration
import StoreInterface
import TeleIngest
import TerminalUI
import ThresholdRules
import Vitals

struct ThresholdsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "thresholds",
        abstract: "A cardiologist's personal limits, dry weight and rule suspensions for one patient (audited).",
        subcommands: [List.self, Propose.self, SetLimit.self, DryWeight.self, Suspend.self],
        defaultSubcommand: List.self)

    struct Common: ParsableArguments {
        @OptionGroup var store: StoreOptions
        @Option(help: "Patient id.") var patient: PatientID
        @Option(help: "Who sets it (the cardiologist).") var by: String
        @Option(help: "Why, in words; kept with the setting.") var reason: String
        @Option(help: "In force from (ISO 8601; default now).") var from: String?

        func record(_ change: PersonalSetting.Change) async throws {
            let configuration = try store.configuration()
            let validFrom = try from.map { try Output.instant($0, option: "--from") } ?? configuration.clock.now()
            let ruleSet = try configuration.rules.file.map { try RuleFile.load(from: URL(fileURLWithPath: $0)) }
            let record = try await store.withStore { store in
                let cardiologist = try await store.orderingClinician(named: by, role: .cardiologist)
                let record = try await store.addPersonalSetting(
                    patientID: patient, PersonalSetting(change, validFrom: validFrom), reason: reason,
                    by: cardiologist, ruleSet: ruleSet, at: nil)
                try await store.recordOperatorAudit(
                    .enteredForClinician, patientID: patient,
                    detail: "setting \(record.id) (\(change.summary)) entered for \(cardiologist.name)")
                return record
            }
            print(
                "recorded for \(patient) from \(Output.utc(validFrom)) by \(by); open flags then: \(record.openFlagIDs.isEmpty ? "none" : record.openFlagIDs.map(String.init).joined(separator: ", "))"
            )
        }
    }

    struct SetLimit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Set a personal value for a rule parameter.")
        @OptionGroup var common: Common
        @Option(help: "Rule id, e.g. systolic-range.") var rule: String
        @Option(help: "Parameter, e.g. yellowBelow.") var parameter: String
        @Option(help: "The personal value (omit with --clear).") var value: Double?
        @Flag(help: "Return to the rule set's default.") var clear = false

        func run() async throws {
            guard clear != (value != nil) else { throw ValidationErrorText("give --value or --clear") }
            try await common.record(.limit(ruleID: rule, parameter: parameter, value: value))
        }
    }

    struct DryWeight: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dry-weight", abstract: "Set the patient's dry weight.")
        @OptionGroup var common: Common
        @Option(help: "Dry weight in kg.") var kg: Double

        func run() async throws { try await common.record(.dryWeight(kg)) }
    }

    struct Suspend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Suspend a rule for the patient until a date.")
        @OptionGroup var common: Common
        @Option(help: "Rule id.") var rule: String
        @Option(help: "End of the suspension (ISO 8601).") var until: String

        func run() async throws {
            let end = try Output.instant(until, option: "--until")
            try await common.record(.suspension(ruleID: rule, until: end, reason: common.reason))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a patient's personal settings with who, when and why.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Patient id.") var patient: PatientID
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let records = try await store.withStore { try await $0.personalSettings(patientID: patient) }
            if json { return try Output.json(records) }
            Output.table(
                ["FROM", "SETTING", "BY", "SET AT", "WHY", "OPEN FLAGS THEN"],
                records.map { record in
                    let what = record.setting.change.summary
                    return [
                        Output.utc(record.setting.validFrom), what, record.setBy, Output.utc(record.setAt),
                        record.reason,
                        record.openFlagIDs.map(String.init).joined(separator: ","),
                    ]
                })
            if records.isEmpty { print("no personal settings: the rule set's defaults apply") }
        }
    }

    struct Propose: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Propose personal blood-pressure and pulse limits from the patient's own readings.",
            discussion: """
                After the first fortnight: where the rule set's yellow limit lies inside the
                patient's usual range (median ± 3 robust SDs of the last 28 days, at least 10
                readings), so that the default would flag ordinary days, proposes the edge of that
                range; red limits stay. Nothing changes: the cardiologist records what they accept
                with `thresholds set` (audited).
                """)
        @OptionGroup var store: StoreOptions
        @Option(help: "Patient id.") var patient: PatientID
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let configuration = try store.configuration()
            guard let file = configuration.rules.file else {
                throw ValidationErrorText("no rule set: proposals adjust a rule set's limits (rules.file)")
            }
            let ruleSet = try RuleFile.load(from: URL(fileURLWithPath: file))
            let now = configuration.clock.now()
            let (context, observations) = try await store.withStore { monitoring in
                guard let record = try await monitoring.patient(id: patient) else {
                    throw ValidationErrorText("no patient with id '\(patient)'")
                }
                let context = PatientContext(
                    timeZone: TimeZone(identifier: record.timeZone) ?? .gmt, monitoringStart: record.monitoringStart,
                    settings: try await monitoring.personalSettings(patientID: patient).map(\.setting))
                let observations = try await monitoring.readings(
                    patientID: patient, kind: nil,
                    since: now.addingTimeInterval(-Double(LimitProposal.windowDays) * 86_400)
                ).map(\.observation)
                return (context, observations)
            }
            let proposals = LimitProposal.proposals(observations, ruleSet: ruleSet, context: context, now: now)
            if json { return try Output.json(proposals) }
            if proposals.isEmpty {
                print(
                    "no proposal: the limits in force fit \(patient)'s own readings, or there are too few of them yet")
                return
            }
            for proposal in proposals {
                print(proposal.change)
                print("  \(proposal.basis)")
                print(
                    "  to accept: tele-ingest thresholds set --patient \(patient) --rule \(proposal.ruleID) --parameter \(proposal.parameter) --value \(Quantity.format(proposal.proposed, decimals: 0)) --by NAME --reason \"…\""
                )
            }
        }
    }
}
