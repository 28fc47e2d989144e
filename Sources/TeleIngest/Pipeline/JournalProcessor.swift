import DevicePayloads
import Foundation
import GRDB
import MonitoringRecords
import Vitals

/// Turns journaled messages into readings or quarantine entries, many per transaction.
///
/// Stages per message: prepare (decode, normalise, range check; pure, outside the transaction),
/// then inside one write transaction for the whole batch: attribute (device and pairing valid at
/// the measurement time), clock checks, idempotent insert, and the journal entry marked with its
/// outcome. Each message gets a savepoint, so a message is stored whole or quarantined whole.
public struct JournalProcessor: Sendable {
    public var store: MonitoringStore
    public var decoder: MessageDecoder
    public var importDecoder = ImportRowDecoder()
    /// How far after its arrival a measurement time may lie (device clocks drift).
    public var futureTolerance: TimeInterval
    /// Zone for local times of a device that is not paired yet.
    public var defaultTimeZone: TimeZone
    /// The rules run on every batch's new readings, in the same transaction; `nil`: no rules.
    public var rules: RuleEngine?
    /// "Now" for processing times and the flags the rules open: the store's clock unless a test
    /// or a replay sets another.
    public var clock: WallClock

    /// Before this, a device clock was never set (the product did not exist).
    static let earliestPlausible = Date(timeIntervalSince1970: 1_262_304_000)  // 2010-01-01

    public init(
        store: MonitoringStore, decoder: MessageDecoder, futureTolerance: TimeInterval = 300, defaultTimeZone: TimeZone
    ) {
        self.store = store
        self.decoder = decoder
        self.futureTolerance = futureTolerance
        self.defaultTimeZone = defaultTimeZone
        self.clock = store.clock
    }

    /// What one message became.
    public struct MessageResult: Sendable, Equatable {
        public var journalID: Int64
        public var source: MessageSource
        public var serial: String?
        public var messageID: String?
        public var outcome: JournalOutcome
        /// Readings newly stored from it.
        public var storedReadings: [StoredReading]
        public var rejection: Rejection?
    }

    /// Processes up to `limit` of the oldest unprocessed journal entries (of `source`, or all) in
    /// one transaction.
    /// Returns what each became; an empty list when the journal is caught up.
    public func processPending(limit: Int = 500, source: MessageSource? = nil) throws -> [MessageResult] {
        let entries = try store.pendingJournal(limit: limit, source: source)
        guard !entries.isEmpty else { return [] }
        let prepared = entries.map { entry in (entry, prepare(entry)) }
        return try store.database.write { db in
            var results: [MessageResult] = []
            results.reserveCapacity(prepared.count)
            let now = clock.now().millisecondsSince1970
            for (entry, preparation) in prepared {
                // Another process (an import, a second service) may have taken it meanwhile.
                let pending = try Bool.fetchOne(
                    db.cachedStatement(sql: "SELECT processed_at IS NULL FROM journal WHERE id = ?"),
                    arguments: [entry.id])
                guard pending == true else { continue }
                let result = try settle(entry, preparation, db: db, now: now, quarantineRow: nil)
                results.append(result)
            }
            try evaluateRules(for: results, db: db)
            return results
        }
    }

    /// Runs every waiting quarantine entry through the pipeline again (after a device was paired
    /// or a profile added). Stored ones are marked resolved; the rest keep their row with the new
    /// reason and one more attempt.
    public func reprocessQuarantine(batchSize: Int = 500) throws -> [MessageResult] {
        var results: [MessageResult] = []
        var afterID: Int64 = 0
        while true {
            let rows = try store.database.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT quarantine.id AS qid, journal.id, journal.source, journal.topic, journal.payload, journal.received_at
                        FROM quarantine JOIN journal ON journal.id = quarantine.journal_id
                        WHERE quarantine.resolved_at IS NULL AND quarantine.id > ? ORDER BY quarantine.id LIMIT ?
                        """,
                    arguments: [afterID, batchSize])
            }
            guard let last = rows.last else { return results }
            afterID = last["qid"]
            let prepared = rows.map { row in
                let entry = JournalEntry(row: row)
                return (row["qid"] as Int64, entry, prepare(entry))
            }
            let batch = try store.database.write { db in
                let now = clock.now().millisecondsSince1970
                let settled = try prepared.map { quarantineID, entry, preparation in
                    try settle(entry, preparation, db: db, now: now, quarantineRow: quarantineID)
                }
                try evaluateRules(for: settled, db: db)
                return settled
            }
            results += batch
        }
    }

    /// Runs the rules for every patient who got new readings, from the earliest new measurement
    /// on, so a reading is never visible without its flags.
    private func evaluateRules(for results: [MessageResult], db: Database) throws {
        guard let rules else { return }
        var earliest: [String: Date] = [:]
        for reading in results.flatMap(\.storedReadings) {
            earliest[reading.patientID] = min(earliest[reading.patientID] ?? reading.measuredAt, reading.measuredAt)
        }
        for (patientID, from) in earliest.sorted(by: { $0.key < $1.key }) {
            try rules.evaluate(patientID: patientID, from: from, store: store, db: db, now: clock.now())
        }
    }

    /// The pure stages for one journal entry.
    public func prepare(_ entry: JournalEntry) -> Result<PreparedMessage, Rejection> {
        do throws(Rejection) {
            switch entry.source {
            case .mqtt: return .success(try decoder.prepare(topic: entry.topic, payload: entry.payload))
            case .import: return .success(try importDecoder.prepare(row: entry.payload))
            }
        } catch {
            return .failure(error)
        }
    }

    private func settle(
        _ entry: JournalEntry, _ preparation: Result<PreparedMessage, Rejection>, db: Database, now: Int64,
        quarantineRow: Int64?
    ) throws -> MessageResult {
        var outcome: JournalOutcome
        var stored: [StoredReading] = []
        var rejection: Rejection?
        var serial: String?
        var messageID: String?
        switch preparation {
        case .failure(let refused):
            rejection = refused
            serial = refused.serial
            outcome = .quarantined
        case .success(let message):
            serial = message.serial
            messageID = message.messageID
            do {
                if message.readings.count == 1 {
                    // One reading: a rejection comes before the insert or instead of it, so
                    // there is nothing to undo and no savepoint to pay for.
                    stored = try attributeAndInsert(message, entry: entry, db: db)
                } else {
                    try db.inSavepoint {
                        stored = try attributeAndInsert(message, entry: entry, db: db)
                        return .commit
                    }
                }
                outcome = stored.isEmpty ? .duplicate : .stored
            } catch let refused as Rejection {
                rejection = refused
                outcome = .quarantined
            }
        }
        if let rejection {
            try quarantine(entry, rejection, db: db, now: now, existing: quarantineRow)
        } else if let quarantineRow {
            try db.execute(
                sql: "UPDATE quarantine SET resolved_at = ?, resolution = ?, attempts = attempts + 1 WHERE id = ?",
                arguments: [now, outcome.rawValue, quarantineRow])
        }
        try db.cachedStatement(sql: "UPDATE journal SET processed_at = ?, outcome = ? WHERE id = ?")
            .execute(arguments: [now, outcome.rawValue, entry.id])
        return MessageResult(
            journalID: entry.id, source: entry.source, serial: serial, messageID: messageID, outcome: outcome,
            storedReadings: stored, rejection: rejection)
    }

    private func quarantine(_ entry: JournalEntry, _ rejection: Rejection, db: Database, now: Int64, existing: Int64?)
        throws
    {
        if let existing {
            try db.execute(
                sql:
                    "UPDATE quarantine SET reason = ?, message = ?, serial = ?, profile_id = ?, attempts = attempts + 1 WHERE id = ?",
                arguments: [
                    rejection.reason.rawValue, rejection.message, rejection.serial, rejection.profileID, existing,
                ])
        } else {
            try db.execute(
                sql: """
                    INSERT INTO quarantine (journal_id, source, topic, payload, reason, message, serial, profile_id, quarantined_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    entry.id, entry.source.rawValue, entry.topic, entry.payload, rejection.reason.rawValue,
                    rejection.message,
                    rejection.serial, rejection.profileID, now,
                ])
        }
    }

    /// Attributes every reading of the message, then inserts them. Throws a `Rejection` for the
    /// whole message if any reading cannot be placed; returns the newly stored readings.
    private func attributeAndInsert(_ message: PreparedMessage, entry: JournalEntry, db: Database) throws
        -> [StoredReading]
    {
        let serial = message.serial
        func refuse(_ reason: QuarantineReason, _ text: String) -> Rejection {
            Rejection(reason, text, serial: serial, profileID: message.profileID)
        }
        let registered = try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT 1 FROM device WHERE serial = ?"), arguments: [serial])
        guard registered == true else {
            throw refuse(.unknownDevice, "no device with serial \(serial) is registered")
        }
        var placed: [(reading: PreparedReading, patientID: String, measuredAt: Date, zone: TimeZone)] = []
        for reading in message.readings {
            let (patientID, measuredAt, zone) = try attribute(
                reading.time, serial: serial, receivedAt: entry.receivedAt, db: db, refuse: refuse)
            placed.append((reading, patientID, measuredAt, zone))
        }
        var stored: [StoredReading] = []
        for (reading, patientID, measuredAt, zone) in placed {
            let measured = measuredAt.millisecondsSince1970
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO reading (patient_id, serial, kind, value, unit, original_value, original_unit, measured_at,
                                         received_at, journal_id, message_id, profile_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                    """)
            try insert.execute(arguments: [
                patientID, serial, reading.kind.rawValue, reading.canonical.value, reading.canonical.unit.rawValue,
                reading.original.value, reading.original.unit.rawValue, measured,
                entry.receivedAt.millisecondsSince1970,
                entry.id, message.messageID, message.profileID,
            ])
            guard db.changesCount > 0 else {
                try confirmDuplicate(
                    reading, patientID: patientID, measuredAt: measuredAt, message: message, db: db, refuse: refuse)
                continue
            }
            let id = db.lastInsertedRowID
            try LatestReading.record(
                patientID: patientID, kind: reading.kind.rawValue, readingID: id, measuredAt: measuredAt,
                value: reading.canonical.value, zone: zone, db: db)
            stored.append(
                StoredReading(
                    id: id, patientID: patientID, serial: serial, kind: reading.kind, value: reading.canonical.value,
                    unit: reading.canonical.unit, originalValue: reading.original.value,
                    originalUnit: reading.original.unit,
                    measuredAt: Date(millisecondsSince1970: measured), receivedAt: entry.receivedAt,
                    journalID: entry.id,
                    messageID: message.messageID, profileID: message.profileID))
        }
        return stored
    }

    /// The patient the device was paired with at the measurement time, and that time as an
    /// instant. A local time is read in the zone of the patient paired when it arrived (or the
    /// default zone), then once more in the zone of the patient it lands on, if that differs.
    private func attribute(
        _ time: MeasurementTime, serial: String, receivedAt: Date, db: Database,
        refuse: (QuarantineReason, String) -> Rejection
    ) throws -> (String, Date, TimeZone) {
        var zone = defaultTimeZone
        if case .local = time, let current = try pairing(serial: serial, at: receivedAt, db: db) {
            zone = current.zone
        }
        guard var measuredAt = time.date(in: zone) else {
            throw refuse(.badTimestamp, "the local time does not exist in \(zone.identifier)")
        }
        if measuredAt > receivedAt.addingTimeInterval(futureTolerance) {
            // Measurement times are within the years 1–9999 (decoding refuses others): this fits an Int.
            let ahead = Int(measuredAt.timeIntervalSince(receivedAt).rounded())
            throw refuse(
                .futureTimestamp,
                "measured at \(measuredAt.formatted(.iso8601)), \(ahead) s after it arrived (\(receivedAt.formatted(.iso8601))); at most \(Int(futureTolerance)) s are allowed"
            )
        }
        if measuredAt < Self.earliestPlausible {
            throw refuse(
                .clockNotSet, "measured at \(measuredAt.formatted(.iso8601)), before 2010: the device clock is not set")
        }
        guard var owner = try pairing(serial: serial, at: measuredAt, db: db) else {
            throw refuse(
                .unpairedDevice, "device \(serial) was not paired with any patient at \(measuredAt.formatted(.iso8601))"
            )
        }
        if case .local = time, owner.zone != zone, let again = time.date(in: owner.zone),
            let second = try pairing(serial: serial, at: again, db: db)
        {
            measuredAt = again
            owner = second
        }
        return (owner.patientID, measuredAt, owner.zone)
    }

    private func pairing(serial: String, at instant: Date, db: Database) throws -> (patientID: String, zone: TimeZone)?
    {
        let at = instant.millisecondsSince1970
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT pairing.patient_id, patient.time_zone FROM pairing JOIN patient ON patient.id = pairing.patient_id
                        WHERE pairing.serial = ? AND pairing.valid_from <= ? AND (pairing.valid_to IS NULL OR pairing.valid_to > ?)
                        LIMIT 1
                        """),
                arguments: [serial, at, at])
        else { return nil }
        return (row[0], TimeZone.named(row[1], otherwise: defaultTimeZone))
    }

    /// A reading with the same key exists: a redelivery if it says the same, else a conflict.
    private func confirmDuplicate(
        _ reading: PreparedReading, patientID: String, measuredAt: Date, message: PreparedMessage, db: Database,
        refuse: (QuarantineReason, String) -> Rejection
    ) throws {
        let existing: Row?
        if let messageID = message.messageID {
            existing = try Row.fetchOne(
                db,
                sql:
                    "SELECT value, patient_id, measured_at FROM reading WHERE serial = ? AND message_id = ? AND kind = ?",
                arguments: [message.serial, messageID, reading.kind.rawValue])
        } else {
            existing = try Row.fetchOne(
                db,
                sql:
                    "SELECT value, patient_id, measured_at FROM reading WHERE serial = ? AND kind = ? AND measured_at = ? AND message_id IS NULL",
                arguments: [message.serial, reading.kind.rawValue, measuredAt.millisecondsSince1970])
        }
        guard let existing else { return }
        let value: Double = existing["value"]
        let sameTime = (existing["measured_at"] as Int64) == measuredAt.millisecondsSince1970
        if abs(value - reading.canonical.value) < 1e-9, sameTime, (existing["patient_id"] as String) == patientID {
            return
        }
        throw refuse(
            .conflictingReading,
            "a \(reading.kind.displayName) reading with the same key is stored as \(Quantity(value, reading.canonical.unit)); this message says \(reading.canonical) at \(measuredAt.formatted(.iso8601))"
        )
    }
}
