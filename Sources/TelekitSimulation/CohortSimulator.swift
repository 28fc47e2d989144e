import Foundation
import Vitals

/// An invented heart-failure patient's telekit readings over a period, with the ground truth of
/// when they decompensated. Assumptions and their sources: `docs/SIMULATOR.md`.
public struct SimulatedPatient: Sendable, Hashable {
    public var id: String
    public var dryWeight: Double
    public var readings: [SimulatedReading]
    public var episodes: [Episode]
    public var monitoringStart: Date
    /// For each day without a measurement (days since the start), what the patient measures that
    /// morning when asked the evening before (`CohortSimulator.requestAnswerRate`); days the
    /// patient would not answer are absent. Drawn apart from `readings`, which stay the same.
    public var answers: [Int: [SimulatedReading]] = [:]
}

/// One simulated reading, canonical units.
public struct SimulatedReading: Sendable, Hashable {
    public var kind: ReadingKind
    public var value: Double
    public var measuredAt: Date

    public init(kind: ReadingKind, value: Double, measuredAt: Date) {
        self.kind = kind
        self.value = value
        self.measuredAt = measuredAt
    }
}

/// A decompensation: from `start` the patient worsens until `end`, when the clinic would act.
public struct Episode: Sendable, Hashable, Codable {
    public var start: Date
    public var end: Date
    /// Total weight gained by `end` (0 for the episodes without weight change).
    public var weightGain: Double

    public init(start: Date, end: Date, weightGain: Double) {
        self.start = start
        self.end = end
        self.weightGain = weightGain
    }
}

/// Generates a cohort deterministically from a seed.
///
/// Per patient: a dry weight; day-to-day weight noise 0.5–0.8 kg; personal blood-pressure and
/// pulse baselines with noise; a measurement plan of daily weighing for 14 days, then 1–3 times a
/// week; about a fifth of planned days missed, weekends and public holidays worse; one patient in
/// ten weighs twice on
/// some days. Decompensation episodes at about 0.5 per patient-year, lasting 7–30 days: in half,
/// weight rises 1–2.5 kg, most of it in the last week, with pulse up and systolic pressure down;
/// in the other half weight does not move (Zhang 2009; Gyllensten 2016; Chaudhry 2007).
public struct CohortSimulator: Sendable {
    public var seed: UInt64
    public var patients: Int
    public var days: Int
    public var start: Date
    public var zone: TimeZone
    /// Decompensations per patient-year.
    public var episodeRate = 0.5
    /// How often the patients measure after the first fortnight.
    public var habit = MeasurementHabit.oneToThreeTimesAWeek
    /// How often a patient measures the next morning when asked the evening before (a request
    /// to measure again, `RuleEvaluator.confirmationsDue`); an assumption (docs/SIMULATOR.md).
    public var requestAnswerRate = 0.7

    /// How often a cohort measures. Both habits measure daily for the first 14 days and miss
    /// about a fifth of the days they meant to measure (more at weekends and on holidays).
    public enum MeasurementHabit: String, Sendable, Hashable, CaseIterable {
        /// Then 1, 2 or 3 days a week, chosen per patient: the Danish TeleHjerte plan after the
        /// first fortnight (docs/SIMULATOR.md).
        case oneToThreeTimesAWeek = "weekly"
        /// Every day throughout, as in the trials behind the rules of thumb (BEAT-HF, Tele-HF).
        case daily
    }

    public init(
        seed: UInt64, patients: Int, days: Int, start: Date, zone: TimeZone = TimeZone(identifier: "Europe/Copenhagen")!
    ) {
        self.seed = seed
        self.patients = patients
        self.days = days
        self.start = start
        self.zone = zone
    }

    /// The whole cohort.
    public func cohort() -> [SimulatedPatient] {
        (0..<patients).map(patient)
    }

    /// Patient number `index`, independent of the others (its own generator).
    public func patient(_ index: Int) -> SimulatedPatient {
        var random = SeededGenerator(seed: seed &* 0x100_0000_01B3 &+ UInt64(index))
        let dryWeight = random.normal(mean: 82, deviation: 14).clamped(to: 48...150)
        let weightNoise = Double.random(in: 0.5...0.8, using: &random)
        let systolicBase = random.normal(mean: 118, deviation: 14).clamped(to: 88...160)
        let diastolicBase = (systolicBase * 0.6 + random.normal(deviation: 5)).clamped(to: 50...100)
        let pulseBase = random.normal(mean: 72, deviation: 9).clamped(to: 52...95)
        let timesPerWeek = Int.random(in: 1...3, using: &random)
        let twiceADay = Double.random(in: 0..<1, using: &random) < 0.1

        // Episodes: a Poisson process over the period, at least 30 days apart.
        var episodes: [Episode] = []
        var day = 0.0
        while true {
            day += -log(Double.random(in: Double.ulpOfOne..<1, using: &random)) * 365 / episodeRate
            guard day < Double(days - 7) else { break }
            let length = Double(Int.random(in: 7...30, using: &random))
            let withWeight = Bool.random(using: &random)
            let begin = start.addingTimeInterval(day * 86_400)
            episodes.append(
                Episode(
                    start: begin, end: begin.addingTimeInterval(length * 86_400),
                    weightGain: withWeight ? Double.random(in: 1.0...2.5, using: &random) : 0))
            day += length + 30
        }

        var readings: [SimulatedReading] = []
        var answers: [Int: [SimulatedReading]] = [:]
        // The requests' answers come from a generator of their own: the habitual readings are
        // the same whether or not anyone asks.
        var answerRandom = SeededGenerator(seed: (seed &* 0x100_0000_01B3 &+ UInt64(index)) ^ 0x5EED_A25E_0000_0001)
        /// The readings of one morning: weight (twice on some days for some patients), then
        /// blood pressure and pulse, where the patient stands in an episode.
        func measure(_ midnight: Date, using random: inout SeededGenerator) -> [SimulatedReading] {
            var taken: [SimulatedReading] = []
            let morning = midnight.addingTimeInterval(Double.random(in: 6.5...9.5, using: &random) * 3600)
            // Where the patient stands in an episode: 0 before, rising to 1 at its end.
            var progress = 0.0
            var gain = 0.0
            for episode in episodes where morning >= episode.start && morning < episode.end {
                progress = morning.timeIntervalSince(episode.start) / episode.end.timeIntervalSince(episode.start)
                gain = episode.weightGain * pow(progress, 2.5)  // most of it in the last week
            }
            let weight = dryWeight + gain + random.normal(deviation: weightNoise)
            taken.append(SimulatedReading(kind: .weight, value: weight, measuredAt: morning))
            if twiceADay, Double.random(in: 0..<1, using: &random) < 0.5 {
                taken.append(
                    SimulatedReading(
                        kind: .weight, value: weight + Double.random(in: 0.3...1.2, using: &random),
                        measuredAt: morning.addingTimeInterval(11 * 3600)))
            }
            let pressureAt = morning.addingTimeInterval(Double.random(in: 300...1200, using: &random))
            let systolic = systolicBase - 10 * progress + random.normal(deviation: 7)
            let diastolic = diastolicBase - 4 * progress + random.normal(deviation: 5)
            let pulse = pulseBase + 12 * progress + random.normal(deviation: 5)
            taken.append(SimulatedReading(kind: .systolic, value: systolic.rounded(), measuredAt: pressureAt))
            taken.append(SimulatedReading(kind: .diastolic, value: diastolic.rounded(), measuredAt: pressureAt))
            taken.append(SimulatedReading(kind: .pulse, value: pulse.rounded(), measuredAt: pressureAt))
            return taken
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        for offset in 0..<days {
            let midnight = calendar.date(byAdding: .day, value: offset, to: calendar.startOfDay(for: start))!
            let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: midnight)
            // Weekends and Danish public holidays are missed more often.
            let weekend =
                parts.weekday == 1 || parts.weekday == 7
                || DanishHolidays.contains(year: parts.year!, month: parts.month!, day: parts.day!)
            let planned =
                offset < 14 || habit == .daily || Double.random(in: 0..<1, using: &random) < Double(timesPerWeek) / 7
            let missed = Double.random(in: 0..<1, using: &random) < (weekend ? 0.3 : 0.18)
            guard planned, !missed else {
                let answer = measure(midnight, using: &answerRandom)
                if Double.random(in: 0..<1, using: &answerRandom) < requestAnswerRate { answers[offset] = answer }
                continue
            }
            readings += measure(midnight, using: &random)
        }
        return SimulatedPatient(
            id: String(format: "SIM-%05d", index), dryWeight: dryWeight, readings: readings, episodes: episodes,
            monitoringStart: start, answers: answers)
    }
}

extension Double {
    fileprivate func clamped(to range: ClosedRange<Double>) -> Double {
        Swift.min(Swift.max(self, range.lowerBound), range.upperBound)
    }
}

/// Danish public holidays (and Christmas Eve and New Year's Eve, when few measure either):
/// New Year, Maundy Thursday, Good Friday, Easter Sunday and Monday, Ascension, Whit Sunday and
/// Monday, Constitution Day, 24–26 and 31 December.
enum DanishHolidays {
    static func contains(year: Int, month: Int, day: Int) -> Bool {
        if [(1, 1), (6, 5), (12, 24), (12, 25), (12, 26), (12, 31)].contains(where: { $0 == (month, day) }) {
            return true
        }
        let easter = easterSunday(year)
        let offset = dayNumber(year, month, day) - dayNumber(year, easter.month, easter.day)
        return [-3, -2, 0, 1, 39, 49, 50].contains(offset)
    }

    /// Easter Sunday in the Gregorian calendar (the anonymous "Meeus/Jones/Butcher" algorithm).
    static func easterSunday(_ year: Int) -> (month: Int, day: Int) {
        let a = year % 19, b = year / 100, c = year % 100, d = b / 4, e = b % 4
        let f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30
        let i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        return (month, (h + l - 7 * m + 114) % 31 + 1)
    }

    /// Day of the year, enough to compare dates within one year.
    static func dayNumber(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let before = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334][month - 1]
        return before + day + (leap && month > 2 ? 1 : 0)
    }
}
