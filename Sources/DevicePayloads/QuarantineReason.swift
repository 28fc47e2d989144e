import MonitoringRecords

/// Why a message went to quarantine instead of becoming readings. The raw value is the code
/// stored in the database and shown in `tele-ingest quarantine`.
public enum QuarantineReason: String, Sendable, CaseIterable, Codable {
    /// The payload is larger than `ingest.maxPayloadBytes`.
    case oversized
    /// The payload is not JSON (or not UTF-8).
    case malformedJSON = "malformed_json"
    /// No device profile recognises the topic and payload.
    case unknownFormat = "unknown_format"
    /// A field the profile needs is absent.
    case missingField = "missing_field"
    /// A field holds the wrong JSON type (a string where a number belongs).
    case wrongType = "wrong_type"
    /// A value is not a finite number.
    case notANumber = "not_a_number"
    /// A unit is missing, unknown, or cannot express the measurement (weight in mmHg).
    case wrongUnit = "wrong_unit"
    /// A value outside the profile's plausible range (negative weight, 700 kg).
    case implausibleValue = "implausible_value"
    /// A timestamp that cannot be read.
    case badTimestamp = "bad_timestamp"
    /// Measured more than the allowed tolerance after the message was received.
    case futureTimestamp = "future_timestamp"
    /// A timestamp before 2010: the device clock was never set.
    case clockNotSet = "clock_not_set"
    /// The serial in the payload is not the serial in the topic.
    case serialMismatch = "serial_mismatch"
    /// No device with this serial is registered.
    case unknownDevice = "unknown_device"
    /// The device is registered but was not paired to a patient at the measurement time.
    case unpairedDevice = "unpaired_device"
    /// A reading with the same key is stored with a different value.
    case conflictingReading = "conflicting_reading"
    /// A message with no measurement the product stores.
    case noMeasurements = "no_measurements"

    /// What an operator or nurse should do about it, in a sentence.
    public var advice: String {
        switch self {
        case .unknownDevice:
            "Register the device and pair it (tele-ingest devices pair), then run tele-ingest reprocess."
        case .unpairedDevice:
            "Pair the device for that time (tele-ingest devices pair --from, or devices backdate when its pairing began later), then run tele-ingest reprocess."
        case .unknownFormat: "Add or fix a device profile for this topic, then run tele-ingest reprocess."
        case .futureTimestamp, .clockNotSet: "Check the device clock; the reading cannot be placed in time."
        case .serialMismatch: "A device published under another device's topic; check the gateway configuration."
        case .conflictingReading: "Two different values claim the same device, kind and time; check the device."
        default: "Check the device or its profile; the raw message is kept here."
        }
    }
}

/// A message the pipeline refused, with a reason a person can read.
public struct Rejection: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: QuarantineReason
    /// One sentence with the numbers: "weight 700.0 kg is outside the plausible 20–350 kg".
    public var message: String
    /// The serial, when it could be read.
    public var serial: DeviceSerial?
    /// The profile that matched, if one did.
    public var profileID: String?

    public init(_ reason: QuarantineReason, _ message: String, serial: DeviceSerial? = nil, profileID: String? = nil) {
        self.reason = reason
        self.message = message
        self.serial = serial
        self.profileID = profileID
    }

    public var description: String { "\(reason.rawValue): \(message)" }

    /// The message without what the input held, for output that may end up in a log (a
    /// terminal captured by cron, a CI job): quoted values become `'…'` and CPR-shaped numbers
    /// are masked. The full message stays in the quarantine, where access is audited.
    public var messageWithoutValues: String {
        message.replacing(#/'[^']*'/#, with: "'…'")
            .replacing(#/\b(\d{6})-?\d{4}\b/#) { match in "\(match.output.1)-****" }
    }
}
