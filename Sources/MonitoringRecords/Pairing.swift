import Foundation

/// A device given to a patient for a period.
public struct Pairing: Sendable, Hashable, Codable {
    public var id: Int64
    public var serial: String
    public var patientID: String
    /// From this instant on, the device's readings belong to `patientID`.
    public var validFrom: Date
    /// Until this instant (exclusive); `nil` while the device is still with the patient.
    public var validTo: Date?

    public init(id: Int64, serial: String, patientID: String, validFrom: Date, validTo: Date? = nil) {
        self.id = id
        self.serial = serial
        self.patientID = patientID
        self.validFrom = validFrom
        self.validTo = validTo
    }
}

/// A registered device with its pairings, newest first.
public struct Device: Sendable, Hashable, Codable {
    public var serial: String
    public var registeredAt: Date
    public var pairings: [Pairing]

    public init(serial: String, registeredAt: Date, pairings: [Pairing]) {
        self.serial = serial
        self.registeredAt = registeredAt
        self.pairings = pairings
    }
}

extension StoreError {
    /// Pairing `serial` over a time when it is paired with `clash`'s patient: unpair first.
    public static func pairingClash(_ operation: String, serial: String, with clash: Pairing) -> StoreError {
        StoreError(
            operation,
            "the device is paired with patient \(clash.patientID) from \(clash.validFrom.formatted(.iso8601))"
                + (clash.validTo.map { " until \($0.formatted(.iso8601))" } ?? "")
                + "; unpair it first (tele-ingest devices unpair --serial \(serial) --at …) or pair from a later time",
            code: .conflict)
    }
}
