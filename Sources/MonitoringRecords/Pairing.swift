import Foundation

/// A device given to a patient for a period.
public struct Pairing: Sendable, Hashable, Codable {
    public var id: Int64
    public var serial: DeviceSerial
    public var patientID: PatientID
    /// From this instant on, the device's readings belong to `patientID`.
    public var validFrom: Date
    /// Until this instant (exclusive); `nil` while the device is still with the patient.
    public var validTo: Date?

    public init(id: Int64, serial: DeviceSerial, patientID: PatientID, validFrom: Date, validTo: Date? = nil) {
        self.id = id
        self.serial = serial
        self.patientID = patientID
        self.validFrom = validFrom
        self.validTo = validTo
    }
}

/// A registered device with its pairings, newest first.
public struct Device: Sendable, Hashable, Codable {
    public var serial: DeviceSerial
    public var registeredAt: Date
    public var pairings: [Pairing]

    public init(serial: DeviceSerial, registeredAt: Date, pairings: [Pairing]) {
        self.serial = serial
        self.registeredAt = registeredAt
        self.pairings = pairings
    }
}

extension Pairing {
    /// Checks a back-dated start for the device's newest pairing: earlier than now, and not
    /// before the device's previous pairing ended (`previousEnd`).
    public func checkBackdating(to start: Date, previousEnd: Date?, previousPatient: PatientID?, operation: String)
        throws
    {
        guard start < validFrom else {
            throw StoreError(
                operation,
                "back-dating moves the start earlier than \(validFrom.formatted(.iso8601)); to end the pairing use devices unpair --at"
            )
        }
        if let previousEnd, previousEnd > start {
            throw StoreError(
                operation,
                "the device was with patient \(previousPatient ?? "?") until \(previousEnd.formatted(.iso8601)); back-date to that time at the earliest",
                code: .conflict)
        }
    }

    /// The audit entry's detail of a back-dating.
    public func backdatingDetail(from old: Date) -> String {
        "pairing \(id) of \(serial): start moved from \(old.formatted(.iso8601)) to \(validFrom.formatted(.iso8601))"
    }
}

extension StoreError {
    /// Unpairing at `at` would leave `count` readings measured since then on the patient.
    public static func readingsAfterUnpairing(_ operation: String, count: Int, patientID: PatientID, last: Date)
        -> StoreError
    {
        StoreError(
            operation,
            "\(count) reading\(count == 1 ? "" : "s") from this device measured since then \(count == 1 ? "is" : "are") stored on patient \(patientID) (the last at \(last.formatted(.iso8601))); unpair after that, or correct them first",
            code: .conflict)
    }

    /// Pairing `serial` over a time when it is paired with `clash`'s patient: unpair first.
    public static func pairingClash(_ operation: String, serial: DeviceSerial, with clash: Pairing) -> StoreError {
        StoreError(
            operation,
            "the device is paired with patient \(clash.patientID) from \(clash.validFrom.formatted(.iso8601))"
                + (clash.validTo.map { " until \($0.formatted(.iso8601))" } ?? "")
                + "; unpair it first (tele-ingest devices unpair --serial \(serial) --at …) or pair from a later time",
            code: .conflict)
    }
}
