import Foundation
import Vitals

/// One device model's declarative description: how to recognise its messages and where in them
/// the serial, message id, time, values and units are. Loaded from a YAML file in
/// `device-profiles/`; see `docs/DEVICE-PROFILES.md` for the format.
public struct DeviceProfile: Sendable {
    /// Stable id, unique across the profile folder (stored with every reading).
    public var id: String
    /// Human name of the device model.
    public var name: String
    /// The file the profile came from.
    public var file: String
    /// Which topics the device publishes to; `{serial}` captures the serial.
    public var topic: TopicPattern
    /// Payload fields that must hold these values for the profile to apply.
    public var payloadConditions: [PayloadCondition]
    /// Where the serial is in the payload, if it is there.
    public var serialField: FieldPath?
    /// Where the device's own message id is, if it sends one (the idempotency key).
    public var messageIDField: FieldPath?
    /// Where the measurement time is for the whole message.
    public var time: TimeSource?
    /// How to read the values.
    public var content: Content
    /// Plausible range per kind, in canonical units; outside it a reading is quarantined.
    public var plausible: [ReadingKind: ClosedRange<Double>]
    /// Example messages with the readings they must give; run by `profiles check` and the tests.
    public var samples: [Sample]

    /// A payload field that must equal a value.
    public struct PayloadCondition: Sendable {
        public var field: FieldPath
        public var equals: String
    }

    /// Where a timestamp is and how it is written.
    public struct TimeSource: Sendable {
        public var field: FieldPath
        public var format: TimestampFormat
    }

    /// The two ways a profile says where values are.
    public enum Content: Sendable {
        /// Named fields, one per measurement (`sys`, `dia`, `pulse`).
        case fields([FieldMeasurement])
        /// A list of coded observations (IEEE 11073-20601 style, MDC codes).
        case observations(ObservationList)
    }

    /// A measurement read from a named field.
    public struct FieldMeasurement: Sendable {
        public var kind: ReadingKind
        public var value: FieldPath
        public var unit: UnitSource
        /// When `true` a message may lack this field; at least one measurement must be present.
        public var optional: Bool
    }

    /// Where a measurement's unit comes from.
    public enum UnitSource: Sendable {
        /// The device always reports in this unit.
        case fixed(MeasurementUnit)
        /// The payload names the unit; `names` maps device spellings, else standard spellings apply.
        case field(FieldPath, names: [String: MeasurementUnit])
    }

    /// A list of coded observations.
    public struct ObservationList: Sendable {
        public var list: FieldPath
        public var code: FieldPath
        public var value: FieldPath
        public var unit: FieldPath
        public var time: FieldPath?
        public var timeFormat: TimestampFormat
        public var components: FieldPath?
        /// Partition added to 16-bit term codes of observations (MDC SCADA = 2).
        public var codePartition: Int?
        /// Partition added to 16-bit unit codes (MDC DIM = 4).
        public var unitPartition: Int?
        public var kinds: [Int: ReadingKind]
        public var units: [Int: MeasurementUnit]
        /// Codes the product does not store (mean arterial pressure); skipped on purpose.
        public var ignore: Set<Int>
    }

    /// An example message and what it must turn into.
    public struct Sample: Sendable {
        public var name: String
        public var topic: String
        public var payload: String
        public var expect: [ExpectedReading]
        public var expectRejection: QuarantineReason?
    }

    /// One reading a sample must produce, canonical value and UTC time.
    public struct ExpectedReading: Sendable {
        public var kind: ReadingKind
        public var value: Double
        public var measuredAt: Date
    }
}

/// How a device writes its timestamps.
public enum TimestampFormat: String, Sendable, CaseIterable {
    /// ISO 8601 with a UTC offset or `Z`: `2026-11-20T07:12:03+01:00`.
    case iso8601
    /// Seconds since 1970-01-01 UTC.
    case epochSeconds
    /// Milliseconds since 1970-01-01 UTC.
    case epochMilliseconds
    /// Wall-clock time without offset, `2026-11-20 07:12:03`, read in the patient's time zone.
    case localTime
}
