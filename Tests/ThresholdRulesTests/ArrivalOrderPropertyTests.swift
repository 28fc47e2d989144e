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
            DefaultRules.dryWeight, DefaultRules.baseline, DefaultRules.macd, DefaultRules.lowSystolic))

    /// Feeds the readings day by day in `order`, re-evaluating from the earliest new day, as the
    /// ingest service does (recheck, then settle); returns the open flags as (rule, severity).
    static func flags(_ readings: [Observation], arrivingBy order: [LocalDay]) -> Set<String> {
        var book = FlagBook()
        var seen: [Observation] = []
        for day in order {
            let arriving = readings.filter { LocalDay($0.measuredAt, in: copenhagen) == day }
            seen += arriving
            let latest = seen.map { LocalDay($0.measuredAt, in: copenhagen) }.max()!
            let days = Set(seen.map { LocalDay($0.measuredAt, in: copenhagen) }).filter { $0 >= day && $0 <= latest }
            for decision in evaluator.evaluate(seen, context: plainContext, days: Array(days)) { book.apply(decision) }
            book.settle()
        }
        return Set(book.open.values.map { "\($0.ruleID):\($0.severity.rawValue)" })
    }

    /// Four weeks of a patient with noise, a decompensation and blood pressure that dips.
    static func cohortPatient(seed: UInt64) -> [Observation] {
        var generator = Generator(state: seed)
        var readings: [Observation] = []
        let start = local("2026-10-01 07:00")
        var weight = Double.random(in: 70...95, using: &generator)
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
        return readings
    }

    @Test("the same readings arriving day by day in any order give the same flags", arguments: 1...40)
    func anyOrder(seed: Int) {
        let readings = Self.cohortPatient(seed: UInt64(seed))
        let days = Set(readings.map { LocalDay($0.measuredAt, in: copenhagen) }).sorted()
        let inOrder = Self.flags(readings, arrivingBy: days)
        var generator = Generator(state: UInt64(seed) &* 7919)
        for _ in 0..<10 {
            let shuffled = days.shuffled(using: &generator)
            #expect(
                Self.flags(readings, arrivingBy: shuffled) == inOrder, "seed \(seed), order \(shuffled.map(\.short))")
        }
    }
}
