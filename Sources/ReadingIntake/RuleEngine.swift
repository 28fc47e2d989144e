import Foundation
import MonitoringRecords
import ThresholdRules
import Vitals

/// The rule set as the store runs it after every batch: which readings to load for a patient,
/// which days to evaluate, and how the decisions change the patient's flag book. Pure; each
/// backend reads the history and the book, and writes the book back, in its ingest transaction.
public struct RuleEngine: Sendable {
    public var evaluator: RuleEvaluator
    public var defaultZone: TimeZone
    /// Days of readings loaded before the first evaluated day: enough for every rule's window.
    public var lookbackDays: Int
    /// Each rule's place in the rule set: a flag names the strongest evidence, the rule listed
    /// first on equal terms.
    public var ruleOrder: [String: Int]
    /// Whether a personal rule asks for a measurement the next morning (`askScore`).
    public var asksToConfirm: Bool

    public init(ruleSet: RuleSet, defaultZone: TimeZone) {
        evaluator = RuleEvaluator(ruleSet: ruleSet)
        asksToConfirm = ruleSet.rules.contains { $0.kind == .personal && $0.parameters["askScore"] != nil }
        self.defaultZone = defaultZone
        var days = 14
        for rule in ruleSet.rules {
            for name in ["days", "slow"] {
                if let value = rule.parameters[name] { days = max(days, Int(value) * (name == "slow" ? 3 : 1)) }
            }
            // A personal rule's usual values lie before its recent days.
            if rule.kind == .personal {
                days = max(days, Int(rule.parameters["baselineDays"] ?? 0) + Int(rule.parameters["recentDays"] ?? 0))
            }
        }
        lookbackDays = days + 2
        ruleOrder = Dictionary(
            ruleSet.rules.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// What one run changed.
    public struct Outcome: Sendable, Hashable {
        /// Flags opened, with their rule, severity and explanation.
        public var opened: [FlagBook.OpenFlag] = []
        public var updated = 0
        public var backInRange = 0
        /// Flags withdrawn because late readings showed the rule does not fire after all.
        public var withdrawn = 0
        public var evaluatedDays = 0
        /// Reminders recorded by this check (each is recorded once per rule and due day), with
        /// the devices paired with the patient now, to be published.
        public var reminders: [SentReminder] = []

        public init() {}

        public mutating func add(_ other: Outcome) {
            opened += other.opened
            reminders += other.reminders
            updated += other.updated
            backInRange += other.backInRange
            withdrawn += other.withdrawn
            evaluatedDays += other.evaluatedDays
        }
    }

    /// One processed batch of the journal: what each message became, what the rules did with
    /// the new readings, and how long the rules took of it (the service's metrics).
    public struct ProcessedBatch: Sendable {
        public var results: [MessageResult]
        public var rules: Outcome
        public var ruleDuration: Duration

        public init(results: [MessageResult] = [], rules: Outcome = Outcome(), ruleDuration: Duration = .zero) {
            self.results = results
            self.rules = rules
            self.ruleDuration = ruleDuration
        }

        /// Adds what a second batch of the same drain did.
        public mutating func merge(_ other: ProcessedBatch) {
            results += other.results
            rules.add(other.rules)
            ruleDuration += other.ruleDuration
        }
    }

    /// The requests to measure again that an evaluation of `history` leaves due (a personal
    /// rule's `askScore` reached on the newest day of weighings): only for tomorrow morning, not
    /// for a day gone by when late readings arrive. Each backend records them as reminders (once
    /// per rule and due day) and the service publishes them as it does the missing-data rules'.
    public func confirmations(_ history: [Observation], context: PatientContext, now: Date) -> [MeasurementReminder] {
        guard asksToConfirm,
            let newest = history.lazy.filter({ $0.kind == .weight }).map(\.measuredAt).max()
        else { return [] }
        let today = LocalDay(now, in: context.timeZone)
        return evaluator.confirmationsDue(history, context: context, day: LocalDay(newest, in: context.timeZone))
            .filter { $0.due >= today }
    }

    /// A reminder recorded for a patient, and the devices paired with them to publish it to.
    public struct SentReminder: Sendable, Hashable {
        public var patientID: PatientID
        public var serials: [DeviceSerial]
        public var reminder: MeasurementReminder

        public init(patientID: PatientID, serials: [DeviceSerial], reminder: MeasurementReminder) {
            self.patientID = patientID
            self.serials = serials
            self.reminder = reminder
        }
    }

    /// The readings a run from `earliest` on needs: those measured from this instant
    /// (milliseconds since 1970) on.
    public func historyStart(from earliest: Date, zone: TimeZone) -> Int64 {
        // Local midnight of the first day is within a day of this instant; one extra day covers it.
        Int64(LocalDay(earliest, in: zone).number - lookbackDays - 1) * 86_400_000
    }

    /// The reading rules' decisions on every day with readings from the day of `earliest`
    /// through the newest reading of `history`, and how many days that is.
    public func decisions(_ history: [Observation], context: PatientContext, from earliest: Date) -> (
        decisions: [FlagDecision], days: Int
    ) {
        let firstDay = LocalDay(earliest, in: context.timeZone)
        // Local times of two instants differ by at most the instants' gap plus 26 hours (UTC−12
        // to UTC+14), so a reading measured three days before `earliest` lies on an earlier day:
        // only the history's newer end is placed on days.
        let before = earliest.addingTimeInterval(-3 * 86_400)
        var days: Set<LocalDay> = []
        for observation in history where observation.measuredAt >= before {
            let day = LocalDay(observation.measuredAt, in: context.timeZone)
            if day >= firstDay { days.insert(day) }
        }
        return (evaluator.evaluate(history, context: context, days: Array(days)), days.count)
    }

    /// Applies `decisions` to the patient's flag book; the store then writes the book back.
    public func apply(_ decisions: [FlagDecision], to book: inout FlagBook) -> Outcome {
        var outcome = Outcome()
        for decision in decisions {
            switch book.apply(decision) {
            case .opened: break
            case .updated, .raisedSeverity: outcome.updated += 1
            case .backInRange: outcome.backInRange += 1
            case .unchanged: break
            }
        }
        outcome.withdrawn = book.settle()
        outcome.opened = book.open.values.filter { $0.id == nil }.sorted { $0.problem < $1.problem }
        return outcome
    }
}
