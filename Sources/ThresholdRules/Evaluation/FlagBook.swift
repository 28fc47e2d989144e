import Foundation
import Vitals

/// A patient's flags as the lifecycle sees them: at most one open flag per problem (rules that
/// see the same thing — a weight gain — share one); new evidence updates it; "back in range" is
/// noted, but only a person closes a flag. The flag names its strongest evidence: the highest
/// severity, then the newest, then the rule listed first in the rule set. The store loads a
/// book, applies decisions, and saves what changed.
public struct FlagBook: Sendable, Hashable {
    /// One rule firing on one day's evidence: what an open flag rests on.
    public struct Evidence: Sendable, Hashable, Codable {
        /// The measurement instant of the newest reading behind it.
        public var at: Date
        public var ruleID: String
        public var severity: Severity
        public var explanation: String
        /// The readings the rule named that day, sorted; `nil` for evidence kept before it
        /// listed them.
        public var readingIDs: [Int64]?

        public init(at: Date, ruleID: String, severity: Severity, explanation: String, readingIDs: [Int64]? = nil) {
            self.at = at
            self.ruleID = ruleID
            self.severity = severity
            self.explanation = explanation
            self.readingIDs = readingIDs
        }
    }

    /// An open (or escalated) flag.
    public struct OpenFlag: Sendable, Hashable {
        /// The stored flag's id; `nil` until saved.
        public var id: Int64?
        /// What the flag is about; the rule id for a rule that shares its problem with no other.
        public var problem: String
        /// The rule whose evidence the flag names (its strongest).
        public var ruleID: String
        public var ruleSetVersion: Int
        public var measurement: ReadingKind
        public var severity: Severity
        public var explanation: String
        public var readingIDs: [Int64]
        public var evidenceAt: Date
        /// Everything the flag rests on: one entry per rule and day that fired while it was open.
        public var evidence: [Evidence]
        /// A recheck is under way: `settle()` withdraws the flag if nothing supports it after it.
        var rechecking = false
        public var backInRangeAt: Date?
        /// Escalated to the hotline: people are acting on it, so it is never withdrawn.
        public var escalated: Bool
        /// Changed since loaded (or new): the store must write it.
        public var changed: Bool

        public init(
            id: Int64?, problem: String? = nil, ruleID: String, ruleSetVersion: Int, measurement: ReadingKind,
            severity: Severity, explanation: String, readingIDs: [Int64], evidenceAt: Date,
            evidence: [Evidence]? = nil, backInRangeAt: Date?, escalated: Bool = false, changed: Bool = false
        ) {
            self.id = id
            self.problem = problem ?? ruleID
            self.ruleID = ruleID
            self.ruleSetVersion = ruleSetVersion
            self.measurement = measurement
            self.severity = severity
            self.explanation = explanation
            self.readingIDs = readingIDs
            self.evidenceAt = evidenceAt
            self.evidence =
                evidence
                ?? [
                    Evidence(
                        at: evidenceAt, ruleID: ruleID, severity: severity, explanation: explanation,
                        readingIDs: readingIDs.sorted())
                ]
            self.backInRangeAt = backInRangeAt
            self.escalated = escalated
            self.changed = changed
        }

        /// The measurement instants the flag rests on.
        public var supports: Set<Date> { Set(evidence.map(\.at)) }

        /// The rules that fired while the flag was open, the named one first.
        public var rules: [String] {
            var seen: [String] = [ruleID]
            for item in evidence.sorted(by: { $0.at > $1.at }) where !seen.contains(item.ruleID) {
                seen.append(item.ruleID)
            }
            return seen
        }
    }

    /// Open flags by problem.
    public var open: [String: OpenFlag]
    /// Flags withdrawn by the last decisions (stored ones only): the store closes them as withdrawn.
    public var withdrawn: [OpenFlag] = []
    /// For each problem, the newest evidence a person has already closed a flag on: decisions
    /// about older evidence (a late reading) do not reopen what was dealt with.
    public var closedThrough: [String: Date]
    /// Each rule's place in the rule set: on equal severity and time, the rule listed first is
    /// the one a flag names. Rules not in it come after, by id.
    public var ruleOrder: [String: Int]

    public init(open: [OpenFlag] = [], closedThrough: [String: Date] = [:], ruleOrder: [String: Int] = [:]) {
        self.open = Dictionary(open.map { ($0.problem, $0) }, uniquingKeysWith: { first, _ in first })
        self.closedThrough = closedThrough
        self.ruleOrder = ruleOrder
    }

    /// What applying a decision did.
    public enum Effect: Sendable, Hashable {
        case opened, updated, raisedSeverity, backInRange, unchanged
    }

    /// Whether `a` is stronger evidence than `b`: higher severity, then newer, then the rule
    /// listed first.
    public func stronger(_ a: Evidence, than b: Evidence) -> Bool {
        if a.severity != b.severity { return a.severity > b.severity }
        if a.at != b.at { return a.at > b.at }
        let (rankA, rankB) = (ruleOrder[a.ruleID] ?? Int.max, ruleOrder[b.ruleID] ?? Int.max)
        if rankA != rankB { return rankA < rankB }
        return a.ruleID < b.ruleID
    }

    /// Sets the flag's severity, named rule and explanation from its strongest evidence.
    private func name(_ flag: inout OpenFlag) {
        guard var strongest = flag.evidence.first else { return }
        for item in flag.evidence.dropFirst() where stronger(item, than: strongest) { strongest = item }
        flag.severity = strongest.severity
        flag.ruleID = strongest.ruleID
        flag.explanation = strongest.explanation
        flag.evidenceAt = flag.evidence.map(\.at).max() ?? strongest.at
    }

    /// Applies one decision; returns what it did.
    @discardableResult
    public mutating func apply(_ decision: FlagDecision) -> Effect {
        let problem = decision.problem
        switch decision.action {
        case .raise:
            let item = Evidence(
                at: decision.evidenceAt, ruleID: decision.ruleID, severity: decision.severity,
                explanation: decision.explanation, readingIDs: decision.readingIDs.sorted())
            if var flag = open[problem] {
                let before = (flag.severity, flag.ruleID, flag.explanation, flag.evidenceAt, flag.backInRangeAt)
                if let index = flag.evidence.firstIndex(where: { $0.at == item.at && $0.ruleID == item.ruleID }) {
                    if flag.evidence[index] != item {
                        flag.evidence[index] = item
                        flag.changed = true
                    }
                } else {
                    flag.evidence.append(item)
                    flag.changed = true
                }
                name(&flag)
                flag.ruleSetVersion = decision.ruleSetVersion
                if let back = flag.backInRangeAt, decision.evidenceAt >= back { flag.backInRangeAt = nil }
                let merged = Array(Set(flag.readingIDs).union(decision.readingIDs)).sorted()
                let newReadings = merged != flag.readingIDs
                flag.readingIDs = merged
                var effect = Effect.unchanged
                if flag.severity > before.0 {
                    effect = .raisedSeverity
                } else if newReadings
                    || before != (
                        flag.severity, flag.ruleID, flag.explanation, flag.evidenceAt, flag.backInRangeAt
                    )
                {
                    effect = .updated
                }
                if effect != .unchanged { flag.changed = true }
                open[problem] = flag
                return effect
            }
            if let closed = closedThrough[problem], decision.evidenceAt <= closed { return .unchanged }
            open[problem] = OpenFlag(
                id: nil, problem: problem, ruleID: decision.ruleID, ruleSetVersion: decision.ruleSetVersion,
                measurement: decision.measurement, severity: decision.severity, explanation: decision.explanation,
                readingIDs: decision.readingIDs.sorted(), evidenceAt: decision.evidenceAt, evidence: [item],
                backInRangeAt: nil, changed: true)
            return .opened
        case .recheck:
            guard var flag = open[problem], !flag.escalated else { return .unchanged }
            let kept = flag.evidence.filter { $0.at < decision.evidenceAt }
            if kept != flag.evidence {
                flag.evidence = kept
                flag.changed = true
            }
            flag.rechecking = true
            open[problem] = flag
            return .unchanged
        case .backInRange:
            guard var flag = open[problem], flag.backInRangeAt == nil, decision.evidenceAt > flag.evidenceAt
            else {
                return .unchanged
            }
            flag.backInRangeAt = decision.evidenceAt
            flag.changed = true
            open[problem] = flag
            return .backInRange
        }
    }

    /// Ends a round of decisions: a flag that was rechecked and rests on nothing any more is
    /// withdrawn; one that still rests on something names its strongest remaining evidence (a
    /// severity found on incomplete data can go down again) and lists the readings of that
    /// evidence only — a day that fired on its first readings and not on all of them (a day's
    /// readings split over batches) leaves none behind. Evidence kept before it listed its
    /// readings leaves the list as it was. Returns how many were withdrawn.
    @discardableResult
    public mutating func settle() -> Int {
        var count = 0
        for (problem, var flag) in open where flag.rechecking {
            if flag.evidence.isEmpty {
                open.removeValue(forKey: problem)
                if flag.id != nil { withdrawn.append(flag) }
                count += 1
            } else {
                flag.rechecking = false
                let before = flag
                if flag.evidence.allSatisfy({ $0.readingIDs != nil }) {
                    flag.readingIDs = Set(flag.evidence.flatMap { $0.readingIDs ?? [] }).sorted()
                }
                name(&flag)
                if flag != before { flag.changed = true }
                open[problem] = flag
            }
        }
        return count
    }

    /// A person closed the flag of `problem` (acknowledged, or the cardiologist answered).
    public mutating func close(problem: String) {
        guard let flag = open.removeValue(forKey: problem) else { return }
        closedThrough[problem] = max(closedThrough[problem] ?? flag.evidenceAt, flag.evidenceAt)
    }
}

/// When an unacknowledged flag counts as overdue, in working days (Monday to Friday).
public struct OverduePolicy: Sendable, Hashable {
    public var redWorkingDays: Int
    public var yellowWorkingDays: Int

    public init(redWorkingDays: Int = 1, yellowWorkingDays: Int = 5) {
        self.redWorkingDays = redWorkingDays
        self.yellowWorkingDays = yellowWorkingDays
    }

    /// Whether a flag of `severity` opened at `openedAt` is overdue at `now` in `zone`.
    public func isOverdue(severity: Severity, openedAt: Date, now: Date, zone: TimeZone) -> Bool {
        isOverdue(severity: severity, openedAt: openedAt, today: LocalDay(now, in: zone), zone: zone)
    }

    /// The same with `today`, the day of "now" in `zone`, worked out once for many flags.
    public func isOverdue(severity: Severity, openedAt: Date, today: LocalDay, zone: TimeZone) -> Bool {
        let allowed = severity == .red ? redWorkingDays : yellowWorkingDays
        return Self.workingDays(after: LocalDay(openedAt, in: zone), through: today) > allowed
    }

    /// Working days (Mon–Fri) that have fully or partly passed after the day of `start`, up to
    /// and including the day of `end`.
    public static func workingDays(from start: Date, to end: Date, zone: TimeZone) -> Int {
        workingDays(after: LocalDay(start, in: zone), through: LocalDay(end, in: zone))
    }

    /// Working days (Mon–Fri) after `first`, up to and including `last`: five in every whole
    /// week, then the remaining days one by one.
    public static func workingDays(after first: LocalDay, through last: LocalDay) -> Int {
        guard last > first else { return 0 }
        let weeks = (last.number - first.number) / 7
        var count = weeks * 5
        var day = first.number + weeks * 7
        while day < last.number {
            day += 1
            if isWorkingDay(day) { count += 1 }
        }
        return count
    }

    /// 1970-01-01 (day 0) was a Thursday: (number + 3) mod 7 gives 0 for Monday … 6 for Sunday.
    static func isWorkingDay(_ number: Int) -> Bool {
        ((number + 3) % 7 + 7) % 7 < 5
    }
}
