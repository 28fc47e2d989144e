import ArgumentParser
import ConsoleScreens
import FollowUp
import Foundation
import MonitoringRecords
import StoreInterface
import TeleIngest
import TerminalUI
import ThresholdRules
import Vitals

struct PatientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patient",
        abstract: "A patient's record: flags with explanations, charts, readings, notes, thresholds, escalations.")

    @OptionGroup var options: ConsoleOptions
    @Argument(help: "Patient id.") var id: PatientID
    @Option(help: "Page width in characters.") var width = 100
    @Flag(help: "Print JSON (the record, the daily values and the limits).") var json = false

    struct Shown: Encodable {
        var record: PatientRecord
        var daily: [String: [PatientOverview.DailyPoint]]
        var limits: [String: [PatientOverview.LimitLine]]
        var thresholds: [PatientOverview.Threshold]
        var adherence: Adherence
        /// The measurement plan in words: "daily for 14 days, then 3 days a week".
        var measurementPlan: String
        /// Personal limits proposed from the patient's own readings, for a cardiologist to decide.
        var limitProposals: [LimitProposal]
    }

    func run() async throws {
        let overview = try await options.withSession { try await $0.overview(patientID: id) }
        if json {
            return try Output.json(
                Shown(
                    record: overview.record,
                    daily: Dictionary(uniqueKeysWithValues: overview.daily.map { ($0.key.rawValue, $0.value) }),
                    limits: Dictionary(uniqueKeysWithValues: overview.limits.map { ($0.key.rawValue, $0.value) }),
                    thresholds: overview.thresholds, adherence: overview.adherence,
                    measurementPlan: overview.measurementPlan.text, limitProposals: overview.limitProposals))
        }
        let environment = ProcessInfo.processInfo.environment
        let screen = PatientScreen(overview: overview, glyphs: Terminal.glyphs(environment: environment))
        print(screen.title.trimmingCharacters(in: .whitespaces))
        for line in screen.document(width: width, height: 43).lines {
            print(line.map(\.text).joined())
        }
    }
}
