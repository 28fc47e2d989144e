import Foundation
import Vitals

/// A patient's flags as the lifecycle sees them: at most one open flag per rule; new evidence
/// updates it and may raise its severity, never lower it; "back in range" is noted, but only a
/// person closes a flag. The store loads a book, applies decisions, and saves what changed.
public struct FlagBook: Sendable, Hashable {
    /// An open (or escalated) flag.
    public struct OpenFlag: Sendable, Hashable {
        /// The stored flag's id; `nil` until saved.
        public var id: Int64?
        public var ruleID: String
        public var ruleSetVersion: Int
        public var measurement: ReadingKind
        public var severity: Severity
        public var explanation: String
        public var readingIDs: [Int64]
        public var evidenceAt: Date
        /// The measurement instants of the evidence the flag rests on (one per firing).
        public var supports: Set<Date>
        /// A recheck is under way: `settle()` withdraws the flag if nothing supports it after it.
        var rechecking = false
        public var backInRangeAt: Date?
        /// Escalated to the hotline: people are acting on it, so it is never withdrawn.
        public var escalated: Bool
        /// Changed since loaded (or new): the store must write it.
        public var changed: Bool

        public init(
            id: Int64?, ruleID: String, ruleSetVersion: Int, measurement: ReadingKind, severity: Severity,
            explanation: String,
            readingIDs: [Int64], evidenceAt: Date, supports: Set<Date>? = nil, backInRangeAt: Date?,
            escalated: Bool = false,
            changed: Bool = false
        ) {
            self.id = id
            self.ruleID = ruleID
            self.ruleSetVersion = ruleSetVersion
            self.measurement = measurement
            self.severity = severity
            self.explanation = explanation
            self.readingIDs = readingIDs
            self.evidenceAt = evidenceAt
            self.supports = supports ?? [evidenceAt]
            self.backInRangeAt = backInRangeAt
            self.escalated = escalated
            self.changed = changed
        }
    }

    /// Open flags by rule id.
    public var open: [String: OpenFlag]
    /// Flags withdrawn by the last decisions (stored ones only): the store closes them as withdrawn.
    public var withdrawn: [OpenFlag] = []
    /// For each rule, the newest evidence a person has already closed a flag on: decisions about
    /// older evidence (a late reading) do not reopen what was dealt with.
    public var closedThrough: [String: Date]

    public init(open: [OpenFlag] = [], closedThrough: [String: Date] = [:]) {
        self.open = Dictionary(open.map { ($0.ruleID, $0) }, uniquingKeysWith: { first, _ in first })
        self.closedThrough = closedThrough
    }

    /// What applying a decision did.
    public enum Effect: Sendable, Hashable {
        case opened, updated, raisedSeverity, backInRange, unchanged
    }

    /// Applies one decision; returns what it did.
    @discardableResult
    public mutating func apply(_ decision: FlagDecision) -> Effect {
        switch decision.action {
        case .raise:
            if var flag = open[decision.ruleID] {
                var effect = Effect.unchanged
                if decision.severity > flag.severity {
                    flag.severity = decision.severity
                    effect = .raisedSeverity
                }
                // The explanation follows the newest evidence of the flag's own severity: a red
                // flag keeps saying why it is red when milder readings follow.
                if decision.evidenceAt >= flag.evidenceAt, decision.severity >= flag.severity {
                    if flag.explanation != decision.explanation || flag.evidenceAt != decision.evidenceAt {
                        if effect == .unchanged { effect = .updated }
                    }
                    flag.explanation = decision.explanation
                    flag.evidenceAt = decision.evidenceAt
                    flag.ruleSetVersion = decision.ruleSetVersion
                    if let back = flag.backInRangeAt, decision.evidenceAt >= back {
                        flag.backInRangeAt = nil
                        if effect == .unchanged { effect = .updated }
                    }
                }
                if flag.supports.insert(decision.evidenceAt).inserted { flag.changed = true }
                let merged = Array(Set(flag.readingIDs).union(decision.readingIDs)).sorted()
                if merged != flag.readingIDs {
                    flag.readingIDs = merged
                    if effect == .unchanged { effect = .updated }
                }
                if effect != .unchanged { flag.changed = true }
                open[decision.ruleID] = flag
                return effect
            }
            if let closed = closedThrough[decision.ruleID], decision.evidenceAt <= closed { return .unchanged }
            open[decision.ruleID] = OpenFlag(
                id: nil, ruleID: decision.ruleID, ruleSetVersion: decision.ruleSetVersion,
                measurement: decision.measurement,
                severity: decision.severity, explanation: decision.explanation,
                readingIDs: decision.readingIDs.sorted(),
                evidenceAt: decision.evidenceAt, supports: [decision.evidenceAt], backInRangeAt: nil, changed: true)
            return .opened
        case .recheck:
            guard var flag = open[decision.ruleID], !flag.escalated else { return .unchanged }
            let kept = flag.supports.filter { $0 < decision.evidenceAt }
            if kept != flag.supports {
                flag.supports = kept
                flag.changed = true
            }
            flag.rechecking = true
            open[decision.ruleID] = flag
            return .unchanged
        case .backInRange:
            guard var flag = open[decision.ruleID], flag.backInRangeAt == nil, decision.evidenceAt > flag.evidenceAt
            else {
                return .unchanged
            }
            flag.backInRangeAt = decision.evidenceAt
            flag.changed = true
            open[decision.ruleID] = flag
            return .backInRange
        }
    }

    /// Ends a round of decisions: a flag that was rechecked and rests on nothing any more is
    /// withdrawn. Returns how many.
    @discardableResult
    public mutating func settle() -> Int {
        var count = 0
        for (rule, var flag) in open where flag.rechecking {
            if flag.supports.isEmpty {
                open.removeValue(forKey: rule)
                if flag.id != nil { withdrawn.append(flag) }
                count += 1
            } else {
                flag.rechecking = false
                open[rule] = flag
            }
        }
        return count
    }

    /// A person closed the flag of `ruleID` (acknowledged, or the cardiologist answered).
    public mutating func close(ruleID: String) {
        guard let flag = open.removeValue(forKey: ruleID) else { return }
        closedThrough[ruleID] = max(closedThrough[ruleID] ?? flag.evidenceAt, flag.evidenceAt)
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
        let allowed = severity == .red ? redWorkingDays : yellowWorkingDays
        return Self.workingDays(from: openedAt, to: now, zone: zone) > allowed
    }

    /// Working days (Mon–Fri) that have fully or partly passed after the day of `start`, up to
    /// and including the day of `end`.
    static func workingDays(from start: Date, to end: Date, zone: TimeZone) -> Int {
        let first = LocalDay(start, in: zone)
        let last = LocalDay(end, in: zone)
        guard last > first else { return 0 }
        var count = 0
        var day = first.adding(days: 1)
        while day <= last {
            // 1970-01-01 was a Thursday: (number + 3) % 7 gives 0 for Monday … 6 for Sunday.
            if (day.number + 3) % 7 < 5 { count += 1 }
            day = day.adding(days: 1)
        }
        return count
    }
}
