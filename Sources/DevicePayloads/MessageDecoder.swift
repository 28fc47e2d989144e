import Foundation
import MonitoringRecords
import Vitals

/// A message turned into readings that only wait for a patient: units converted, ranges
/// checked. Produced outside any database transaction.
public struct PreparedMessage: Sendable, Hashable {
    public var profileID: String
    public var serial: DeviceSerial
    public var messageID: String?
    public var readings: [PreparedReading]
}

/// One reading in canonical units, with what the device sent beside it.
public struct PreparedReading: Sendable, Hashable {
    public var kind: ReadingKind
    /// The value in the kind's canonical unit.
    public var canonical: Quantity
    /// The value and unit as sent.
    public var original: Quantity
    public var time: MeasurementTime
}

/// The pure stages of the pipeline: parse, recognise, decode, normalise, range-check.
/// No I/O, so every stage is testable from a table of payloads.
public struct MessageDecoder: Sendable {
    public var profiles: DeviceProfileSet
    /// Larger payloads are quarantined unread.
    public var maxPayloadBytes: Int

    public init(profiles: DeviceProfileSet, maxPayloadBytes: Int = 64 * 1024) {
        self.profiles = profiles
        self.maxPayloadBytes = maxPayloadBytes
    }

    /// Decodes and normalises one message, or says why it cannot be used.
    public func prepare(topic: String, payload: Data) throws(Rejection) -> PreparedMessage {
        guard payload.count <= maxPayloadBytes else {
            throw Rejection(.oversized, "the payload is \(payload.count) bytes; the limit is \(maxPayloadBytes) bytes")
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(payload)
        } catch {
            throw Rejection(.malformedJSON, "the payload is not valid JSON: \(error)")
        }
        guard let profile = profiles.profile(for: topic, payload: json) else {
            throw Rejection(.unknownFormat, "no device profile recognises topic '\(topic)' with this payload")
        }
        return try normalise(profile.decode(topic: topic, payload: json), profile: profile)
    }

    /// Converts to canonical units and checks the profile's plausible ranges.
    public func normalise(_ message: DecodedMessage, profile: DeviceProfile) throws(Rejection) -> PreparedMessage {
        try Self.normalise(message, plausible: profile.plausible, source: profile.name)
    }

    /// Converts to canonical units and checks plausible ranges, for device messages and
    /// imported rows alike; `source` names where the ranges come from in the message.
    public static func normalise(
        _ message: DecodedMessage, plausible: [ReadingKind: ClosedRange<Double>], source: String?
    ) throws(Rejection) -> PreparedMessage {
        var readings: [PreparedReading] = []
        for measurement in message.measurements {
            guard let canonical = measurement.original.canonical(for: measurement.kind) else {
                throw Rejection(
                    .wrongUnit,
                    "\(measurement.kind.displayName) reported in \(measurement.original.unit.rawValue), which cannot express it (expected a unit like \(measurement.kind.canonicalUnit.rawValue))",
                    serial: message.serial, profileID: message.profileID)
            }
            if let range = plausible[measurement.kind], !range.contains(canonical.value) {
                let limits =
                    "\(Quantity(range.lowerBound, canonical.unit).description)–\(Quantity(range.upperBound, canonical.unit).description)"
                throw Rejection(
                    .implausibleValue,
                    "\(measurement.kind.displayName) \(canonical) is outside the plausible \(limits)\(source.map { " for \($0)" } ?? "")",
                    serial: message.serial, profileID: message.profileID)
            }
            readings.append(
                PreparedReading(
                    kind: measurement.kind, canonical: canonical, original: measurement.original, time: measurement.time
                ))
        }
        return PreparedMessage(
            profileID: message.profileID, serial: message.serial, messageID: message.messageID, readings: readings)
    }
}
