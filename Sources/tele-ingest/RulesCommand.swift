import ArgumentParser
import Foundation
import MonitoringRecords
import PostgresStore
import ReadingIntake
import ServiceConfiguration
import StoreInterface
import TeleIngest
import TerminalUI
import ThresholdRules
import Vitals

#if canImport(Glibc)
    import Glibc
#endif

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules", abstract: "Check a rule file, or re-evaluate history after a rule change.",
        subcommands: [Check.self, Apply.self])

    /// The rule file given, else the configuration's.
    static func ruleFile(_ file: String?, _ options: StoreOptions) throws -> String {
        if let file { return file }
        guard let configured = try options.configuration().rules.file else {
            throw ValidationErrorText("no rule file: give one, or set rules.file in the configuration")
        }
        return configured
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a rule file (errors name the line and field).")
        @Argument(help: "Rule file (default: the configuration's rules.file, else the shipped rule set).") var file:
            String?
        @OptionGroup var store: StoreOptions

        func run() throws {
            let ruleSet = try RuleFile.load(from: URL(fileURLWithPath: RulesCommand.ruleFile(file, store)))
            print("\(ruleSet.label): \(ruleSet.rules.count) rules OK")
            for rule in ruleSet.rules {
                let numbers = rule.parameters.sorted { $0.key < $1.key }.map { name, value in
                    "\(name) \(value == value.rounded() ? String(Int(value)) : Quantity.format(value, decimals: 2))"
                }
                print(
                    "  \(rule.id)  \(rule.kind.rawValue) \(rule.measurement.rawValue): \(numbers.joined(separator: ", "))"
                )
            }
        }
    }

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-evaluate stored readings with a rule file and update the flags.",
            discussion: "Use --dry-run first: it reports what would be opened and changes nothing.")
        @Argument(help: "Rule file (default: the configuration's rules.file).") var file: String?
        @OptionGroup var store: StoreOptions
        @Option(help: "Re-evaluate readings measured since this date (ISO 8601); default: all.") var since: String?
        @Flag(help: "Report what would change, change nothing.") var dryRun = false

        func run() async throws {
            let configuration = try store.configuration()
            let ruleSet = try RuleFile.load(from: URL(fileURLWithPath: RulesCommand.ruleFile(file, store)))
            let zone = TimeZone(identifier: configuration.defaultTimeZone) ?? .gmt
            let engine = RuleEngine(ruleSet: ruleSet, defaultZone: zone)
            let start = try since.map { try Output.instant($0, option: "--since") } ?? Date(timeIntervalSince1970: 0)
            var outcomes: [PatientID: RuleEngine.Outcome] = [:]
            if let url = configuration.databaseURL {
                // One transaction for every patient, under their locks: running workers wait.
                outcomes = try await PostgresMonitoringStore.with(
                    try PostgresLocation(url: url), clock: configuration.clock
                ) {
                    try await $0.reevaluate(from: start, rules: engine, dryRun: dryRun)
                }
            } else {
                outcomes = try reevaluateOnSQLite(engine: engine, from: start)
            }
            report(Self.total(outcomes), patients: outcomes.count, ruleSet: ruleSet)
        }

        /// Each patient in a transaction of its own.
        private func reevaluateOnSQLite(engine: RuleEngine, from start: Date) throws -> [PatientID: RuleEngine.Outcome]
        {
            let monitoring = try store.openStore()
            let patients = try monitoring.patients()
            let bar = ProgressBar(total: patients.count, enabled: isatty(STDERR_FILENO) == 1)
            var outcomes: [PatientID: RuleEngine.Outcome] = [:]
            for patient in patients {
                outcomes[patient.id] = try engine.reevaluate(
                    patientID: patient.id, from: start, in: monitoring, dryRun: dryRun)
                bar.advance()
            }
            bar.finish()
            return outcomes
        }

        /// All patients' outcomes in one, each opened flag's explanation naming its patient.
        static func total(_ outcomes: [PatientID: RuleEngine.Outcome]) -> RuleEngine.Outcome {
            var total = RuleEngine.Outcome()
            for (patientID, var outcome) in outcomes.sorted(by: { $0.key < $1.key }) {
                outcome.opened = outcome.opened.map { flag in
                    var tagged = flag
                    tagged.explanation = "\(patientID): \(flag.explanation)"
                    return tagged
                }
                total.add(outcome)
            }
            return total
        }

        private func report(_ total: RuleEngine.Outcome, patients: Int, ruleSet: RuleSet) {
            let verb = dryRun ? "would open" : "opened"
            print(
                "\(ruleSet.label) on \(patients) patients, \(total.evaluatedDays) patient-days: \(verb) \(total.opened.count) flags, \(dryRun ? "would update" : "updated") \(total.updated), back in range \(total.backInRange), \(dryRun ? "would withdraw" : "withdrew") \(total.withdrawn)"
            )
            let byRule = Dictionary(grouping: total.opened, by: { "\($0.ruleID) (\($0.severity.rawValue))" })
            for (rule, flags) in byRule.sorted(by: { $0.key < $1.key }) { print("  \(flags.count) × \(rule)") }
            if dryRun {
                for flag in total.opened.prefix(20) {
                    print("  \(flag.severity.rawValue)  \(flag.ruleID)  \(flag.explanation)")
                }
                if total.opened.count > 20 { print("  … and \(total.opened.count - 20) more") }
                print("nothing was changed (--dry-run)")
            }
        }
    }
}

/// A one-line progress bar on standard error, only on a terminal.
final class ProgressBar {
    private let total: Int
    private let enabled: Bool
    private var done = 0

    init(total: Int, enabled: Bool) {
        self.total = max(total, 1)
        self.enabled = enabled
    }

    func advance() {
        done += 1
        guard enabled, done == total || done % max(1, total / 100) == 0 else { return }
        let width = 40
        let filled = width * done / total
        let line =
            "\r[" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
            + "] \(done)/\(total)"
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
