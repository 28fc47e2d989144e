import Vitals

/// What a rule looks at. Each kind reads its own named parameters (see `docs/RULES.md`).
public enum RuleKind: String, Sendable, Codable, CaseIterable {
    /// A reading outside low/high limits, yellow and red: `yellowBelow`, `yellowAbove`,
    /// `redBelow`, `redAbove` (any of them). With `relativeTo: dryWeight` the limits are
    /// offsets from the patient's dry weight.
    case range
    /// Gain of the daily value against the lowest (or, with `reference: median`, the median)
    /// daily value of the previous `days` days:
    /// `days`, `yellowGain`, `redGain`; with `confirmations` n, the gain must hold on the last n
    /// daily values (default 1: the newest alone).
    case change
    /// Daily value against the patient's own trailing median of `days` days: `days`,
    /// `minimumDays`, `yellowAbove` (units above the median) and/or `sigmas` (robust SDs).
    case baseline
    /// Moving-average convergence/divergence of daily values: `fast`, `slow` (EMA spans in
    /// days), `yellowAbove` (the MACD line, in the kind's unit), `minimumDays`.
    case trend
    /// `count` of the last `of` readings beyond `below` or `above`.
    case persistence
    /// No reading for longer than the measurement plan allows: `dailyPhaseDays`,
    /// `dailyMaxGapDays`, `laterMaxGapDays`. Evaluated on a clock.
    case missing
    /// Several signals against the patient's own baseline and day-to-day variation, combined
    /// into one score: morning weight up, morning pulse up, systolic pressure down. Each
    /// signal's recent level (the mean of the last `recentDays` daily values) is scored in units
    /// of the patient's robust standard deviation over the `baselineDays` before (at least
    /// `minimumDays` of them, learned afresh after a new dry weight), never less than its
    /// `…Floor`; the scores add up to at least `yellowScore` for a flag of the rule's severity
    /// (one severity: see `RuleEvaluator.personal`). A signal better than usual offsets the
    /// others by its score, but never by more than `offsetFloor` (≤ 0; default 0: no offset).
    /// With `askScore` (below `yellowScore`), a day whose score reaches it asks the patient to
    /// measure again the next morning (`RuleEvaluator.confirmationsDue`): no flag, a request.
    case personal
}

/// How one value per calendar day is chosen from several readings that day.
public enum DailyValue: String, Sendable, Codable, CaseIterable {
    /// The first reading of the day (the guideline's morning weight, before breakfast).
    case morning
    /// The median of the day's readings.
    case median
}

/// What a `change` rule measures a gain against, among the daily values of its window.
public enum ChangeReference: String, Sendable, Codable, CaseIterable {
    /// The lowest: the most sensitive reading of "a gain in N days", and the noisiest.
    case lowest
    /// The median: one light morning in the window does not make every later day look heavy.
    case median
}

/// One rule of a rule set, with its default numbers and where they come from.
public struct Rule: Sendable, Hashable, Identifiable {
    /// Stable id, shown on flags and used by personal overrides (`weight-gain-3d`).
    public var id: String
    public var kind: RuleKind
    /// The reading kind the rule looks at.
    public var measurement: ReadingKind
    /// Named numbers; any of them can be overridden per patient.
    public var parameters: [String: Double]
    /// Severity of rules with a single level (baseline, trend, persistence, missing).
    public var severity: Severity
    public var dailyValue: DailyValue
    /// For `change`: what a gain is measured against.
    public var reference: ChangeReference
    /// For `range` on weight: limits are offsets from the patient's dry weight.
    public var relativeToDryWeight: Bool
    /// The published source of the default numbers, in words.
    public var source: String
    /// A sentence for the nurse: what the rule is about.
    public var title: String
    /// What the rule looks for, shared by rules that see the same thing (`fluid` for the weight
    /// rules and the personal rule): one open flag per problem, naming its strongest evidence.
    /// The rule's own id when it shares its problem with no other.
    public var problem: String

    public init(
        id: String, kind: RuleKind, measurement: ReadingKind, parameters: [String: Double],
        severity: Severity = .yellow,
        dailyValue: DailyValue = .morning, relativeToDryWeight: Bool = false, source: String = "", title: String = "",
        problem: String? = nil, reference: ChangeReference = .lowest
    ) {
        self.id = id
        self.kind = kind
        self.measurement = measurement
        self.parameters = parameters
        self.severity = severity
        self.dailyValue = dailyValue
        self.relativeToDryWeight = relativeToDryWeight
        self.source = source
        self.title = title.isEmpty ? id : title
        self.problem = problem ?? id
        self.reference = reference
    }

    /// The parameters each kind reads, and which of them it needs.
    public static func parameterNames(for kind: RuleKind) -> (required: [String], optional: [String]) {
        switch kind {
        case .range: ([], ["yellowBelow", "yellowAbove", "redBelow", "redAbove"])
        case .change: (["days"], ["yellowGain", "redGain", "confirmations"])
        case .baseline: (["days"], ["minimumDays", "yellowAbove", "sigmas"])
        case .trend: (["fast", "slow", "yellowAbove"], ["minimumDays"])
        case .persistence: (["count", "of"], ["below", "above"])
        case .missing: (["dailyPhaseDays", "dailyMaxGapDays", "laterMaxGapDays"], [])
        case .personal:
            (
                ["baselineDays", "recentDays", "yellowScore"],
                ["minimumDays", "weightFloor", "pulseFloor", "systolicFloor", "offsetFloor", "askScore", "cusumSlack"]
            )
        }
    }

    /// What is wrong with this rule's numbers, as (parameter, expectation) pairs; empty when valid.
    public func problems() -> [(field: String, expected: String)] {
        var problems: [(String, String)] = []
        let (required, optional) = Self.parameterNames(for: kind)
        for name in required where parameters[name] == nil {
            problems.append(("parameters.\(name)", "is required for a \(kind.rawValue) rule"))
        }
        for name in parameters.keys.sorted() where !required.contains(name) && !optional.contains(name) {
            problems.append(
                (
                    "parameters.\(name)",
                    "is not a parameter of a \(kind.rawValue) rule; expected one of \((required + optional).joined(separator: ", "))"
                ))
        }
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) where !value.isFinite {
            problems.append(("parameters.\(name)", "expected a finite number"))
        }
        func positive(_ name: String) {
            if let value = parameters[name], value <= 0 {
                problems.append(("parameters.\(name)", "expected a number above 0, found \(value)"))
            }
        }
        switch kind {
        case .range:
            if parameters.isEmpty {
                problems.append(("parameters", "expected at least one of yellowBelow, yellowAbove, redBelow, redAbove"))
            }
            if let yellow = parameters["yellowBelow"], let red = parameters["redBelow"], red > yellow {
                problems.append(("parameters.redBelow", "expected at most yellowBelow (\(yellow)), found \(red)"))
            }
            if let yellow = parameters["yellowAbove"], let red = parameters["redAbove"], red < yellow {
                problems.append(("parameters.redAbove", "expected at least yellowAbove (\(yellow)), found \(red)"))
            }
            if relativeToDryWeight, measurement != .weight {
                problems.append(("relativeTo", "dryWeight applies to weight rules only"))
            }
        case .change:
            positive("days")
            if let count = parameters["confirmations"], count < 1 || count != count.rounded() {
                problems.append(("parameters.confirmations", "expected a whole number from 1, found \(count)"))
            }
            if parameters["yellowGain"] == nil, parameters["redGain"] == nil {
                problems.append(("parameters", "expected yellowGain or redGain"))
            }
            if let yellow = parameters["yellowGain"], let red = parameters["redGain"], red < yellow {
                problems.append(("parameters.redGain", "expected at least yellowGain (\(yellow)), found \(red)"))
            }
        case .baseline:
            positive("days")
            if parameters["yellowAbove"] == nil, parameters["sigmas"] == nil {
                problems.append(("parameters", "expected yellowAbove or sigmas"))
            }
        case .trend:
            positive("fast")
            positive("slow")
            if let fast = parameters["fast"], let slow = parameters["slow"], fast >= slow {
                problems.append(("parameters.fast", "expected fewer days than slow (\(slow)), found \(fast)"))
            }
        case .persistence:
            positive("count")
            positive("of")
            if let count = parameters["count"], let of = parameters["of"], count > of {
                problems.append(("parameters.count", "expected at most 'of' (\(of)), found \(count)"))
            }
            if parameters["below"] == nil, parameters["above"] == nil {
                problems.append(("parameters", "expected below or above"))
            }
        case .missing:
            positive("dailyMaxGapDays")
            positive("laterMaxGapDays")
        case .personal:
            for name in ["baselineDays", "recentDays", "yellowScore", "weightFloor", "pulseFloor", "systolicFloor"] {
                positive(name)
            }
            if let recent = parameters["recentDays"], let baseline = parameters["baselineDays"], recent >= baseline {
                problems.append(
                    ("parameters.recentDays", "expected fewer days than baselineDays (\(baseline)), found \(recent)"))
            }
            if let ask = parameters["askScore"], let yellow = parameters["yellowScore"], !(ask > 0 && ask < yellow) {
                problems.append(
                    ("parameters.askScore", "expected above 0 and below yellowScore (\(yellow)), found \(ask)"))
            }
            if let slack = parameters["cusumSlack"], slack < 0 {
                problems.append(("parameters.cusumSlack", "expected 0 or more, found \(slack)"))
            }
            if let offset = parameters["offsetFloor"], offset > 0 {
                problems.append(("parameters.offsetFloor", "expected 0 or less, found \(offset)"))
            }
            if measurement != .weight {
                problems.append(("measurement", "a personal rule is anchored on weight; expected weight"))
            }
        }
        return problems
    }
}

/// A versioned set of rules: the clinic's default, which personal settings then adjust.
public struct RuleSet: Sendable, Hashable {
    public var id: String
    /// Bumped on every change; stored on each flag so a flag says which rules raised it.
    public var version: Int
    public var rules: [Rule]

    public init(id: String, version: Int, rules: [Rule]) {
        self.id = id
        self.version = version
        self.rules = rules
    }

    /// `heart-failure-default v1`.
    public var label: String { "\(id) v\(version)" }
}
