import ArgumentParser
import DevicePayloads
import Foundation
import MonitoringRecords
import ReadingIntake
import RuleMeasurement
import TeleIngest
import TelekitSimulation
import ThresholdRules
import Vitals

@main
struct RulesBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules-bench",
        abstract: "Measures the rules: how well each catches simulated decompensations, and how fast they run.",
        subcommands: [Detection.self, Visibility.self, Throughput.self])

    struct CohortOptions: ParsableArguments {
        @Option(help: "Rule file (default: the shipped rule set).") var rules = ShippedFiles.current.path(
            ShippedFiles.ruleFile)
        @Option(help: "Simulated patients.") var patients = 1000
        @Option(help: "Days of follow-up.") var days = 365
        @Option(help: "Seed of the simulated cohort.") var seed: UInt64 = 1

        var simulator: CohortSimulator {
            CohortSimulator(
                seed: seed, patients: patients, days: days, start: Date(timeIntervalSince1970: 1_767_225_600))  // 2026-01-01
        }

        func ruleSet() throws -> RuleSet { try RuleFile.load(from: URL(fileURLWithPath: rules)) }
    }

    struct Detection: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Runs the rule set live, day by day, over simulated cohorts; a nurse closes open flags every Friday.",
            discussion: """
                Prints, per rule and for the clinical rules together: episodes caught at least 3 days
                before their end (all, with a weight ramp, with only pulse and pressure changing),
                the median lead time, flags per patient-year outside every episode, and the share
                of patients on the week's worklist. Missing-data rules are counted apart, as
                adherence. By default both cohorts: 1-3 measurements a week after the first
                fortnight, and daily throughout (docs/SIMULATOR.md, docs/RULES.md).
                """)
        @OptionGroup var cohort: CohortOptions
        @Option(help: "weekly, daily or both.") var habit = "both"
        @Option(
            help:
                "Share of requests to measure again (a personal rule's askScore) the simulated patients answer, 0 to 1."
        )
        var answerRate = 0.7
        @Flag(help: "Print Markdown tables.") var markdown = false

        func validate() throws {
            if !(0...1).contains(answerRate) {
                throw ValidationError("--answer-rate expects 0 to 1, found \(answerRate)")
            }
        }

        func run() throws {
            let ruleSet = try cohort.ruleSet()
            let habits: [CohortSimulator.MeasurementHabit]
            switch habit {
            case "both": habits = CohortSimulator.MeasurementHabit.allCases
            default:
                guard let one = CohortSimulator.MeasurementHabit(rawValue: habit) else {
                    throw ValidationError("--habit expects weekly, daily or both, found '\(habit)'")
                }
                habits = [one]
            }
            for habit in habits {
                var simulator = cohort.simulator
                simulator.habit = habit
                simulator.requestAnswerRate = answerRate
                let burden = AlertBurden.measure(ruleSet: ruleSet, simulator: simulator)
                print(burden.title(ruleSet: ruleSet, seed: cohort.seed))
                print(markdown ? burden.markdown() : burden.text())
                print()
            }
        }
    }

    struct Visibility: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "How much of each episode the readings show in time: a ceiling for any rule.",
            discussion: """
                For both cohorts: the share of episodes with a measurement at least 3 days before
                their end, and with the episode a quarter, half or three quarters grown by the last
                such measurement (simulated pulse +12/min, systolic -10 mmHg at the end; weight
                grows mostly in the last week). No rule can catch an episode 3 days ahead that was
                not measured by then. Evaluates no rules (the rule file is not read).
                """)
        @OptionGroup var cohort: CohortOptions

        func run() throws {
            let grown = [0.0, 0.25, 0.5, 0.75]
            print(
                "| cohort | episodes | measured ≥ 3 days before the end | "
                    + grown.dropFirst().map { "and ≥ \(Int($0 * 100)) % grown" }.joined(separator: " | ") + " |")
            print("|" + String(repeating: " --- |", count: grown.count + 2))
            for habit in CohortSimulator.MeasurementHabit.allCases {
                var simulator = cohort.simulator
                simulator.habit = habit
                let visibility = EpisodeVisibility.measure(simulator: simulator)
                let shares = grown.map { String(format: "%.0f %%", 100 * visibility.share(grownAtLeast: $0)) }
                print("| \(habit.rawValue) | \(visibility.progress.count) | " + shares.joined(separator: " | ") + " |")
            }
        }
    }

    struct Throughput: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Evaluation speed: the pure evaluator over whole histories, and `rules apply` through a real SQLite store."
        )
        @OptionGroup var cohort: CohortOptions
        @Option(help: "Patients for the store part (its database is built first).") var storePatients = 1000

        func run() throws {
            let ruleSet = try cohort.ruleSet()
            let evaluator = RuleEvaluator(ruleSet: ruleSet)
            let zone = cohort.simulator.zone
            var readingCount = 0
            var decisions = 0
            var evaluating = Duration.zero
            let clock = ContinuousClock()
            for index in 0..<cohort.patients {
                let patient = cohort.simulator.patient(index)
                let observations = patient.readings.enumerated().map { offset, reading in
                    Observation(
                        id: Int64(offset + 1), kind: reading.kind, value: reading.value, measuredAt: reading.measuredAt)
                }
                readingCount += observations.count
                let context = PatientContext(timeZone: zone, monitoringStart: patient.monitoringStart)
                let days = Array(Set(observations.map { LocalDay($0.measuredAt, in: zone) }))
                evaluating += clock.measure {
                    decisions += evaluator.evaluate(observations, context: context, days: days).count
                }
            }
            let seconds = Double(evaluating.components.seconds) + Double(evaluating.components.attoseconds) / 1e18
            print(
                "pure evaluator: \(cohort.patients) patients × \(cohort.days) days, \(readingCount) readings, \(decisions) decisions in \(String(format: "%.2f", seconds)) s"
            )
            print(
                String(
                    format: "  %.0f patient-years/s, %.0f readings/s",
                    Double(cohort.patients) * Double(cohort.days) / 365 / seconds, Double(readingCount) / seconds))

            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "rules-bench-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let store = try MonitoringStore(path: directory.appendingPathComponent("bench.sqlite").path)
            var stored = 0
            // Readings point at the journal entry they came from; one stands for the whole load.
            let journalID = try store.journal(.import, topic: "rules-bench/simulated", payload: Data())
            let loading = try clock.measure {
                for index in 0..<storePatients {
                    let patient = cohort.simulator.patient(index)
                    stored += try store.bulkLoad(
                        patientID: PatientID(patient.id), name: "Simulated \(patient.id)",
                        monitoringStart: patient.monitoringStart,
                        readings: patient.readings.map {
                            LoadedReading(
                                serial: DeviceSerial("SIM-\(patient.id)-\($0.kind.rawValue)"), kind: $0.kind,
                                value: $0.value,
                                measuredAt: $0.measuredAt)
                        }, journalID: journalID)
                }
            }
            let engine = RuleEngine(ruleSet: ruleSet, defaultZone: zone)
            var opened = 0
            let applying = try clock.measure {
                for index in 0..<storePatients {
                    let id = PatientID(String(format: "SIM-%05d", index))
                    opened += try engine.reevaluate(patientID: id, from: cohort.simulator.start, in: store).opened.count
                }
            }
            func secondsOf(_ duration: Duration) -> Double {
                Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            }
            print(
                "store: \(storePatients) patients, \(stored) readings loaded in \(String(format: "%.1f", secondsOf(loading))) s (without rules: the SQLite insert ceiling for these rows, \(String(format: "%.0f", Double(stored) / secondsOf(loading))) rows/s)"
            )
            print(
                String(
                    format:
                        "  rules apply over the whole year: %.1f s, %.1f patients/s, %d flags opened; 10,000 patients would take about %.0f s",
                    secondsOf(applying), Double(storePatients) / secondsOf(applying), opened,
                    10_000 / (Double(storePatients) / secondsOf(applying))))
        }
    }
}
