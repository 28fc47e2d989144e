import Foundation
import MonitoringRecords

/// A device's pairing with a patient, as attribution sees it: who, in which time zone, when.
public struct PairingSpan: Sendable, Hashable {
    public var patientID: PatientID
    /// The patient's time zone: local measurement times are read in it.
    public var zone: TimeZone
    /// Milliseconds since 1970, as the store keeps them.
    public var validFrom: Int64
    /// `nil` while the pairing is open.
    public var validTo: Int64?

    public init(patientID: PatientID, zone: TimeZone, validFrom: Int64, validTo: Int64?) {
        self.patientID = patientID
        self.zone = zone
        self.validFrom = validFrom
        self.validTo = validTo
    }

    /// Whether the device was with this patient at `instant`.
    public func covers(_ instant: Date) -> Bool {
        let at = instant.millisecondsSince1970
        return validFrom <= at && (validTo.map { $0 > at } ?? true)
    }
}

/// What the store knows about the devices of one batch: which serials are registered and their
/// pairings. Read in one or two statements before the batch is decided.
public struct DeviceKnowledge: Sendable {
    public var registered: Set<DeviceSerial>
    public var pairings: [DeviceSerial: [PairingSpan]]

    public init(registered: Set<DeviceSerial> = [], pairings: [DeviceSerial: [PairingSpan]] = [:]) {
        self.registered = registered
        self.pairings = pairings
    }

    /// The pairing of `serial` valid at `instant`; pairings of one device never overlap.
    public func pairing(of serial: DeviceSerial, at instant: Date) -> PairingSpan? {
        pairings[serial]?.first { $0.covers(instant) }
    }
}
