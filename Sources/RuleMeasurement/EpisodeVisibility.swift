import Foundation
import TelekitSimulation

/// How far each episode had grown by the last measurement that could still catch it "at least
/// 3 days before the event" — a ceiling for every rule on the same readings, whatever it
/// computes: an episode with no measurement in that window cannot be caught in time by any
/// rule, and one measured only while barely begun shows a signal no larger than the patient's
/// day-to-day noise.
public struct EpisodeVisibility: Sendable {
    /// Per episode, its progress (0 at its start, 1 at its end) at the last measurement at least
    /// `AlertBurden.earlyDays` before its end; `nil` when there was none in the episode before then.
    public var progress: [Double?]

    public init(progress: [Double?]) { self.progress = progress }

    /// The progress of `episode` at the last of `readings` taken within it and at least
    /// `AlertBurden.earlyDays` before its end; `nil` if none was.
    public static func progress(of episode: Episode, readings: [SimulatedReading]) -> Double? {
        let deadline = episode.end.addingTimeInterval(-AlertBurden.earlyDays * 86_400)
        let length = episode.end.timeIntervalSince(episode.start)
        guard
            let last = readings.lazy.map(\.measuredAt).filter({ $0 >= episode.start && $0 <= deadline }).max(),
            length > 0
        else { return nil }
        return last.timeIntervalSince(episode.start) / length
    }

    /// Every episode of the cohort.
    public static func measure(simulator: CohortSimulator) -> EpisodeVisibility {
        var progress: [Double?] = []
        for index in 0..<simulator.patients {
            let patient = simulator.patient(index)
            progress += patient.episodes.map { Self.progress(of: $0, readings: patient.readings) }
        }
        return EpisodeVisibility(progress: progress)
    }

    /// The share of episodes measured in time with at least `minimum` of their course behind
    /// them (0: measured at all).
    public func share(grownAtLeast minimum: Double) -> Double {
        guard !progress.isEmpty else { return 0 }
        return Double(progress.filter { ($0 ?? -1) >= minimum }.count) / Double(progress.count)
    }
}
