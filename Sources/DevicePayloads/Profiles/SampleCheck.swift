import Foundation
import Vitals

/// Runs every profile's sample payloads through the pure pipeline stages and compares what
/// comes out with what the sample says it must give.
public enum SampleCheck {
    /// Zone for samples with local times: the product's default.
    public static let sampleZone = TimeZone(identifier: "Europe/Copenhagen")!

    /// Descriptions of every sample that does not give what it promises; empty when all do.
    public static func run(_ profiles: DeviceProfileSet, maxPayloadBytes: Int = 64 * 1024) -> [String] {
        let decoder = MessageDecoder(profiles: profiles, maxPayloadBytes: maxPayloadBytes)
        var failures: [String] = []
        for profile in profiles.profiles {
            for sample in profile.samples {
                let place = "\(profile.file): sample '\(sample.name)'"
                do throws(Rejection) {
                    let prepared = try decoder.prepare(topic: sample.topic, payload: Data(sample.payload.utf8))
                    if let expected = sample.expectRejection {
                        failures.append(
                            "\(place): expected rejection \(expected.rawValue), but it gave \(prepared.readings.count) readings"
                        )
                        continue
                    }
                    if prepared.profileID != profile.id {
                        failures.append("\(place): recognised by profile \(prepared.profileID), not \(profile.id)")
                    }
                    let got = prepared.readings.map { reading in
                        (reading.kind, reading.canonical.value, reading.time.date(in: sampleZone))
                    }
                    if got.count != sample.expect.count {
                        failures.append("\(place): expected \(sample.expect.count) readings, got \(got.count)")
                        continue
                    }
                    for (expected, actual) in zip(sample.expect, got) {
                        if expected.kind != actual.0 || abs(expected.value - actual.1) > 0.05
                            || actual.2.map({ abs($0.timeIntervalSince(expected.measuredAt)) > 0.001 }) ?? true
                        {
                            failures.append(
                                "\(place): expected \(expected.kind.rawValue) \(expected.value) at \(expected.measuredAt.formatted(.iso8601)), got \(actual.0.rawValue) \(actual.1) at \(actual.2.map { $0.formatted(.iso8601) } ?? "?")"
                            )
                        }
                    }
                } catch {
                    if sample.expectRejection != error.reason {
                        failures.append(
                            "\(place): \(sample.expectRejection.map { "expected \($0.rawValue), " } ?? "")rejected: \(error)"
                        )
                    }
                }
            }
        }
        return failures
    }
}
