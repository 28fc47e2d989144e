import Foundation
import Testing
import ThresholdRules
import Vitals

/// Whatever order the days of readings arrive in (a gateway flushing its backlog, several
/// gateways), the flags come out the same — for every kind of reading rule. Window rules
/// (baseline, trend, persistence) can fire on incomplete data; the recheck after a late day
/// withdraws such a flag when nothing supports it any more.
@Suite struct ArrivalOrderPropertyTests {
    /// A small deterministic generator (SplitMix64), so failures reproduce from the seed.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let evaluator = RuleEvaluator(
        ruleSet: DefaultRules.set(
            DefaultRules.gain3d, DefaultRules.gain1d, DefaultRules.gain7d, DefaultRules.systolic, DefaultRules.pulse,
            DefaultRules.dryWeight, DefaultRules.baseline, DefaultRules.macd, DefaultRules.lowSystolic,
            DefaultRules.personal, accumulating))

    /// A personal rule that accumulates (CUSUM) over 14 days.
    static let accumulating = DefaultRules.personal(
        id: "personal-accumulation", with: ["recentDays": 14, "cusumSlack": 1, "yellowScore": 5])

    /// The same rules with every weight rule and the personal rule sharing one problem: one
    /// flag, naming its strongest evidence.
    static let grouped: RuleEvaluator = {
        var ruleSet = evaluator.ruleSet
        for index in ruleSet.rules.indices where ruleSet.rules[index].measurement == .weight {
            ruleSet.rules[index].problem = "fluid"
        }
        return RuleEvaluator(ruleSet: ruleSet)
    }()

    /// Feeds the readings day by day in `order`, re-evaluating from the earliest new day, as the
    /// ingest service does (recheck, then settle); returns the open flags as (problem, the rule
    /// named, severity).
    static func flags(
        _ patient: Patient, arrivingBy order: [LocalDay], evaluator: RuleEvaluator = evaluator
    ) -> Set<String> {
        let readings = patient.readings
        var book = FlagBook(
            ruleOrder: Dictionary(uniqueKeysWithValues: evaluator.ruleSet.rules.enumerated().map { ($1.id, $0) }))
        var seen: [Observation] = []
        for day in order {
            let arriving = readings.filter { LocalDay($0.measuredAt, in: copenhagen) == day }
            seen += arriving
            let latest = seen.map { LocalDay($0.measuredAt, in: copenhagen) }.max()!
            let days = Set(seen.map { LocalDay($0.measuredAt, in: copenhagen) }).filter { $0 >= day && $0 <= latest }
            for decision in evaluator.evaluate(seen, context: patient.context, days: Array(days)) {
                book.apply(decision)
            }
            book.settle()
        }
        return Set(book.open.values.map { "\($0.problem):\($0.ruleID):\($0.severity.rawValue)" })
    }

    /// Feeds the readings in `batches` (each re-evaluated from its earliest day on, as the
    /// ingest service does); returns every open flag in full: problem, rule named, severity,
    /// explanation and the readings it lists.
    static func flagsInFull(
        _ patient: Patient, arrivingIn batches: [[Observation]], evaluator: RuleEvaluator = evaluator
    ) -> [String] {
        var book = FlagBook(
            ruleOrder: Dictionary(uniqueKeysWithValues: evaluator.ruleSet.rules.enumerated().map { ($1.id, $0) }))
        var seen: [Observation] = []
        for batch in batches {
            seen += batch
            let first = batch.map { LocalDay($0.measuredAt, in: copenhagen) }.min()!
            let days = Set(seen.map { LocalDay($0.measuredAt, in: copenhagen) }).filter { $0 >= first }
            for decision in evaluator.evaluate(seen, context: patient.context, days: Array(days)) {
                book.apply(decision)
            }
            book.settle()
        }
        return book.open.values.map {
            "\($0.problem):\($0.ruleID):\($0.severity.rawValue): \($0.explanation) \($0.readingIDs)"
        }.sorted()
    }

    /// A generated patient: readings and the personal settings they are judged with.
    struct Patient {
        var readings: [Observation]
        var context: PatientContext
    }

    /// Four weeks of a patient with noise, a decompensation and blood pressure that dips, with
    /// a dry weight a little under the first weight, so the dry-weight rule has work to do.
    static func cohortPatient(seed: UInt64) -> Patient {
        var generator = Generator(state: seed)
        var readings: [Observation] = []
        let start = local("2026-10-01 07:00")
        var weight = Double.random(in: 70...95, using: &generator)
        let dryWeight = (weight - Double.random(in: 0...1, using: &generator)).rounded()
        for day in 0..<28 where Double.random(in: 0...1, using: &generator) > 0.2 {
            let instant = start.addingTimeInterval(
                Double(day) * 86_400 + Double.random(in: 0...3600, using: &generator))
            if day > 20 { weight += Double.random(in: 0...0.9, using: &generator) }
            let measured = weight + Double.random(in: -0.6...0.6, using: &generator)
            readings.append(
                Observation(id: Int64(readings.count + 1), kind: .weight, value: measured, measuredAt: instant))
            let systolic = Double.random(in: 78...135, using: &generator).rounded()
            readings.append(
                Observation(
                    id: Int64(readings.count + 1), kind: .systolic, value: systolic,
                    measuredAt: instant.addingTimeInterval(600)))
            let pulse = Double.random(in: 45...105, using: &generator).rounded()
            readings.append(
                Observation(
                    id: Int64(readings.count + 1), kind: .pulse, value: pulse,
                    measuredAt: instant.addingTimeInterval(600)))
        }
        let context = PatientContext(
            timeZone: copenhagen, monitoringStart: local("2026-09-01 00:00"),
            settings: [PersonalSetting(.dryWeight(dryWeight), validFrom: local("2026-09-01 00:00"))])
        return Patient(readings: readings, context: context)
    }

    static let seeds = 1...40

    @Test("the same readings arriving day by day in any order give the same flags", arguments: seeds)
    func anyOrder(seed: Int) {
        let patient = Self.cohortPatient(seed: UInt64(seed))
        let days = Set(patient.readings.map { LocalDay($0.measuredAt, in: copenhagen) }).sorted()
        let inOrder = Self.flags(patient, arrivingBy: days)
        var generator = Generator(state: UInt64(seed) &* 7919)
        for _ in 0..<10 {
            let shuffled = days.shuffled(using: &generator)
            #expect(
                Self.flags(patient, arrivingBy: shuffled) == inOrder, "seed \(seed), order \(shuffled.map(\.short))")
        }
    }

    @Test(
        "with rules sharing a problem, any order gives the same one flag, naming the same evidence",
        arguments: seeds)
    func anyOrderGrouped(seed: Int) {
        let patient = Self.cohortPatient(seed: UInt64(seed))
        let days = Set(patient.readings.map { LocalDay($0.measuredAt, in: copenhagen) }).sorted()
        let inOrder = Self.flags(patient, arrivingBy: days, evaluator: Self.grouped)
        #expect(inOrder.filter { $0.hasPrefix("fluid:") }.count <= 1)
        var generator = Generator(state: UInt64(seed) &* 104_729)
        for _ in 0..<10 {
            let shuffled = days.shuffled(using: &generator)
            #expect(
                Self.flags(patient, arrivingBy: shuffled, evaluator: Self.grouped) == inOrder,
                "seed \(seed), order \(shuffled.map(\.short))")
        }
    }

    /// A day's readings split over several batches (the replay, a gateway sending weight and
    /// blood pressure apart): a rule can fire on the first part of a day and not on the whole
    /// day. The recheck takes that day's evidence back — and the readings it listed with it,
    /// so that a flag lists the same readings as when everything had arrived at once.
    @Test(
        "readings arriving one at a time give the same flags, explanations and listed readings as all at once",
        arguments: seeds)
    func oneAtATime(seed: Int) {
        let patient = Self.cohortPatient(seed: UInt64(seed))
        let ordered = patient.readings.sorted { ($0.measuredAt, $0.id) < ($1.measuredAt, $1.id) }
        let atOnce = Self.flagsInFull(patient, arrivingIn: [ordered])
        #expect(Self.flagsInFull(patient, arrivingIn: ordered.map { [$0] }) == atOnce, "seed \(seed)")
        let grouped = Self.flagsInFull(patient, arrivingIn: [ordered], evaluator: Self.grouped)
        #expect(
            Self.flagsInFull(patient, arrivingIn: ordered.map { [$0] }, evaluator: Self.grouped) == grouped,
            "seed \(seed), rules sharing a problem")
    }

    /// Without this, an evaluator that never raises anything would pass the property above.
    @Test("the generated patients leave flags of every rule in the set open, some red, most patients flagged")
    func cohortExercisesEveryRule() {
        var ruleIDs: Set<String> = []
        var severities: Set<String> = []
        var flaggedPatients = 0
        var namedInFluid: Set<String> = []
        for seed in Self.seeds {
            let patient = Self.cohortPatient(seed: UInt64(seed))
            let days = Set(patient.readings.map { LocalDay($0.measuredAt, in: copenhagen) }).sorted()
            for flag in Self.flags(patient, arrivingBy: days, evaluator: Self.grouped) where flag.hasPrefix("fluid:") {
                namedInFluid.insert(String(flag.split(separator: ":")[1]))
            }
            let open = Self.flags(patient, arrivingBy: days)
            if !open.isEmpty { flaggedPatients += 1 }
            for flag in open {
                let parts = flag.split(separator: ":")
                ruleIDs.insert(String(parts[1]))
                severities.insert(String(parts[2]))
            }
        }
        #expect(ruleIDs == Set(Self.evaluator.ruleSet.rules.map(\.id)))
        #expect(severities == ["red", "yellow"])
        #expect(flaggedPatients > Self.seeds.count / 2)
        #expect(namedInFluid.count >= 2, "the grouped flag names different rules for different patients")
    }
}
