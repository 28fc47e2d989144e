import DevicePayloads
import Foundation
import GRDB
import MonitoringRecords
import ReadingIntake
import StoreInterface
import ThresholdRules
import Vitals

/// The SQLite side of a batch's intake (`ReadingIntake`): the set-based reads a batch is decided
/// on, and the write-back of the decisions. Runs inside the caller's write transaction.
extension MonitoringStore {
    /// The journal entries among `ids` that no one has processed yet (another process, an import
    /// or a second worker, may have taken some since they were read).
    func stillPending(_ ids: [Int64], db: Database) throws -> Set<Int64> {
        Set(
            try Int64.fetchAll(
                db.cachedStatement(
                    sql:
                        "SELECT id FROM journal WHERE id IN (SELECT value FROM json_each(?)) AND processed_at IS NULL"),
                arguments: [IDList.text(ids)]))
    }

    /// Which of `serials` are registered, and every pairing they have had.
    func deviceKnowledge(serials: Set<DeviceSerial>, db: Database, defaultZone: TimeZone) throws -> DeviceKnowledge {
        guard !serials.isEmpty else { return DeviceKnowledge() }
        let list = JSONArgument.text(serials.sorted().map(\.rawValue))
        var knowledge = DeviceKnowledge(
            registered: Set(
                try DeviceSerial.fetchAll(
                    db.cachedStatement(
                        sql: "SELECT serial FROM device WHERE serial IN (SELECT value FROM json_each(?))"),
                    arguments: [list])))
        var zones: [String: TimeZone] = [:]
        let rows = try Row.fetchCursor(
            db.cachedStatement(
                sql: """
                    SELECT pairing.serial, pairing.patient_id, patient.time_zone, pairing.valid_from, pairing.valid_to
                    FROM pairing JOIN patient ON patient.id = pairing.patient_id
                    WHERE pairing.serial IN (SELECT value FROM json_each(?))
                    """),
            arguments: [list])
        while let row = try rows.next() {
            let zoneName: String = row[2]
            let zone = zones[zoneName] ?? TimeZone.named(zoneName, otherwise: defaultZone)
            zones[zoneName] = zone
            knowledge.pairings[row[0], default: []].append(
                PairingSpan(patientID: row[1], zone: zone, validFrom: row[3], validTo: row[4]))
        }
        return knowledge
    }

    /// What the store holds under each of `keys` that it holds at all.
    func keptReadings(_ keys: Set<ReadingKey>, db: Database) throws -> [ReadingKey: KeptReading] {
        var byMessage: [[JSONArgument.Element]] = []
        var byTime: [[JSONArgument.Element]] = []
        for key in keys {
            switch key {
            case .message(let serial, let messageID, let kind):
                byMessage.append([.text(serial.rawValue), .text(messageID), .text(kind.rawValue)])
            case .time(let serial, let kind, let measuredAt):
                byTime.append([.text(serial.rawValue), .text(kind.rawValue), .integer(measuredAt)])
            }
        }
        var kept: [ReadingKey: KeptReading] = [:]
        if !byMessage.isEmpty {
            let rows = try Row.fetchCursor(
                db.cachedStatement(
                    sql: """
                        SELECT r.serial, r.message_id, r.kind, r.patient_id, r.value, r.measured_at
                        FROM json_each(?) AS k JOIN reading AS r
                          ON r.serial = k.value ->> 0 AND r.message_id = k.value ->> 1 AND r.kind = k.value ->> 2
                        """),
                arguments: [JSONArgument.text(byMessage)])
            while let row = try rows.next() {
                guard let kind = ReadingKind(rawValue: row[2]) else { continue }
                kept[.message(serial: row[0], messageID: row[1], kind: kind)] = KeptReading(
                    patientID: row[3], value: row[4], measuredAt: row[5])
            }
        }
        if !byTime.isEmpty {
            let rows = try Row.fetchCursor(
                db.cachedStatement(
                    sql: """
                        SELECT r.serial, r.kind, r.measured_at, r.patient_id, r.value
                        FROM json_each(?) AS k JOIN reading AS r
                          ON r.serial = k.value ->> 0 AND r.kind = k.value ->> 1 AND r.measured_at = k.value ->> 2
                         AND r.message_id IS NULL
                        """),
                arguments: [JSONArgument.text(byTime)])
            while let row = try rows.next() {
                guard let kind = ReadingKind(rawValue: row[1]) else { continue }
                kept[.time(serial: row[0], kind: kind, measuredAt: row[2])] = KeptReading(
                    patientID: row[3], value: row[4], measuredAt: row[2])
            }
        }
        return kept
    }

    /// The statements `record` runs for every message, looked up once per chunk: GRDB finds a
    /// cached statement by hashing its SQL, and the latest value's upsert is long.
    struct IntakeStatements {
        let insertReading: Statement
        let markProcessed: Statement
        /// A message taken straight from the inbox: its journal entry written once, with its outcome.
        let insertProcessed: Statement

        init(db: Database) throws {
            insertReading = try db.cachedStatement(
                sql: """
                    INSERT INTO reading (patient_id, serial, kind, value, unit, original_value, original_unit, measured_at,
                                         received_at, journal_id, message_id, profile_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            markProcessed = try db.cachedStatement(sql: "UPDATE journal SET processed_at = ?, outcome = ? WHERE id = ?")
            insertProcessed = try db.cachedStatement(
                sql: """
                    INSERT INTO journal (id, source, topic, payload, received_at, processed_at, outcome)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """)
        }
    }

    /// Writes back one decision: its new readings, its quarantine entry (new, updated, or
    /// resolved when `quarantineRow` is stored now), and the journal entry's outcome. The new
    /// readings join `latest`, which the caller writes once for the batch. `newEntry`: the
    /// message is not in the journal yet (taken straight from the inbox); its entry is inserted
    /// here, before the rows that refer to it, with its outcome. The new readings join `recent`
    /// too, for the patients it keeps.
    func record(
        _ decision: IntakeDecision, quarantineRow: Int64?, now: Int64, statements: IntakeStatements,
        latest: inout LatestValueFold, newEntry: Bool = false, recent: RecentReadings? = nil, db: Database
    ) throws -> MessageResult {
        if newEntry {
            let entry = decision.entry
            try StatementBindings.execute(statements.insertProcessed, in: db) {
                $0.bind(entry.id)
                $0.bind(entry.source.rawValue)
                $0.bind(entry.topic)
                $0.bind(entry.payload)
                $0.bind(entry.receivedAt.millisecondsSince1970)
                $0.bind(now)
                $0.bind(decision.outcome.rawValue)
            }
        }
        var ids: [Int64] = []
        ids.reserveCapacity(decision.newReadings.count)
        if !decision.newReadings.isEmpty, let serial = decision.serial, let profileID = decision.profileID {
            let insert = statements.insertReading
            for placed in decision.newReadings {
                let reading = placed.reading
                try StatementBindings.execute(insert, in: db) {
                    $0.bind(placed.patientID.rawValue)
                    $0.bind(serial.rawValue)
                    $0.bind(reading.kind.rawValue)
                    $0.bind(reading.canonical.value)
                    $0.bind(reading.canonical.unit.rawValue)
                    $0.bind(reading.original.value)
                    $0.bind(reading.original.unit.rawValue)
                    $0.bind(placed.measuredAt)
                    $0.bind(decision.entry.receivedAt.millisecondsSince1970)
                    $0.bind(decision.entry.id)
                    $0.bind(decision.messageID)
                    $0.bind(profileID)
                }
                let id = db.lastInsertedRowID
                ids.append(id)
                latest.add(
                    patientID: placed.patientID, kind: reading.kind.rawValue, readingID: id,
                    measuredAt: placed.measuredAt, value: reading.canonical.value, zone: placed.zone)
                recent?.add(
                    Observation(
                        id: id, kind: reading.kind, value: reading.canonical.value,
                        measuredAt: Date(millisecondsSince1970: placed.measuredAt)),
                    patientID: placed.patientID)
            }
            if latest.isFull { try latest.write(db: db) }
        }
        if let rejection = decision.rejection {
            try quarantine(decision.entry, rejection, existing: quarantineRow, now: now, db: db)
        } else if let quarantineRow {
            try db.execute(
                sql: "UPDATE quarantine SET resolved_at = ?, resolution = ?, attempts = attempts + 1 WHERE id = ?",
                arguments: [now, decision.outcome.rawValue, quarantineRow])
        }
        if !newEntry {
            try StatementBindings.execute(statements.markProcessed, in: db) {
                $0.bind(now)
                $0.bind(decision.outcome.rawValue)
                $0.bind(decision.entry.id)
            }
        }
        return MessageResult(decision, stored: decision.stored(ids: ids))
    }

    private func quarantine(_ entry: JournalEntry, _ rejection: Rejection, existing: Int64?, now: Int64, db: Database)
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
                    rejection.message, rejection.serial, rejection.profileID, now,
                ])
        }
    }
}

/// A set passed to SQLite's `json_each` as one argument: a JSON array of values, or of rows
/// of values. Written directly (`JSONText`): this runs for every batch.
enum JSONArgument {
    /// One value of a row.
    enum Element {
        case text(String)
        case integer(Int64)

        var json: String {
            switch self {
            case .text(let text): JSONText.quoted(text)
            case .integer(let number): String(number)
            }
        }
    }

    /// `["a","b"]`.
    static func text(_ values: [String]) -> String {
        "[" + values.map(JSONText.quoted).joined(separator: ",") + "]"
    }

    /// `[["a",1],["b",2]]`, written straight into one string: a batch passes thousands of rows.
    static func text(_ rows: [[Element]]) -> String {
        var text = "["
        text.reserveCapacity(rows.count * 32)
        for (index, row) in rows.enumerated() {
            text += index == 0 ? "[" : ",["
            for (position, element) in row.enumerated() {
                if position > 0 { text += "," }
                text += element.json
            }
            text += "]"
        }
        return text + "]"
    }
}
