import Foundation
import MonitoringRecords
import Vitals

/// What a device profile read out of one message, before units, ranges and patients.
public struct DecodedMessage: Sendable, Hashable {
    /// The profile that recognised the message.
    public var profileID: String
    /// The device serial, from the topic or the payload (they agree, or the message was refused).
    public var serial: DeviceSerial
    /// The device's own message id, when the profile has one.
    public var messageID: String?
    /// The values found, in the units the device used.
    public var measurements: [DecodedMeasurement]
}

/// One value as the device reported it.
public struct DecodedMeasurement: Sendable, Hashable {
    public var kind: ReadingKind
    /// The value and unit exactly as sent.
    public var original: Quantity
    /// When it was measured; a local time still needs the patient's time zone.
    public var time: MeasurementTime
}

/// A measurement time as the device gave it.
public enum MeasurementTime: Sendable, Hashable {
    /// A definite instant (offset, `Z`, or epoch).
    case instant(Date)
    /// A wall-clock time without offset, to be read in the patient's time zone.
    case local(Timestamp)

    /// The instant in `zone` (used only for local times).
    public func date(in zone: TimeZone) -> Date? {
        switch self {
        case .instant(let date): date
        case .local(let timestamp): timestamp.date(in: zone)
        }
    }
}
