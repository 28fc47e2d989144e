import ArgumentParser
import Foundation
import GRDB
import TeleIngest
import TelekitSimulation
import ThresholdRules
import Vitals

@main
struct RulesBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules-bench",
        abstract: "Measures the rules: how well each catches simulated decompensations, and how fast they run.",
        subcommands: [Detection.self, Throughput.self])

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
                "Runs the rule set live, day by day, over a simulated cohort; a nurse closes open flags every Friday.")
        @OptionGroup var cohort: CohortOptions
        @Flag(help: "Print a Markdown table.") var markdown = false

        func run() throws {
            let ruleSet = try cohort.ruleSet()
            let evaluator = RuleEvaluator(ruleSet: ruleSet)
            let zone = cohort.simulator.zone
            var opened: [String: [(patient: Int, at: Date)]] = [:]
            var episodes: [(patient: Int, episode: Episode)] = []
            for index in 0..<cohort.patients {
                let patient = cohort.simulator.patient(index)
                episodes += patient.episodes.map { (index, $0) }
                // As if the cardiologist set the dry weight when monitoring began.
                let context = PatientContext(
                    timeZone: zone, monitoringStart: patient.monitoringStart,
                    settings: [
                        PersonalSetting(
                            .dryWeight((patient.dryWeight * 10).rounded() / 10), validFrom: patient.monitoringStart)
                    ])
                let observations = patient.readings.enumerated().map { offset, reading in
                    Observation(
                        id: Int64(offset + 1), kind: reading.kind, value: reading.value, measuredAt: reading.measuredAt)
                }
                var book = FlagBook()
                var seen = 0
                var window = 0
                let firstDay = LocalDay(patient.monitoringStart, in: zone)
                for dayNumber in 0..<cohort.days {
                    let day = firstDay.adding(days: dayNumber)
                    while seen < observations.count, LocalDay(observations[seen].measuredAt, in: zone) <= day {
                        seen += 1
                    }
                    while window < seen, LocalDay(observations[window].measuredAt, in: zone) < day.adding(days: -60) {
                        window += 1
                    }
                    let recent = Array(observations[window..<seen])
                    let evening = Date(timeIntervalSince1970: Double(day.number) * 86_400 + 17 * 3600)
                    let decisions =
                        evaluator.evaluate(recent, context: context, days: [day])
                        + evaluator.evaluateMissing(recent, context: context, now: evening)
                    for decision in decisions where book.apply(decision) == .opened {
                        opened[decision.ruleID, default: []].append((index, evening))
                    }
                    book.settle()
                    if (day.number + 3) % 7 == 4 {  // Friday: the weekly review closes what is open
                        for rule in Array(book.open.keys) { book.close(ruleID: rule) }
                    }
                }
            }
            let patientYears = Double(cohort.patients * cohort.days) / 365
            var rows: [[String]] = []
            for rule in ruleSet.rules {
                let flags = opened[rule.id] ?? []
                var caught = 0
                var lead: [Double] = []
                for (patient, episode) in episodes {
                    let during = flags.filter {
                        $0.patient == patient && $0.at >= episode.start && $0.at <= episode.end
                    }
                    if let first = during.map(\.at).min() {
                        caught += 1
                        lead.append(episode.end.timeIntervalSince(first) / 86_400)
                    }
                }
                let weightEpisodes = episodes.filter { $0.episode.weightGain > 0 }
                let caughtWithWeight = weightEpisodes.filter { patient, episode in
                    flags.contains { $0.patient == patient && $0.at >= episode.start && $0.at <= episode.end }
                }.count
                let outside = flags.filter { flag in
                    !episodes.contains {
                        $0.patient == flag.patient && flag.at >= $0.episode.start
                            && flag.at <= $0.episode.end.addingTimeInterval(3 * 86_400)
                    }
                }.count
                let median = lead.isEmpty ? "-" : String(format: "%.1f", lead.sorted()[lead.count / 2])
                rows.append([
                    rule.id, String(format: "%.0f %%", 100 * Double(caught) / Double(max(episodes.count, 1))),
                    String(format: "%.0f %%", 100 * Double(caughtWithWeight) / Double(max(weightEpisodes.count, 1))),
                    median,
                    String(format: "%.2f", Double(outside) / patientYears),
                ])
            }
            let header = [
                "rule", "episodes caught", "of episodes with weight gain", "median days before episode end",
                "other flags per patient-year",
            ]
            print(
                "\(ruleSet.label); \(cohort.patients) simulated patients × \(cohort.days) days (seed \(cohort.seed)); \(episodes.count) episodes, \(episodes.filter { $0.episode.weightGain > 0 }.count) with weight gain"
            )
            if markdown {
                print("| " + header.joined(separator: " | ") + " |")
                print("|" + String(repeating: " --- |", count: header.count))
                for row in rows { print("| " + row.joined(separator: " | ") + " |") }
            } else {
                let widths = header.indices.map { column in
                    ([header[column]] + rows.map { $0[column] }).map(\.count).max()!
                }
                for row in [header] + rows {
                    print(
                        row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(
                            separator: "  "))
                }
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
                    try store.database.write { db in
                        try db.execute(
                            sql:
                                "INSERT INTO patient (id, name, time_zone, created_at, monitoring_start) VALUES (?, ?, 'Europe/Copenhagen', ?, ?)",
                            arguments: [
                                patient.id, "Simulated \(patient.id)", patient.monitoringStart.millisecondsSince1970,
                                patient.monitoringStart.millisecondsSince1970,
                            ])
                        let insert = try db.makeStatement(
                            sql: """
                                INSERT INTO reading (patient_id, serial, kind, value, unit, original_value, original_unit, measured_at, received_at, journal_id, profile_id)
                                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'simulated')
                                """)
                        for reading in patient.readings {
                            let ms = reading.measuredAt.millisecondsSince1970
                            try insert.execute(arguments: [
                                patient.id, "SIM-\(patient.id)-\(reading.kind.rawValue)", reading.kind.rawValue,
                                reading.value,
                                reading.kind.canonicalUnit.rawValue, reading.value, reading.kind.canonicalUnit.rawValue,
                                ms, ms, journalID,
                            ])
                        }
                        stored += patient.readings.count
                    }
                }
            }
            let engine = RuleEngine(ruleSet: ruleSet, defaultZone: zone)
            var opened = 0
            let applying = try clock.measure {
                for index in 0..<storePatients {
                    let id = String(format: "SIM-%05d", index)
                    try store.database.write { db in
                        opened += try engine.evaluate(
                            patientID: id, from: cohort.simulator.start, store: store, db: db, now: store.clock.now()
                        )
                        .opened.count
                    }
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
