import Foundation
import RuleMeasurement
import TelekitSimulation
import Testing
import Vitals

/// The ceiling `rules-bench visibility` reports, on episodes and readings laid out by hand.
@Suite struct EpisodeVisibilityTests {
    static let day = 86_400.0
    /// Monday 5 January 2026, 00:00 UTC.
    static let start = Date(timeIntervalSince1970: 1_767_571_200)
    static func at(_ days: Double) -> Date { start.addingTimeInterval(days * day) }
    static func weighed(_ days: Double...) -> [SimulatedReading] {
        days.map { SimulatedReading(kind: .weight, value: 80, measuredAt: at($0)) }
    }

    /// An episode from day 10 to day 20: the last chance to catch it 3 days ahead is day 17.
    static let episode = Episode(start: at(10), end: at(20), weightGain: 1.5)

    @Test(
        "the episode's progress at the last reading in it at least 3 days before its end",
        arguments: [
            (weighed(2, 5, 9), nil),  // none within the episode
            (weighed(18, 19.5), nil),  // only too late
            (weighed(11, 15, 18), 0.5),  // day 15 is the last in time
            (weighed(10, 17), 0.7),  // day 17 is still in time
            (weighed(10), 0.0),  // measured on its first morning only
        ] as [([SimulatedReading], Double?)])
    func progress(readings: [SimulatedReading], expected: Double?) {
        let progress = EpisodeVisibility.progress(of: Self.episode, readings: readings)
        #expect(progress.map { ($0 * 1000).rounded() / 1000 } == expected)
    }

    @Test("shares: measured at all, and grown at least so far")
    func shares() {
        let visibility = EpisodeVisibility(progress: [nil, 0.0, 0.3, 0.6, 0.9])
        #expect(visibility.share(grownAtLeast: 0) == 0.8)
        #expect(visibility.share(grownAtLeast: 0.5) == 0.4)
        #expect(visibility.share(grownAtLeast: 0.75) == 0.2)
        #expect(EpisodeVisibility(progress: []).share(grownAtLeast: 0) == 0)
    }

    @Test("measuring daily leaves more episodes visible in time than 1-3 days a week, on the same patients")
    func dailyAgainstWeekly() {
        var simulator = CohortSimulator(seed: 3, patients: 200, days: 365, start: Self.start)
        simulator.habit = .daily
        let daily = EpisodeVisibility.measure(simulator: simulator)
        simulator.habit = .oneToThreeTimesAWeek
        let weekly = EpisodeVisibility.measure(simulator: simulator)
        #expect(daily.progress.count == weekly.progress.count)
        #expect(daily.progress.count > 50)
        #expect(daily.share(grownAtLeast: 0.5) > weekly.share(grownAtLeast: 0.5))
    }
}
