import Foundation
import GRDB
import MonitoringRecords
import Vitals

/// One reading of a history loaded as it is (`MonitoringStore.bulkLoad`), in its kind's
/// canonical unit.
public struct LoadedReading: Sendable, Hashable {
    public var serial: DeviceSerial
    public var kind: ReadingKind
    public var value: Double
    public var measuredAt: Date

    public init(serial: DeviceSerial, kind: ReadingKind, value: Double, measuredAt: Date) {
        self.serial = serial
        self.kind = kind
        self.value = value
        self.measuredAt = measuredAt
    }
}

extension MonitoringStore {
    /// Registers a patient and stores a history of readings in one transaction, without the
    /// pipeline: no decoding, attribution, duplicate check, kept latest values or rules. For
    /// the benches, which need stores of thousands of simulated patient-years in seconds; the
    /// readings point at `journalID`, one journal entry standing for the whole load. Call
    /// `rebuildLatestReadings` afterwards, and run the rules (`RuleEngine.reevaluate`) if the
    /// flags matter. Returns how many readings were stored.
    @discardableResult
    public func bulkLoad(
        patientID: PatientID, name: String, cpr: String? = nil, monitoringStart: Date, readings: [LoadedReading],
        journalID: Int64, profileID: String = "simulated"
    ) throws -> Int {
        try database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO patient (id, name, cpr, time_zone, created_at, monitoring_start)
                    VALUES (?, ?, ?, 'Europe/Copenhagen', ?, ?)
                    """,
                arguments: [
                    patientID, name, cpr, monitoringStart.millisecondsSince1970, monitoringStart.millisecondsSince1970,
                ])
            let insert = try db.makeStatement(
                sql: """
                    INSERT INTO reading (patient_id, serial, kind, value, unit, original_value, original_unit,
                                         measured_at, received_at, journal_id, profile_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for reading in readings {
                let ms = reading.measuredAt.millisecondsSince1970
                let unit = reading.kind.canonicalUnit.rawValue
                try insert.execute(arguments: [
                    patientID, reading.serial, reading.kind.rawValue, reading.value, unit, reading.value, unit, ms, ms,
                    journalID, profileID,
                ])
            }
            return readings.count
        }
    }
}
