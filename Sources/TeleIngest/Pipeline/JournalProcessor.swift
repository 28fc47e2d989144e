import DevicePayloads
import Foundation
import GRDB
import MonitoringRecords
import ReadingIntake
import Vitals

/// Turns journaled messages into readings or quarantine entries, many per transaction, on the
/// SQLite store.
///
/// Per batch: prepare each message (decode, normalise, range check; pure, outside the
/// transaction), then inside one write transaction read what the batch needs set-based (its
/// devices and their pairings, the readings already under its keys), let `ReadingIntake` decide
/// each message (attribution, clock checks, redelivery or conflict), write the decisions back and
/// run the rules for the patients who got new readings. A message is stored whole or quarantined
/// whole.
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
    /// How many pairs of patient and kind a batch gathers before it writes their latest values
    /// (`LatestValueFold`); fewer only in tests.
    var latestValuePairs = LatestValueFold.pairLimit
    /// The patients' recent readings kept for the rules from one batch to the next (the
    /// service's processor); `nil`: the rules read them from the store in every batch.
    public var recentReadings: RecentReadings?

    public init(
        store: MonitoringStore, decoder: MessageDecoder, futureTolerance: TimeInterval = 300, defaultTimeZone: TimeZone
    ) {
        self.store = store
        self.decoder = decoder
        self.futureTolerance = futureTolerance
        self.defaultTimeZone = defaultTimeZone
        self.clock = store.clock
    }

    /// The backend-independent decisions, with this processor's settings.
    public var intake: ReadingIntake {
        ReadingIntake(
            decoder: decoder, importDecoder: importDecoder, futureTolerance: futureTolerance,
            defaultTimeZone: defaultTimeZone)
    }

    /// Processes up to `limit` of the oldest unprocessed journal entries (of `source`, or all) in
    /// one transaction.
    /// Returns what each became; an empty list when the journal is caught up.
    public func processPending(limit: Int = 500, source: MessageSource? = nil) throws -> [MessageResult] {
        try processBatch(limit: limit, source: source).results
    }

    /// `processPending`, with what the rules did and how long they took.
    ///
    /// The batch is read, decoded and decided `chunk` entries at a time (the first chunk before
    /// the transaction), so that what a message holds while it is being decided is freed with
    /// its chunk; the rules then run once per patient for the whole batch and it commits as one.
    public func processBatch(
        limit: Int = 500, chunk: Int = ReadingIntake.chunkSize, source: MessageSource? = nil
    ) throws -> RuleEngine.ProcessedBatch {
        let firstLimit = min(limit, chunk)
        let entries = try store.pendingJournal(limit: firstLimit, source: source)
        guard let lastFirst = entries.last?.id else { return RuleEngine.ProcessedBatch() }
        let intake = intake
        let ids = entries.map(\.id)
        // A chunk's entries are released once settled: the closure would keep them otherwise.
        var first = entries.map { entry in (entry: entry, preparation: intake.prepare(entry)) }
        return try keepingRecentReadings { db in
            let pending = try store.stillPending(ids, db: db)
            var latest = LatestValueFold(pairLimit: latestValuePairs)
            var results = try settle(
                first.filter { pending.contains($0.entry.id) }, quarantineRows: [:], latest: &latest, db: db)
            first = []
            var taken = ids.count
            var last = lastFirst
            var chunkFilled = ids.count == firstLimit
            while chunkFilled && taken < limit {
                let wanted = min(chunk, limit - taken)
                let entries = try store.pendingJournal(limit: wanted, after: last, source: source, db: db)
                guard let lastEntry = entries.last?.id else { break }
                results += try settle(
                    entries.map { entry in (entry: entry, preparation: intake.prepare(entry)) }, quarantineRows: [:],
                    latest: &latest, db: db)
                taken += entries.count
                last = lastEntry
                chunkFilled = entries.count == wanted
            }
            try latest.write(db: db)
            let started = ContinuousClock.now
            let rules = try evaluateRules(for: results, db: db)
            return RuleEngine.ProcessedBatch(
                results: results, rules: rules, ruleDuration: ContinuousClock.now - started)
        }
    }

    /// Processes up to `limit` messages of `inbox` straight from it, in one transaction: each
    /// message's journal entry is written once, with its outcome, beside its readings or
    /// quarantine entry, and the worker's mark moves with them; then the inbox is trimmed. (Moving
    /// into the journal first and processing there wrote each entry twice and read it back.) A
    /// crash before the trim leaves copies the mark skips. Returns what the messages became.
    public func processInbox(
        _ inbox: MessageInbox, limit: Int, chunk: Int = ReadingIntake.chunkSize
    ) throws -> RuleEngine.ProcessedBatch {
        let intake = intake
        let (batch, through) = try keepingRecentReadings { db -> (RuleEngine.ProcessedBatch, Int64?) in
            let mark = try MonitoringStore.movedThrough(worker: inbox.worker, db: db)
            var nextID = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) + 1 FROM journal") ?? 1
            var latest = LatestValueFold(pairLimit: latestValuePairs)
            var results: [MessageResult] = []
            var through = mark
            while results.count < limit {
                let wanted = min(chunk, limit - results.count)
                let messages = try inbox.messages(after: through, limit: wanted)
                guard let last = messages.last else { break }
                let prepared = messages.map { message in
                    let entry = JournalEntry(
                        id: nextID, source: .mqtt, topic: message.topic, payload: message.payload,
                        receivedAt: Date(millisecondsSince1970: message.receivedAt))
                    nextID += 1
                    return (entry: entry, preparation: intake.prepare(entry))
                }
                results += try settle(prepared, quarantineRows: [:], latest: &latest, newEntries: true, db: db)
                through = last.id
                if messages.count < wanted { break }
            }
            guard through > mark else { return (RuleEngine.ProcessedBatch(), nil) }
            try MonitoringStore.recordMoved(through: through, worker: inbox.worker, db: db)
            try latest.write(db: db)
            let started = ContinuousClock.now
            let rules = try evaluateRules(for: results, db: db)
            return (
                RuleEngine.ProcessedBatch(results: results, rules: rules, ruleDuration: ContinuousClock.now - started),
                through
            )
        }
        // After the store's commit: a crash before this leaves copies that the mark skips.
        if let through { try inbox.trim(through: through) }
        return batch
    }

    /// A write transaction of a batch, with `recentReadings` checked at its start (emptied when
    /// anything else wrote the store), marked at its end, and emptied when it fails.
    private func keepingRecentReadings<T>(_ body: (Database) throws -> T) throws -> T {
        guard let recentReadings else { return try store.database.write(body) }
        do {
            return try store.database.write { db in
                try recentReadings.begin(db)
                let result = try body(db)
                try recentReadings.settle(db)
                return result
            }
        } catch {
            recentReadings.clear()
            throw error
        }
    }

    /// Runs every waiting quarantine entry through the pipeline again (after a device was paired
    /// or a profile added). Stored ones are marked resolved; the rest keep their row with the new
    /// reason and one more attempt.
    public func reprocessQuarantine(batchSize: Int = 500) throws -> [MessageResult] {
        var results: [MessageResult] = []
        var afterID: Int64 = 0
        let intake = intake
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
            var quarantineRows: [Int64: Int64] = [:]
            let prepared = rows.map { row in
                let entry = JournalEntry(row: row)
                quarantineRows[entry.id] = row["qid"]
                return (entry: entry, preparation: intake.prepare(entry))
            }
            results += try store.database.write { db in
                var latest = LatestValueFold(pairLimit: latestValuePairs)
                let settled = try settle(prepared, quarantineRows: quarantineRows, latest: &latest, db: db)
                try latest.write(db: db)
                try evaluateRules(for: settled, db: db)
                return settled
            }
        }
    }

    /// Decides a batch on what the store holds and writes the decisions back.
    /// The batch's new readings join `latest`, written once for the batch. `newEntries`: the
    /// messages come from the inbox and their journal entries are written with their outcomes.
    private func settle(
        _ prepared: [(entry: JournalEntry, preparation: Result<PreparedMessage, Rejection>)],
        quarantineRows: [Int64: Int64], latest: inout LatestValueFold, newEntries: Bool = false, db: Database
    ) throws -> [MessageResult] {
        guard !prepared.isEmpty else { return [] }
        let serials = Set(prepared.compactMap { try? $0.preparation.get().serial })
        let devices = try store.deviceKnowledge(serials: serials, db: db, defaultZone: defaultTimeZone)
        let placed = intake.place(prepared, devices: devices)
        let decisions = placed.decide(kept: try store.keptReadings(placed.keys, db: db))
        let now = clock.now().millisecondsSince1970
        let statements = try MonitoringStore.IntakeStatements(db: db)
        return try decisions.map { decision in
            try store.record(
                decision, quarantineRow: quarantineRows[decision.entry.id], now: now, statements: statements,
                latest: &latest, newEntry: newEntries, recent: recentReadings, db: db)
        }
    }

    /// Runs the rules for every patient who got new readings, from the earliest new measurement
    /// on, so a reading is never visible without its flags.
    @discardableResult
    private func evaluateRules(for results: [MessageResult], db: Database) throws -> RuleEngine.Outcome {
        var outcome = RuleEngine.Outcome()
        guard let rules else { return outcome }
        let earliest = results.earliestNewMeasurements
        for (patientID, from) in earliest.sorted(by: { $0.key < $1.key }) {
            outcome.add(
                try rules.evaluate(
                    patientID: patientID, from: from, store: store, db: db, now: clock.now(), recent: recentReadings))
        }
        return outcome
    }

    /// The pure stages for one journal entry.
    public func prepare(_ entry: JournalEntry) -> Result<PreparedMessage, Rejection> {
        intake.prepare(entry)
    }
}
