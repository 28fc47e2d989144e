import Foundation
import MonitoringRecords
import Vitals

/// What makes a reading the same reading again: the device's message id where it sends one,
/// else the device, kind and measurement time. The store holds each key once.
public enum ReadingKey: Sendable, Hashable {
    case message(serial: DeviceSerial, messageID: String, kind: ReadingKind)
    case time(serial: DeviceSerial, kind: ReadingKind, measuredAt: Int64)

    public var serial: DeviceSerial {
        switch self {
        case .message(let serial, _, _), .time(let serial, _, _): serial
        }
    }
}

/// What a stored reading under a key says: enough to tell a redelivery from a conflict.
public struct KeptReading: Sendable, Hashable {
    public var patientID: PatientID
    public var value: Double
    /// Milliseconds since 1970.
    public var measuredAt: Int64

    public init(patientID: PatientID, value: Double, measuredAt: Int64) {
        self.patientID = patientID
        self.value = value
        self.measuredAt = measuredAt
    }
}
