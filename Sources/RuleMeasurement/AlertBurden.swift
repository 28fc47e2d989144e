import Foundation
import TelekitSimulation
import ThresholdRules

/// What a rule set costs and catches on one simulated cohort, run live: every evening the rules
/// see the readings so far, and every Friday the nurse closes whatever is open (the weekly
/// review), so a problem that persists opens a new flag the next week. `rules-bench detection`
/// prints it; docs/RULES.md keeps the figures and defines each column.
public struct AlertBurden: Sendable {
    /// A flag opened: which patient, when.
    public struct Opened: Sendable, Hashable {
        public var patient: Int
        public var at: Date

        public init(patient: Int, at: Date) {
            self.patient = patient
            self.at = at
        }
    }

    public var patients: Int
    public var days: Int
    public var habit: CohortSimulator.MeasurementHabit
    public var episodes: [(patient: Int, episode: Episode)]
    /// Per rule id, the flags it would open on its own (its own flag book, as if it shared its
    /// problem with no other rule).
    public var opened: [String: [Opened]]
    /// Per problem, the flags the rule set opens: what the nurse sees, one flag per problem.
    public var openedByProblem: [String: [Opened]]
    /// The rule ids that are clinical (not missing data), in the rule set's order.
    public var clinical: [String]
    /// The clinical problems, in the order of their first rule.
    public var clinicalProblems: [String]
    /// The missing-data rules: adherence, counted apart.
    public var adherence: [String]
    /// Requests to measure again the next morning (`askScore`), and how many brought a
    /// measurement the patient would not have made (answered, on a day off their habit): the
    /// patients' burden, not the nurse's.
    public var requests = 0
    public var answeredRequests = 0

    public init(
        patients: Int, days: Int, habit: CohortSimulator.MeasurementHabit, episodes: [(patient: Int, episode: Episode)],
        opened: [String: [Opened]], openedByProblem: [String: [Opened]] = [:], clinical: [String],
        clinicalProblems: [String] = [], adherence: [String]
    ) {
        self.patients = patients
        self.days = days
        self.habit = habit
        self.episodes = episodes
        self.opened = opened
        self.openedByProblem = openedByProblem
        self.clinical = clinical
        self.clinicalProblems = clinicalProblems
        self.adherence = adherence
    }

    /// An episode counts as caught early when a flag opened between its start and 3 days before
    /// its end (the event: admission or the clinic acting).
    static let earlyDays = 3.0
    /// Flags within this many days after an episode's end still belong to it.
    static let afterEpisodeDays = 3.0

    /// Runs `ruleSet` over the cohort `simulator` makes.
    public static func measure(ruleSet: RuleSet, simulator: CohortSimulator) -> AlertBurden {
        let evaluator = RuleEvaluator(ruleSet: ruleSet)
        let zone = simulator.zone
        var opened: [String: [Opened]] = [:]
        var openedByProblem: [String: [Opened]] = [:]
        let ruleOrder = Dictionary(ruleSet.rules.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        var episodes: [(patient: Int, episode: Episode)] = []
        var requests = 0
        var answeredRequests = 0
        for index in 0..<simulator.patients {
            let patient = simulator.patient(index)
            episodes += patient.episodes.map { (index, $0) }
            // As if the cardiologist set the dry weight when monitoring began.
            let context = PatientContext(
                timeZone: zone, monitoringStart: patient.monitoringStart,
                settings: [
                    PersonalSetting(
                        .dryWeight((patient.dryWeight * 10).rounded() / 10), validFrom: patient.monitoringStart)
                ])
            var observations = patient.readings.enumerated().map { offset, reading in
                Observation(
                    id: Int64(offset + 1), kind: reading.kind, value: reading.value, measuredAt: reading.measuredAt)
            }
            var nextID = Int64(observations.count + 1)
            var book = FlagBook(ruleOrder: ruleOrder)
            // Each rule on its own, for its own row.
            var ruleBook = FlagBook(ruleOrder: ruleOrder)
            var seen = 0
            var window = 0
            let firstDay = LocalDay(patient.monitoringStart, in: zone)
            for dayNumber in 0..<simulator.days {
                let day = firstDay.adding(days: dayNumber)
                while seen < observations.count, LocalDay(observations[seen].measuredAt, in: zone) <= day { seen += 1 }
                while window < seen, LocalDay(observations[window].measuredAt, in: zone) < day.adding(days: -60) {
                    window += 1
                }
                let recent = Array(observations[window..<seen])
                let evening = day.start(in: zone).addingTimeInterval(17 * 3600)
                let decisions =
                    evaluator.evaluate(recent, context: context, days: [day])
                    + evaluator.evaluateMissing(recent, context: context, now: evening)
                for decision in decisions {
                    if book.apply(decision) == .opened {
                        openedByProblem[decision.problem, default: []].append(Opened(patient: index, at: evening))
                    }
                    var alone = decision
                    alone.problem = decision.ruleID
                    if ruleBook.apply(alone) == .opened {
                        opened[decision.ruleID, default: []].append(Opened(patient: index, at: evening))
                    }
                }
                book.settle()
                ruleBook.settle()
                // Closed loop: a request to measure again tomorrow morning, answered or not as the
                // simulated patient would; the answer joins the readings the rules see next.
                if dayNumber + 1 < simulator.days,
                    !evaluator.confirmationsDue(recent, context: context, day: day).isEmpty
                {
                    requests += 1
                    // `answers` holds only the days the patient would not have measured anyway.
                    if let answer = patient.answers[dayNumber + 1] {
                        answeredRequests += 1
                        let added = answer.map { reading in
                            defer { nextID += 1 }
                            return Observation(
                                id: nextID, kind: reading.kind, value: reading.value, measuredAt: reading.measuredAt)
                        }
                        observations.insert(contentsOf: added, at: seen)
                    }
                }
                if day.isoWeekday == 5 {  // Friday: the weekly review closes what is open
                    for problem in Array(book.open.keys) { book.close(problem: problem) }
                    for rule in Array(ruleBook.open.keys) { ruleBook.close(problem: rule) }
                }
            }
        }
        let ids = ruleSet.rules.map(\.id)
        let adherence = ruleSet.rules.filter { $0.kind == .missing }.map(\.id)
        var problems: [String] = []
        for rule in ruleSet.rules where rule.kind != .missing && !problems.contains(rule.problem) {
            problems.append(rule.problem)
        }
        var burden = AlertBurden(
            patients: simulator.patients, days: simulator.days, habit: simulator.habit, episodes: episodes,
            opened: opened, openedByProblem: openedByProblem, clinical: ids.filter { !adherence.contains($0) },
            clinicalProblems: problems, adherence: adherence)
        (burden.requests, burden.answeredRequests) = (requests, answeredRequests)
        return burden
    }

    /// Each patient's episodes: a flag is looked up among its own patient's only.
    private var episodesByPatient: [Int: [Episode]] {
        Dictionary(grouping: episodes, by: \.patient).mapValues { $0.map(\.episode) }
    }

    public var patientYears: Double { Double(patients * days) / 365 }

    /// One row of figures for the flags of `rules` taken together: the name, episodes caught
    /// at least 3 days before their end (all, with a weight ramp, pulse and pressure only), the
    /// median lead in days, other flags per patient-year, and patients flagged per week.
    public func row(_ name: String, rules: [String]) -> [String] {
        row(name, flags: rules.flatMap { opened[$0] ?? [] })
    }

    /// The same row for the flags the rule set opens for `problems`, one flag per problem.
    public func row(_ name: String, problems: [String]) -> [String] {
        row(name, flags: problems.flatMap { openedByProblem[$0] ?? [] })
    }

    private func row(_ name: String, flags: [Opened]) -> [String] {
        var byPatient: [Int: [Date]] = [:]
        for flag in flags { byPatient[flag.patient, default: []].append(flag.at) }
        func caughtEarly(_ selected: [(patient: Int, episode: Episode)]) -> (early: Int, leads: [Double]) {
            var early = 0
            var leads: [Double] = []
            for (patient, episode) in selected {
                let first = (byPatient[patient] ?? []).filter { $0 >= episode.start && $0 <= episode.end }.min()
                guard let first else { continue }
                let lead = episode.end.timeIntervalSince(first) / 86_400
                leads.append(lead)
                if lead >= Self.earlyDays { early += 1 }
            }
            return (early, leads)
        }
        func percent(_ count: Int, of total: Int) -> String {
            total == 0 ? "-" : String(format: "%.0f %%", 100 * Double(count) / Double(total))
        }
        let all = caughtEarly(episodes)
        let ramps = episodes.filter { $0.episode.weightGain > 0 }
        let flat = episodes.filter { $0.episode.weightGain == 0 }
        let episodesOf = episodesByPatient
        let outside = flags.filter { flag in
            !(episodesOf[flag.patient] ?? []).contains {
                flag.at >= $0.start && flag.at <= $0.end.addingTimeInterval(Self.afterEpisodeDays * 86_400)
            }
        }.count
        // The worklist of a week: patients with a flag opened since the last Friday.
        var weeks: [Int: Set<Int>] = [:]
        for flag in flags {
            weeks[Int(flag.at.timeIntervalSince1970 / 86_400 + 3) / 7, default: []].insert(flag.patient)
        }
        let weekCount = max(days / 7, 1)
        let flaggedPerWeek = Double(weeks.values.map(\.count).reduce(0, +)) / Double(weekCount) / Double(patients)
        let leads = all.leads.sorted()
        return [
            name, percent(all.early, of: episodes.count), percent(caughtEarly(ramps).early, of: ramps.count),
            percent(caughtEarly(flat).early, of: flat.count),
            leads.isEmpty ? "-" : String(format: "%.1f", leads[leads.count / 2]),
            String(format: "%.2f", Double(outside) / patientYears), String(format: "%.1f %%", 100 * flaggedPerWeek),
        ]
    }

    public static let header = [
        "rule", "episodes caught ≥ 3 days before", "with weight ramp", "pulse and pressure only",
        "median lead (days)", "other flags per patient-year", "patients flagged per week",
    ]

    /// A row per clinical rule (each on its own), a row per problem shared by several rules,
    /// one for the whole rule set as the nurse sees it (one flag per problem), and a row per
    /// adherence rule.
    public var rows: [[String]] {
        let shared = clinicalProblems.filter { !clinical.contains($0) }
        return clinical.map { row($0, rules: [$0]) }
            + shared.map { row("problem: \($0)", problems: [$0]) }
            + [row("all clinical flags", problems: clinicalProblems)]
            + adherence.map { row($0, rules: [$0]) }
    }

    /// The rule set, the cohort and its episodes, in a line.
    public func title(ruleSet: RuleSet, seed: UInt64) -> String {
        let ramps = episodes.filter { $0.episode.weightGain > 0 }.count
        let plan = habit == .daily ? "daily throughout" : "daily for 14 days, then 1–3 days a week"
        return
            "\(ruleSet.label); \(patients) simulated patients × \(days) days (seed \(seed)), measuring \(plan); \(episodes.count) episodes: \(ramps) with a weight ramp, \(episodes.count - ramps) with only pulse and pressure changing"
    }

    public func markdown() -> String {
        var lines = ["| " + Self.header.joined(separator: " | ") + " |"]
        lines.append("|" + String(repeating: " --- |", count: Self.header.count))
        for row in rows { lines.append("| " + row.joined(separator: " | ") + " |") }
        if let requestLine { lines += ["", requestLine] }
        return lines.joined(separator: "\n")
    }

    /// The requests to measure again, per patient-year, when the rule set asks for any.
    public var requestLine: String? {
        guard requests > 0 else { return nil }
        return String(
            format:
                "Requests to measure again the next morning: %.1f per patient-year; %.0f %% brought a measurement the patient would not have made.",
            Double(requests) / patientYears, 100 * Double(answeredRequests) / Double(requests))
    }

    public func text() -> String {
        let table = [Self.header] + rows
        let widths = Self.header.indices.map { column in table.map { $0[column].count }.max()! }
        return table.map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(
                separator: "  ")
        }.joined(separator: "\n") + (requestLine.map { "\n" + $0 } ?? "")
    }
}
