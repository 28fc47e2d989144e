import Foundation
import GRDB
import MonitoringRecords

extension MonitoringStore {
    /// Pairs a device with a patient from `from` on, registering the device if it is new.
    /// Refuses when the device is paired to someone over that time: unpair it first, so a
    /// returned device can never put readings on the previous patient.
    @discardableResult
    public func pair(serial: DeviceSerial, patientID: PatientID, from: Date? = nil) throws -> Pairing {
        let from = (from ?? clock.now()).wholeMilliseconds
        let operation = "pairing device \(serial) with patient \(patientID)"
        return try database.write { db in
            try requireMonitoredPatient(
                patientID, operation: operation, unknown: "no patient with this id (tele-ingest patients add)", db: db)
            let start = from.millisecondsSince1970
            if let clash = try Row.fetchOne(
                db,
                sql:
                    "SELECT * FROM pairing WHERE serial = ? AND (valid_to IS NULL OR valid_to > ?) ORDER BY valid_from LIMIT 1",
                arguments: [serial, start])
            {
                throw StoreError.pairingClash(operation, serial: serial, with: Pairing(row: clash))
            }
            try db.execute(
                sql: "INSERT INTO device (serial, registered_at) VALUES (?, ?) ON CONFLICT (serial) DO NOTHING",
                arguments: [serial, clock.now().millisecondsSince1970])
            try db.execute(
                sql: "INSERT INTO pairing (serial, patient_id, valid_from) VALUES (?, ?, ?)",
                arguments: [serial, patientID, start])
            return Pairing(
                id: db.lastInsertedRowID, serial: serial, patientID: patientID, validFrom: from, validTo: nil)
        }
    }

    /// Ends the device's open pairing at `at`; readings measured from then on are not the
    /// previous patient's.
    @discardableResult
    public func unpair(serial: DeviceSerial, at: Date? = nil) throws -> Pairing {
        let at = (at ?? clock.now()).wholeMilliseconds
        let operation = "unpairing device \(serial)"
        return try database.write { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT * FROM pairing WHERE serial = ? AND valid_to IS NULL", arguments: [serial])
            else {
                throw StoreError(operation, "the device is not paired now", code: .conflict)
            }
            var pairing = Pairing(row: row)
            guard at > pairing.validFrom else {
                throw StoreError(
                    operation, "the pairing started \(pairing.validFrom.formatted(.iso8601)); unpair at a later time")
            }
            if let later = try Row.fetchOne(
                db,
                sql:
                    "SELECT count(*), max(measured_at) FROM reading WHERE serial = ? AND patient_id = ? AND measured_at >= ?",
                arguments: [serial, pairing.patientID, at.millisecondsSince1970]), (later[0] as Int) > 0
            {
                throw StoreError.readingsAfterUnpairing(
                    operation, count: later[0], patientID: pairing.patientID,
                    last: Date(millisecondsSince1970: later[1]))
            }
            try db.execute(
                sql: "UPDATE pairing SET valid_to = ? WHERE id = ?", arguments: [at.millisecondsSince1970, pairing.id])
            pairing.validTo = at
            return pairing
        }
    }

    public func backdatePairing(serial: DeviceSerial, from: Date, account: String) throws -> (
        pairing: Pairing, waiting: Int
    ) {
        let from = from.wholeMilliseconds
        let operation = "back-dating the pairing of device \(serial)"
        return try database.write { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM pairing WHERE serial = ? ORDER BY valid_from DESC LIMIT 2", arguments: [serial])
            guard let newest = rows.first.map(Pairing.init(row:)) else {
                throw StoreError(operation, "the device has never been paired", code: .notFound)
            }
            let previous = rows.dropFirst().first.map(Pairing.init(row:))
            try newest.checkBackdating(
                to: from, previousEnd: previous?.validTo, previousPatient: previous?.patientID, operation: operation)
            try db.execute(
                sql: "UPDATE pairing SET valid_from = ? WHERE id = ?",
                arguments: [from.millisecondsSince1970, newest.id])
            var moved = newest
            moved.validFrom = from
            try db.execute(
                sql:
                    "INSERT INTO audit_log (at, user, role, action, patient_id, detail) VALUES (?, ?, 'operator', ?, ?, ?)",
                arguments: [
                    clock.now().millisecondsSince1970, account, AuditEntry.Action.pairingBackdated.rawValue,
                    newest.patientID, moved.backdatingDetail(from: newest.validFrom),
                ])
            let waiting =
                try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM quarantine WHERE serial = ? AND resolved_at IS NULL",
                    arguments: [serial])
                ?? 0
            return (moved, waiting)
        }
    }

    /// Every registered device with its pairings.
    public func devices() throws -> [Device] {
        try database.read { db in
            let pairings = try Row.fetchAll(db, sql: "SELECT * FROM pairing ORDER BY serial, valid_from DESC").map(
                Pairing.init(row:))
            let grouped = Dictionary(grouping: pairings, by: \.serial)
            return try Row.fetchAll(db, sql: "SELECT * FROM device ORDER BY serial").map { row in
                let serial: DeviceSerial = row["serial"]
                return Device(
                    serial: serial, registeredAt: Date(millisecondsSince1970: row["registered_at"]),
                    pairings: grouped[serial] ?? [])
            }
        }
    }
}

extension Pairing {
    init(row: Row) {
        let validTo: Int64? = row["valid_to"]
        self.init(
            id: row["id"], serial: row["serial"], patientID: row["patient_id"],
            validFrom: Date(millisecondsSince1970: row["valid_from"]),
            validTo: validTo.map(Date.init(millisecondsSince1970:)))
    }
}
