import DevicePayloads
import Foundation
import MonitoringRecords
import PostgresNIO
import ReadingIntake
import StoreInterface
import Vitals

/// The ingest side on PostgreSQL: the journal, and batches of it turned into readings, latest
/// values and quarantine entries by the same decisions as on SQLite (`ReadingIntake`).
///
/// Several workers may process the journal at once. A batch claims its journal rows with
/// `FOR UPDATE SKIP LOCKED` (no two workers take the same message), chunk by chunk, and for
/// each chunk takes transaction advisory locks on its devices and, once placed, on its
/// patients — always in that order and sorted. Only the first chunk waits for them; a later
/// chunk that finds one taken stops the batch there, so that two batches never wait for each
/// other in a circle. Under the device locks no
/// other batch can store a reading under one of this batch's keys between the look-up and the
/// insert; under the patient locks no other batch changes the patients' latest values (or, with
/// rules, their flags).
extension PostgresMonitoringStore {
    /// Advisory lock namespaces (the first key of `pg_advisory_xact_lock(int, int)`).
    enum LockSpace: Int32 {
        case device = 1
        case patient = 2
    }

    /// Commits raw messages to the journal in one transaction; returns their ids in the
    /// messages' order.
    @discardableResult
    public func journal(_ source: MessageSource, messages: [(topic: String, payload: Data)], receivedAt: Date? = nil)
        async throws -> [Int64]
    {
        guard !messages.isEmpty else { return [] }
        let receivedAt = (receivedAt ?? clock.now()).millisecondsSince1970
        let topics = messages.map(\.topic)
        let payloads = messages.map { ByteBuffer(bytes: $0.payload) }
        return try await failing("journaling \(messages.count) messages") {
            var ids: [Int64] = []
            for try await id in try await client.query(
                """
                INSERT INTO journal (source, topic, payload, received_at)
                SELECT \(source.rawValue), m.topic, m.payload, instant(\(receivedAt))
                FROM unnest(\(topics)::text[], \(payloads)::bytea[]) WITH ORDINALITY AS m (topic, payload, n)
                ORDER BY m.n
                RETURNING id
                """, logger: logger
            ).decode(Int64.self) {
                ids.append(id)
            }
            // Identities are drawn in insertion order, which the ORDER BY sets.
            return ids.sorted()
        }
    }

    /// Processes up to `limit` of the oldest journal entries no worker has processed or claimed,
    /// in one transaction; returns what each became (an empty list when there is nothing to
    /// take).
    /// `source`: only entries from there (`tele-ingest import` processes its own rows).
    public func processPending(
        limit: Int = 500, intake: ReadingIntake, rules: RuleEngine? = nil, source: MessageSource? = nil
    ) async throws -> [MessageResult] {
        try await processBatch(limit: limit, intake: intake, rules: rules, source: source).results
    }

    /// `processPending`, with what the rules did and how long they took.
    ///
    /// The batch is claimed, decoded and decided `chunk` entries at a time, so that what a
    /// message holds while it is being decided is freed with its chunk; the rules then run once
    /// per patient for the whole batch (their histories read `chunk` patients at a time, at most
    /// `ruleGroupSize`) and it commits as one. Only the first chunk waits for the
    /// device and patient locks: a later chunk that finds one held by another batch is left
    /// unclaimed for the next batch (nothing of it written), so that two batches taking locks
    /// chunk by chunk never wait for each other in a circle.
    public func processBatch(
        limit: Int = 500, chunk: Int = ReadingIntake.chunkSize, intake: ReadingIntake, rules: RuleEngine? = nil,
        source: MessageSource? = nil
    ) async throws -> RuleEngine.ProcessedBatch {
        let only = source?.rawValue
        return try await failing("processing the journal") {
            try await client.withTransaction(logger: logger) { connection in
                var results: [MessageResult] = []
                var taken = 0
                var after = Int64.min
                while taken < limit {
                    let wanted = min(chunk, limit - taken)
                    var entries: [JournalEntry] = []
                    for try await row in try await connection.execute(
                        JournalClaim(after: after, source: only, limit: Int64(wanted)), logger: logger)
                    {
                        entries.append(JournalEntry(try row.decode((Int64, String, String, Data, Int64).self)))
                    }
                    guard let last = entries.last?.id else { break }
                    let prepared = entries.map { (entry: $0, preparation: intake.prepare($0)) }
                    guard
                        let settled = try await settle(
                            prepared, quarantineRows: [:], intake: intake, waitForLocks: results.isEmpty,
                            on: connection)
                    else { break }
                    results += settled
                    taken += entries.count
                    after = last
                    if entries.count < wanted { break }
                }
                return try await ruleOutcome(
                    for: results, rules: rules, patientsAtATime: min(chunk, Self.ruleGroupSize), on: connection)
            }
        }
    }

    /// Runs every waiting quarantine entry through the pipeline again (after a device was paired
    /// or a profile added). Stored ones are marked resolved; the rest keep their row with the new
    /// reason and one more attempt.
    public func reprocessQuarantine(batchSize: Int = 500, intake: ReadingIntake, rules: RuleEngine? = nil) async throws
        -> [MessageResult]
    {
        var results: [MessageResult] = []
        var afterID: Int64 = 0
        while true {
            let batch: (results: [MessageResult], last: Int64?) = try await failing("reprocessing the quarantine") {
                try await client.withTransaction(logger: logger) { connection in
                    var quarantineRows: [Int64: Int64] = [:]
                    var prepared: [(entry: JournalEntry, preparation: Result<PreparedMessage, Rejection>)] = []
                    var last: Int64?
                    for try await (row, id, source, topic, payload, receivedAt) in try await connection.query(
                        """
                        SELECT q.id, j.id, j.source, j.topic, j.payload, epoch_ms(j.received_at)
                        FROM quarantine q JOIN journal j ON j.id = q.journal_id
                        WHERE q.resolved_at IS NULL AND q.id > \(afterID)
                        ORDER BY q.id LIMIT \(Int64(batchSize)) FOR UPDATE OF q SKIP LOCKED
                        """, logger: logger
                    ).decode((Int64, Int64, String, String, Data, Int64).self) {
                        let entry = JournalEntry((id, source, topic, payload, receivedAt))
                        quarantineRows[id] = row
                        prepared.append((entry, intake.prepare(entry)))
                        last = row
                    }
                    let settled =
                        try await settle(
                            prepared, quarantineRows: quarantineRows, intake: intake, waitForLocks: true, on: connection
                        )
                        ?? []
                    return (
                        try await ruleOutcome(
                            for: settled, rules: rules, patientsAtATime: Self.ruleGroupSize, on: connection
                        ).results, last
                    )
                }
            }
            results += batch.results
            guard let last = batch.last else { return results }
            afterID = last
        }
    }

    /// Decides a chunk of a batch on what the store holds and writes the decisions back, inside
    /// the caller's transaction. `waitForLocks` false: `nil`, with nothing written, when another
    /// batch holds one of the chunk's device or patient locks.
    private func settle(
        _ prepared: [(entry: JournalEntry, preparation: Result<PreparedMessage, Rejection>)],
        quarantineRows: [Int64: Int64], intake: ReadingIntake, waitForLocks: Bool, on connection: PostgresConnection
    ) async throws -> [MessageResult]? {
        guard !prepared.isEmpty else { return [] }
        let serials = Set(prepared.compactMap { try? $0.preparation.get().serial }).sorted()
        guard
            let devices = try await lockedDeviceKnowledge(
                serials: serials, wait: waitForLocks, defaultZone: intake.defaultTimeZone, on: connection)
        else { return nil }
        let placed = intake.place(prepared, devices: devices)
        let decisions = placed.decide(kept: try await keptReadings(placed.keys, on: connection))
        let newReadings = decisions.flatMap { decision in decision.newReadings.map { (decision, $0) } }
        let stamp = clock.now().millisecondsSince1970
        guard
            let ids = try await insertReadings(
                newReadings, outcomes: decisions, processedAt: stamp, waitForLocks: waitForLocks, on: connection)
        else { return nil }
        try await keepLatestValues(zip(newReadings.map(\.1), ids), on: connection)
        try await writeQuarantine(decisions, rows: quarantineRows, now: stamp, on: connection)
        var next = ids[...]
        return decisions.map { decision in
            let own = next.prefix(decision.newReadings.count)
            next = next.dropFirst(decision.newReadings.count)
            return MessageResult(decision, stored: decision.stored(ids: Array(own)))
        }
    }

    /// Runs the rules (if any) for every patient with new readings in `results`, from the
    /// earliest new measurement on, inside the caller's transaction (`evaluateRules`).
    private func ruleOutcome(
        for results: [MessageResult], rules: RuleEngine?, patientsAtATime: Int, on connection: PostgresConnection
    ) async throws -> RuleEngine.ProcessedBatch {
        var batch = RuleEngine.ProcessedBatch(results: results)
        guard let rules, !results.isEmpty else { return batch }
        let started = ContinuousClock.now
        for outcome in try await evaluateRules(
            results.earliestNewMeasurements, rules: rules, now: clock.now(), patientsAtATime: patientsAtATime,
            on: connection
        ).values {
            batch.rules.add(outcome)
        }
        batch.ruleDuration = ContinuousClock.now - started
        return batch
    }

    /// Takes a transaction advisory lock per name, in a fixed order (names hashed, sorted; the
    /// schema's `take_locks`). `wait` false: takes only what is free and returns whether that was
    /// all of them.
    @discardableResult
    func lock<Name: RawRepresentable<String>>(
        _ space: LockSpace, _ names: [Name], wait: Bool = true, on connection: PostgresConnection
    ) async throws -> Bool {
        guard !names.isEmpty else { return true }
        var all = true
        for try await taken in try await connection.query(
            "SELECT take_locks(\(space.rawValue), \(names.map(\.rawValue))::text[], \(wait))", logger: logger
        ).decode(Bool.self) {
            all = taken
        }
        return all
    }

    /// Takes the device locks of `serials` (as `lock(.device, …)`) and reads which of them are
    /// registered and every pairing they have had, in one statement (one round trip): a first
    /// row saying whether every lock was taken, a row without a patient for each registered
    /// device, a row per pairing. `nil` when `wait` is false and another batch holds one of the
    /// locks. (As one join of the serials with both tables, the planner hashed the whole pairing
    /// and patient tables for a batch's few serials.) The pairings need not be read under the
    /// locks: a pairing is changed under the device's row lock, not these; the duplicate check
    /// that needs them comes in a later statement.
    private func lockedDeviceKnowledge(
        serials: [DeviceSerial], wait: Bool, defaultZone: TimeZone, on connection: PostgresConnection
    ) async throws -> DeviceKnowledge? {
        guard !serials.isEmpty else { return DeviceKnowledge() }
        var knowledge = DeviceKnowledge()
        var zones: [String: TimeZone] = [:]
        var locked = false
        for try await row in try await connection.execute(
            LockedDeviceRead(serials: serials, wait: wait), logger: logger)
        {
            let (taken, serial, patientID, zoneName, from, to) = try row.decode(
                (Bool?, DeviceSerial?, PatientID?, String?, Int64?, Int64?).self)
            if let taken { locked = taken }
            guard let serial else { continue }
            guard let patientID, let zoneName, let from else {
                knowledge.registered.insert(serial)
                continue
            }
            let zone = zones[zoneName] ?? TimeZone.named(zoneName, otherwise: defaultZone)
            zones[zoneName] = zone
            knowledge.pairings[serial, default: []].append(
                PairingSpan(patientID: patientID, zone: zone, validFrom: from, validTo: to))
        }
        return locked ? knowledge : nil
    }

    /// What the store holds under each of `keys` that it holds at all.
    private func keptReadings(_ keys: Set<ReadingKey>, on connection: PostgresConnection) async throws -> [ReadingKey:
        KeptReading]
    {
        var byMessage: (serials: [DeviceSerial], messageIDs: [String], kinds: [String]) = ([], [], [])
        var byTime: (serials: [DeviceSerial], kinds: [String], instants: [Int64]) = ([], [], [])
        for key in keys {
            switch key {
            case .message(let serial, let messageID, let kind):
                byMessage.serials.append(serial)
                byMessage.messageIDs.append(messageID)
                byMessage.kinds.append(kind.rawValue)
            case .time(let serial, let kind, let measuredAt):
                byTime.serials.append(serial)
                byTime.kinds.append(kind.rawValue)
                byTime.instants.append(measuredAt)
            }
        }
        var kept: [ReadingKey: KeptReading] = [:]
        if !byMessage.serials.isEmpty {
            for try await row in try await connection.execute(
                KeptByMessage(serials: byMessage.serials, messageIDs: byMessage.messageIDs, kinds: byMessage.kinds),
                logger: logger)
            {
                let (serial, messageID, kind, patientID, value, measuredAt) = try row.decode(
                    (DeviceSerial, String, String, PatientID, Double, Int64).self)
                guard let kind = ReadingKind(rawValue: kind) else { continue }
                kept[.message(serial: serial, messageID: messageID, kind: kind)] = KeptReading(
                    patientID: patientID, value: value, measuredAt: measuredAt)
            }
        }
        if !byTime.serials.isEmpty {
            for try await row in try await connection.execute(
                KeptByTime(serials: byTime.serials, kinds: byTime.kinds, instants: byTime.instants), logger: logger)
            {
                let (serial, kind, measuredAt, patientID, value) = try row.decode(
                    (DeviceSerial, String, Int64, PatientID, Double).self)
                guard let kind = ReadingKind(rawValue: kind) else { continue }
                kept[.time(serial: serial, kind: kind, measuredAt: measuredAt)] = KeptReading(
                    patientID: patientID, value: value, measuredAt: measuredAt)
            }
        }
        return kept
    }

    /// Takes the locks of the new readings' patients, inserts the readings and marks the chunk's
    /// journal entries processed with their outcomes, in one statement (one round trip); returns
    /// the readings' ids in order. `waitForLocks` false: `nil`, with nothing written, when
    /// another batch holds one of the patient locks. What the locks guard (latest values, flags)
    /// is read in later statements, which see every batch that held them before.
    private func insertReadings(
        _ readings: [(IntakeDecision, PlacedReading)], outcomes decisions: [IntakeDecision], processedAt stamp: Int64,
        waitForLocks: Bool, on connection: PostgresConnection
    ) async throws -> [Int64]? {
        let patients = Set(readings.map(\.1.patientID.rawValue)).sorted()
        var columns = ReadingColumns()
        for (decision, placed) in readings {
            columns.append(decision, placed)
        }
        var ids: [Int64] = []
        for try await row in try await connection.execute(
            ReadingInsert(
                patients: patients, wait: waitForLocks, processedAt: stamp, entries: decisions.map(\.entry.id),
                outcomes: decisions.map(\.outcome.rawValue), columns: columns), logger: logger)
        {
            ids.append(try row.decode(Int64.self))
        }
        // The locks not taken, nothing was written (the journal entries are left for the next batch).
        if !waitForLocks && ids.isEmpty && !readings.isEmpty { return nil }
        guard ids.count == readings.count else {
            throw StoreError(
                "storing readings", "\(readings.count) readings were to be stored and \(ids.count) were",
                code: .unavailable)
        }
        return ids.sorted()
    }

    /// Folds the new readings into their patients' latest values: reads the kept values of the
    /// pairs of patient and kind the batch touches, folds in order, writes each back once.
    private func keepLatestValues(
        _ stored: Zip2Sequence<[PlacedReading], [Int64]>, on connection: PostgresConnection
    ) async throws {
        struct Pair: Hashable {
            var patientID: PatientID
            var kind: String
        }
        let touched = Set(stored.map { Pair(patientID: $0.0.patientID, kind: $0.0.reading.kind.rawValue) })
        guard !touched.isEmpty else { return }
        var values: [Pair: LatestValue] = [:]
        for (patientID, kind, value) in try await latestValueRows(
            connection.execute(
                LatestValueRead(patientIDs: touched.map(\.patientID.rawValue), kinds: touched.map(\.kind)),
                logger: logger))
        {
            values[Pair(patientID: patientID, kind: kind)] = value
        }
        for (placed, id) in stored {
            let pair = Pair(patientID: placed.patientID, kind: placed.reading.kind.rawValue)
            let value = placed.reading.canonical.value
            if values[pair] == nil {
                values[pair] = LatestValue(
                    readingID: id, measuredAt: placed.measuredAt, value: value, zone: placed.zone)
            } else {
                values[pair]?.record(readingID: id, measuredAt: placed.measuredAt, value: value, zone: placed.zone)
            }
        }
        let rows = values.map { ($0.key, $0.value) }
        for try await _ in try await connection.execute(
            LatestValueWrite(
                patientIDs: rows.map(\.0.patientID), kinds: rows.map(\.0.kind), values: rows.map(\.1)),
            logger: logger)
        {}
    }

    /// New quarantine entries for the batch's rejections; on a reprocess run, the entries it
    /// took get the new reason and one more attempt, or are marked resolved.
    private func writeQuarantine(
        _ decisions: [IntakeDecision], rows: [Int64: Int64], now: Int64, on connection: PostgresConnection
    ) async throws {
        var fresh = QuarantineColumns()
        var again = QuarantineColumns()
        var resolved: (rows: [Int64], outcomes: [String]) = ([], [])
        for decision in decisions {
            let row = rows[decision.entry.id]
            if let rejection = decision.rejection {
                if let row {
                    again.append(decision.entry, rejection, row: row)
                } else {
                    fresh.append(decision.entry, rejection, row: 0)
                }
            } else if let row {
                resolved.rows.append(row)
                resolved.outcomes.append(decision.outcome.rawValue)
            }
        }
        if !fresh.journalIDs.isEmpty {
            try await connection.query(
                """
                INSERT INTO quarantine (journal_id, source, topic, payload, reason, message, serial, profile_id,
                                        quarantined_at)
                SELECT q.journal_id, q.source, q.topic, q.payload, q.reason, q.message,
                       CASE WHEN q.has_serial THEN q.serial END, CASE WHEN q.has_profile THEN q.profile_id END,
                       instant(\(now))
                FROM unnest(\(fresh.journalIDs)::bigint[], \(fresh.sources)::text[], \(fresh.topics)::text[],
                            \(fresh.payloads)::bytea[], \(fresh.reasons)::text[], \(fresh.messages)::text[],
                            \(fresh.hasSerial)::bool[], \(fresh.serials)::text[], \(fresh.hasProfile)::bool[],
                            \(fresh.profileIDs)::text[])
                    WITH ORDINALITY AS q (journal_id, source, topic, payload, reason, message, has_serial, serial,
                                          has_profile, profile_id, n)
                ORDER BY q.n
                """, logger: logger)
        }
        if !again.journalIDs.isEmpty {
            try await connection.query(
                """
                UPDATE quarantine SET reason = q.reason, message = q.message,
                    serial = CASE WHEN q.has_serial THEN q.serial END,
                    profile_id = CASE WHEN q.has_profile THEN q.profile_id END, attempts = attempts + 1
                FROM unnest(\(again.rows)::bigint[], \(again.reasons)::text[], \(again.messages)::text[],
                            \(again.hasSerial)::bool[], \(again.serials)::text[], \(again.hasProfile)::bool[],
                            \(again.profileIDs)::text[])
                    AS q (id, reason, message, has_serial, serial, has_profile, profile_id)
                WHERE quarantine.id = q.id
                """, logger: logger)
        }
        if !resolved.rows.isEmpty {
            try await connection.query(
                """
                UPDATE quarantine SET resolved_at = instant(\(now)), resolution = q.outcome, attempts = attempts + 1
                FROM unnest(\(resolved.rows)::bigint[], \(resolved.outcomes)::text[]) AS q (id, outcome)
                WHERE quarantine.id = q.id
                """, logger: logger)
        }
    }

    // MARK: Reading back

    /// A patient's readings in measured-time order, optionally of one kind and since an instant.
    public func readings(patientID: PatientID, kind: ReadingKind? = nil, since: Date? = nil) async throws
        -> [StoredReading]
    {
        let since = since?.millisecondsSince1970
        return try await failing("reading the readings of patient \(patientID)") {
            try await storedReadings(
                client.query(
                    """
                    SELECT \(unescaped: ReadingColumns.select("reading")) FROM reading
                    WHERE patient_id = \(patientID) AND (\(kind?.rawValue)::text IS NULL OR kind = \(kind?.rawValue))
                      AND (\(since)::bigint IS NULL OR measured_at >= instant(\(since)))
                    ORDER BY measured_at, kind, id
                    """, logger: logger))
        }
    }

    /// Every kept latest value, by patient and kind (what the worklist's trend and adherence
    /// read).
    public func latestValues() async throws -> [PatientID: [ReadingKind: LatestValue]] {
        try await failing("reading the latest values") {
            var values: [PatientID: [ReadingKind: LatestValue]] = [:]
            for (patientID, kind, value) in try await latestValueRows(
                client.query("SELECT \(unescaped: Self.latestValueColumns) FROM latest_reading AS l", logger: logger))
            {
                guard let kind = ReadingKind(rawValue: kind) else { continue }
                values[patientID, default: [:]][kind] = value
            }
            return values
        }
    }

    /// How many readings are stored.
    public func readingCount() async throws -> Int {
        try await number("SELECT count(*) FROM reading", "counting readings")
    }

    /// Quarantine entries, newest first; by default only those still waiting.
    public func quarantine(includeResolved: Bool = false) async throws -> [QuarantineEntry] {
        try await failing("reading the quarantine") {
            var entries: [QuarantineEntry] = []
            for try await (
                id, journalID, source, topic, payload, reason, message, serial, profileID, at, attempts, resolved
            )
                in try await client.query(
                    """
                    SELECT id, journal_id, source, topic, payload, reason, message, serial, profile_id,
                           epoch_ms(quarantined_at), attempts, epoch_ms(resolved_at)
                    FROM quarantine WHERE \(includeResolved) OR resolved_at IS NULL ORDER BY id DESC
                    """, logger: logger
                ).decode(
                    (Int64, Int64, String, String, Data, String, String, DeviceSerial?, String?, Int64, Int, Int64?)
                        .self)
            {
                entries.append(
                    QuarantineEntry(
                        id: id, journalID: journalID, source: MessageSource(rawValue: source) ?? .mqtt, topic: topic,
                        payload: payload, reason: QuarantineReason(rawValue: reason) ?? .unknownFormat,
                        message: message, serial: serial, profileID: profileID,
                        quarantinedAt: Date(millisecondsSince1970: at), attempts: attempts,
                        resolvedAt: resolved.map(Date.init(millisecondsSince1970:))))
            }
            return entries
        }
    }

    @discardableResult
    public func dismissQuarantine(id: Int64, reason: String, account: String) async throws -> String {
        let operation = "dismissing quarantine entry \(id)"
        let resolution = try QuarantineEntry.dismissal(reason: reason, account: account, operation: operation)
        let now = clock.now().wholeMilliseconds
        return try await failing(operation) {
            try await client.withTransaction(logger: logger) { connection in
                var found = false
                var earlier: String?
                for try await value in try await connection.query(
                    "SELECT resolution FROM quarantine WHERE id = \(id) FOR UPDATE", logger: logger
                ).decode(String?.self) {
                    found = true
                    earlier = value
                }
                guard found else { throw StoreError(operation, "no quarantine entry with this id", code: .notFound) }
                if let earlier { throw StoreError(operation, "resolved already: \(earlier)", code: .conflict) }
                try await connection.query(
                    "UPDATE quarantine SET resolved_at = \(now), resolution = \(resolution) WHERE id = \(id)",
                    logger: logger)
                try await connection.query(
                    """
                    INSERT INTO audit_log (at, "user", role, action, patient_id, detail)
                    VALUES (\(now), \(account), 'operator', \(AuditEntry.Action.quarantineDismissed.rawValue), NULL,
                            \("entry \(id): \(resolution)"))
                    """, logger: logger)
                return resolution
            }
        }
    }

    /// How many journal entries wait to be processed.
    public func journalBacklog() async throws -> Int {
        try await number("SELECT count(*) FROM journal WHERE processed_at IS NULL", "counting the journal backlog")
    }

    /// The outcome counts of processed journal entries.
    public func journalOutcomes() async throws -> [JournalOutcome: Int] {
        var outcomes: [JournalOutcome: Int] = [:]
        for (name, count) in try await counts(
            "SELECT outcome, count(*) FROM journal WHERE outcome IS NOT NULL GROUP BY outcome",
            "counting journal outcomes")
        {
            if let outcome = JournalOutcome(rawValue: name) { outcomes[outcome] = count }
        }
        return outcomes
    }

    /// The columns of `latest_reading AS l` that `latestValueRows` reads.
    static let latestValueColumns = """
        l.patient_id, l.kind, l.reading_id, epoch_ms(l.measured_at), l.value, l.week, l.week_days, l.previous_value,
        epoch_ms(l.previous_at)
        """

    /// Kept latest values with their patient and kind, from rows of `latestValueColumns`.
    private func latestValueRows<Rows: AsyncSequence>(_ rows: Rows) async throws -> [(PatientID, String, LatestValue)]
    where Rows.Element == PostgresRow {
        var values: [(PatientID, String, LatestValue)] = []
        for try await row in rows {
            let (patientID, kind, readingID, measuredAt, value, week, weekDays, previousValue, previousAt) =
                try row.decode((PatientID, String, Int64, Int64, Double, Int, Int, Double?, Int64?).self)
            values.append(
                (
                    patientID, kind,
                    LatestValue(
                        readingID: readingID, measuredAt: measuredAt, value: value, week: week, weekDays: weekDays,
                        previousValue: previousValue, previousAt: previousAt)
                ))
        }
        return values
    }

    func storedReadings(_ rows: PostgresRowSequence) async throws -> [StoredReading] {
        var readings: [StoredReading] = []
        for try await (
            id, patientID, serial, kind, value, unit, originalValue, originalUnit, measuredAt, receivedAt, journalID,
            messageID, profileID
        ) in rows.decode(
            (
                Int64, PatientID, DeviceSerial, String, Double, String, Double, String, Int64, Int64, Int64, String?,
                String
            ).self)
        {
            readings.append(
                StoredReading(
                    id: id, patientID: patientID, serial: serial, kind: ReadingKind(rawValue: kind) ?? .weight,
                    value: value, unit: MeasurementUnit(rawValue: unit) ?? .kilogram, originalValue: originalValue,
                    originalUnit: MeasurementUnit(rawValue: originalUnit) ?? .kilogram,
                    measuredAt: Date(millisecondsSince1970: measuredAt),
                    receivedAt: Date(millisecondsSince1970: receivedAt), journalID: journalID, messageID: messageID,
                    profileID: profileID))
        }
        return readings
    }
}

/// The oldest journal entries after `after` that no batch has processed or holds, locked for
/// this one.
private struct JournalClaim: BatchStatement {
    static let name = "tele_ingest_journal_claim"
    static let sql = Self(after: 0, source: nil, limit: 0).query.sql
    let query: PostgresQuery

    init(after: Int64, source: String?, limit: Int64) {
        query = """
            SELECT id, source, topic, payload, epoch_ms(received_at) FROM journal
            WHERE processed_at IS NULL AND id > \(after)
              AND (\(source)::text IS NULL OR source = \(source))
            ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED
            """
    }
}

/// The device locks of a chunk's serials (`take_locks`), then a row for each of them that is
/// registered and one for each pairing they have had (`lockedDeviceKnowledge`); the serials are
/// distinct.
///
/// Each serial is looked up on its own, an index search per key whatever the statistics say:
/// a lateral subquery with `LIMIT 1` (the keys are unique) or `OFFSET 0` (a serial has had
/// several pairings), which PostgreSQL does not merge into the outer query. Written as
/// `serial = ANY(…)`, the plan kept for this prepared statement scanned the device and pairing
/// tables whole and hashed every patient while they held about a thousand rows, as a site of a
/// thousand patients has: 0.69 ms a batch instead of 0.27 (docs/PERFORMANCE.md).
struct LockedDeviceRead: BatchStatement {
    static let name = "tele_ingest_locked_device_read"
    static let sql = Self(serials: [], wait: false).query.sql
    let query: PostgresQuery

    init(serials: [DeviceSerial], wait: Bool) {
        query = """
            SELECT take_locks(\(PostgresMonitoringStore.LockSpace.device.rawValue), \(serials)::text[], \(wait)),
                   NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::bigint
            UNION ALL
            SELECT NULL, d.serial, NULL, NULL, NULL, NULL
            FROM unnest(\(serials)::text[]) AS k (serial)
            CROSS JOIN LATERAL (SELECT serial FROM device WHERE serial = k.serial LIMIT 1) AS d
            UNION ALL
            SELECT NULL, p.serial, p.patient_id, z.time_zone, epoch_ms(p.valid_from), epoch_ms(p.valid_to)
            FROM unnest(\(serials)::text[]) AS k (serial)
            CROSS JOIN LATERAL (
                SELECT serial, patient_id, valid_from, valid_to FROM pairing WHERE serial = k.serial OFFSET 0) AS p
            CROSS JOIN LATERAL (SELECT time_zone FROM patient WHERE id = p.patient_id LIMIT 1) AS z
            """
    }
}

/// The stored reading under each key of device, message id and kind, where there is one: one
/// index search per key (a lateral subquery, at most one row each: the indexes are unique). As a
/// join, the planner sorted the whole reading table against the keys while the table was small
/// (60,000 readings, not 365,000; scripts/bench-duplicate-check).
private struct KeptByMessage: BatchStatement {
    static let name = "tele_ingest_kept_by_message"
    static let sql = Self(serials: [], messageIDs: [], kinds: []).query.sql
    let query: PostgresQuery

    init(serials: [DeviceSerial], messageIDs: [String], kinds: [String]) {
        query = """
            SELECT k.serial, k.message_id, k.kind, r.patient_id, r.value, epoch_ms(r.measured_at)
            FROM unnest(\(serials)::text[], \(messageIDs)::text[], \(kinds)::text[]) AS k (serial, message_id, kind)
            CROSS JOIN LATERAL (
                SELECT patient_id, value, measured_at FROM reading
                WHERE serial = k.serial AND message_id = k.message_id AND kind = k.kind AND message_id IS NOT NULL
                LIMIT 1) AS r
            """
    }
}

/// The stored reading under each key of device, kind and measured instant (readings without a
/// message id), where there is one; as `KeptByMessage`.
private struct KeptByTime: BatchStatement {
    static let name = "tele_ingest_kept_by_time"
    static let sql = Self(serials: [], kinds: [], instants: []).query.sql
    let query: PostgresQuery

    init(serials: [DeviceSerial], kinds: [String], instants: [Int64]) {
        query = """
            SELECT k.serial, k.kind, k.at, r.patient_id, r.value
            FROM unnest(\(serials)::text[], \(kinds)::text[], \(instants)::bigint[]) AS k (serial, kind, at)
            CROSS JOIN LATERAL (
                SELECT patient_id, value FROM reading
                WHERE serial = k.serial AND kind = k.kind AND measured_at = instant(k.at) AND message_id IS NULL
                LIMIT 1) AS r
            """
    }
}

/// The patient locks (`take_locks`), a chunk's journal entries marked processed with their
/// outcomes and its new readings inserted, returning their ids; nothing written when `wait` is
/// false and a lock is held elsewhere (`insertReadings`).
private struct ReadingInsert: BatchStatement {
    static let name = "tele_ingest_reading_insert"
    static let sql = Self(
        patients: [], wait: false, processedAt: 0, entries: [], outcomes: [], columns: ReadingColumns()
    ).query.sql
    let query: PostgresQuery

    init(
        patients: [String], wait: Bool, processedAt: Int64, entries: [Int64], outcomes: [String],
        columns: ReadingColumns
    ) {
        query = """
            WITH locks AS MATERIALIZED (
                SELECT take_locks(\(PostgresMonitoringStore.LockSpace.patient.rawValue), \(patients)::text[], \(wait)) AS taken
            ), processed AS (
                UPDATE journal SET processed_at = instant(\(processedAt)), outcome = u.outcome
                FROM unnest(\(entries)::bigint[], \(outcomes)::text[])
                    AS u (id, outcome)
                WHERE journal.id = u.id AND (SELECT taken FROM locks)
            )
            INSERT INTO reading (patient_id, serial, kind, value, unit, original_value, original_unit, measured_at,
                                 received_at, journal_id, message_id, profile_id)
            SELECT r.patient_id, r.serial, r.kind, r.value, r.unit, r.original_value, r.original_unit,
                   instant(r.measured_at), instant(r.received_at), r.journal_id,
                   CASE WHEN r.has_message_id THEN r.message_id END, r.profile_id
            FROM unnest(\(columns.patientIDs)::text[], \(columns.serials)::text[], \(columns.kinds)::text[],
                        \(columns.values)::float8[], \(columns.units)::text[], \(columns.originalValues)::float8[],
                        \(columns.originalUnits)::text[], \(columns.measuredAt)::bigint[], \(columns.receivedAt)::bigint[],
                        \(columns.journalIDs)::bigint[], \(columns.hasMessageID)::bool[], \(columns.messageIDs)::text[],
                        \(columns.profileIDs)::text[])
                WITH ORDINALITY AS r (patient_id, serial, kind, value, unit, original_value, original_unit,
                                      measured_at, received_at, journal_id, has_message_id, message_id, profile_id, n)
            WHERE (SELECT taken FROM locks)
            ORDER BY r.n
            RETURNING id
            """
    }
}

/// The kept latest values of pairs of patient and kind.
private struct LatestValueRead: BatchStatement {
    static let name = "tele_ingest_latest_value_read"
    static let sql = Self(patientIDs: [], kinds: []).query.sql
    let query: PostgresQuery

    init(patientIDs: [String], kinds: [String]) {
        query = """
            SELECT \(unescaped: PostgresMonitoringStore.latestValueColumns)
            FROM unnest(\(patientIDs)::text[], \(kinds)::text[]) AS t (patient_id, kind)
            JOIN latest_reading AS l ON l.patient_id = t.patient_id AND l.kind = t.kind
            """
    }
}

/// Latest values written back, one per pair of patient and kind.
private struct LatestValueWrite: BatchStatement {
    static let name = "tele_ingest_latest_value_write"
    static let sql = Self(patientIDs: [], kinds: [], values: []).query.sql
    let query: PostgresQuery

    init(patientIDs: [PatientID], kinds: [String], values: [LatestValue]) {
        query = """
            INSERT INTO latest_reading (patient_id, kind, reading_id, measured_at, value, week, week_days,
                                        previous_value, previous_at)
            SELECT v.patient_id, v.kind, v.reading_id, instant(v.measured_at), v.value, v.week, v.week_days,
                   CASE WHEN v.has_previous THEN v.previous_value END,
                   CASE WHEN v.has_previous THEN instant(v.previous_at) END
            FROM unnest(\(patientIDs)::text[], \(kinds)::text[],
                        \(values.map(\.readingID))::bigint[], \(values.map(\.measuredAt))::bigint[],
                        \(values.map(\.value))::float8[], \(values.map { Int64($0.week) })::bigint[],
                        \(values.map { Int64($0.weekDays) })::bigint[], \(values.map { $0.previousAt != nil })::bool[],
                        \(values.map { $0.previousValue ?? 0 })::float8[], \(values.map { $0.previousAt ?? 0 })::bigint[])
                AS v (patient_id, kind, reading_id, measured_at, value, week, week_days, has_previous,
                      previous_value, previous_at)
            ON CONFLICT (patient_id, kind) DO UPDATE SET
                reading_id = excluded.reading_id, measured_at = excluded.measured_at, value = excluded.value,
                week = excluded.week, week_days = excluded.week_days, previous_value = excluded.previous_value,
                previous_at = excluded.previous_at
            """
    }
}

/// A batch's new readings as one array per column, for `unnest`.
struct ReadingColumns {
    var patientIDs: [PatientID] = []
    var serials: [DeviceSerial] = []
    var kinds: [String] = []
    var values: [Double] = []
    var units: [String] = []
    var originalValues: [Double] = []
    var originalUnits: [String] = []
    var measuredAt: [Int64] = []
    var receivedAt: [Int64] = []
    var journalIDs: [Int64] = []
    var hasMessageID: [Bool] = []
    var messageIDs: [String] = []
    var profileIDs: [String] = []

    /// The columns a `StoredReading` is read from, in its order.
    static func select(_ table: String) -> String {
        [
            "id", "patient_id", "serial", "kind", "value", "unit", "original_value", "original_unit",
        ].map { "\(table).\($0)" }.joined(separator: ", ")
            + ", epoch_ms(\(table).measured_at), epoch_ms(\(table).received_at), \(table).journal_id, "
            + "\(table).message_id, \(table).profile_id"
    }

    mutating func append(_ decision: IntakeDecision, _ placed: PlacedReading) {
        patientIDs.append(placed.patientID)
        serials.append(decision.serial ?? "")
        kinds.append(placed.reading.kind.rawValue)
        values.append(placed.reading.canonical.value)
        units.append(placed.reading.canonical.unit.rawValue)
        originalValues.append(placed.reading.original.value)
        originalUnits.append(placed.reading.original.unit.rawValue)
        measuredAt.append(placed.measuredAt)
        receivedAt.append(decision.entry.receivedAt.millisecondsSince1970)
        journalIDs.append(decision.entry.id)
        hasMessageID.append(decision.messageID != nil)
        messageIDs.append(decision.messageID ?? "")
        profileIDs.append(decision.profileID ?? "")
    }
}

/// Quarantine rows as one array per column, for `unnest`.
private struct QuarantineColumns {
    var rows: [Int64] = []
    var journalIDs: [Int64] = []
    var sources: [String] = []
    var topics: [String] = []
    var payloads: [ByteBuffer] = []
    var reasons: [String] = []
    var messages: [String] = []
    var hasSerial: [Bool] = []
    var serials: [DeviceSerial] = []
    var hasProfile: [Bool] = []
    var profileIDs: [String] = []

    mutating func append(_ entry: JournalEntry, _ rejection: Rejection, row: Int64) {
        rows.append(row)
        journalIDs.append(entry.id)
        sources.append(entry.source.rawValue)
        topics.append(entry.topic)
        payloads.append(ByteBuffer(bytes: entry.payload))
        reasons.append(rejection.reason.rawValue)
        messages.append(rejection.message)
        hasSerial.append(rejection.serial != nil)
        serials.append(rejection.serial ?? "")
        hasProfile.append(rejection.profileID != nil)
        profileIDs.append(rejection.profileID ?? "")
    }
}

extension JournalEntry {
    /// An entry from a row of `id, source, topic, payload, epoch_ms(received_at)`.
    init(_ row: (id: Int64, source: String, topic: String, payload: Data, receivedAt: Int64)) {
        self.init(
            id: row.id, source: MessageSource(rawValue: row.source) ?? .mqtt, topic: row.topic, payload: row.payload,
            receivedAt: Date(millisecondsSince1970: row.receivedAt))
    }
}
