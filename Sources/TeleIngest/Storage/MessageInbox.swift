import Foundation
import GRDB
import MonitoringRecords
import ReadingIntake
import ServiceConfiguration

/// Where the MQTT callback commits each message before its PUBACK: a small SQLite file of its
/// own beside the store, one per ingest worker (`<database>.inbox` for worker `main`,
/// `<database>.inbox-<worker>` for the others), so that commit never waits for the store's writer.
///
/// With the journal in the store, every message's commit waited while a batch was decoded,
/// stored and run through the rules, and the network thread with it: intake and processing
/// took turns on one write lock (docs/PERFORMANCE.md). Now the callback appends here; the
/// service moves what arrived into the journal in batches (`MonitoringStore.moveFromInbox`),
/// recording in the same store transaction how far it has moved, and deletes moved messages from
/// the inbox afterwards. A crash between the two leaves messages here that the store already
/// has; they are never moved twice because the store's mark (per worker) says they were moved.
public final class MessageInbox: Sendable {
    /// The inbox file.
    public let path: String
    /// The worker whose inbox this is; the store keeps its mark under this name.
    public let worker: WorkerName
    private let queue: DatabaseQueue

    /// The inbox file of `worker` beside the store at `storePath`.
    public static func path(forStore storePath: String, worker: WorkerName = .main) -> String {
        worker == .main ? storePath + ".inbox" : storePath + ".inbox-" + worker.text
    }

    /// Opens (creating if needed) `worker`'s inbox beside the store at `storePath`, in WAL
    /// mode, with the store's durability; readable by its owner only, like the store.
    public init(
        storePath: String, worker: WorkerName = .main, durability: Durability = .normal, busyTimeout: TimeInterval = 5
    ) throws {
        path = Self.path(forStore: storePath, worker: worker)
        self.worker = worker
        try MonitoringStore.restrictAccess(path: path)
        queue = try DatabaseQueue(
            path: path,
            configuration: MonitoringStore.connectionConfiguration(
                label: "tele-ingest inbox", durability: durability, busyTimeout: busyTimeout,
                cacheKiB: MonitoringStore.sideConnectionCacheKiB))
        // Outside a transaction: inside one SQLite keeps rollback journaling.
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try Schema.createInbox(db)
        }
    }

    /// Commits one message (autocommit, cached statement); returns its id. The one write on the
    /// broker's delivery path.
    @discardableResult
    public func append(topic: String, payload: Data, receivedAt: Date) throws -> Int64 {
        try queue.writeWithoutTransaction { db in
            try db.cachedStatement(sql: "INSERT INTO message (topic, payload, received_at) VALUES (?, ?, ?)")
                .execute(arguments: [topic, payload, receivedAt.millisecondsSince1970])
            return db.lastInsertedRowID
        }
    }

    /// The oldest messages after id `after`, up to `limit`.
    public func messages(after: Int64, limit: Int) throws -> [(
        id: Int64, topic: String, payload: Data, receivedAt: Int64
    )] {
        try queue.read { db in
            var messages: [(id: Int64, topic: String, payload: Data, receivedAt: Int64)] = []
            let rows = try Row.fetchCursor(
                db.cachedStatement(
                    sql: "SELECT id, topic, payload, received_at FROM message WHERE id > ? ORDER BY id LIMIT ?"),
                arguments: [after, limit])
            while let row = try rows.next() { messages.append((row[0], row[1], row[2], row[3])) }
            return messages
        }
    }

    /// Deletes the messages up to id `through` (moved into the journal already).
    public func trim(through id: Int64) throws {
        try queue.write { db in
            try db.cachedStatement(sql: "DELETE FROM message WHERE id <= ?").execute(arguments: [id])
        }
    }

    /// How many messages after id `after` wait to be moved.
    public func count(after: Int64) throws -> Int {
        try queue.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM message WHERE id > ?", arguments: [after]) ?? 0
        }
    }

    /// How many messages after id `after` wait in `worker`'s inbox beside the store at
    /// `storePath`, read through a read-only connection of its own (for `tele-ingest status`,
    /// beside a running service); 0 when there is no inbox.
    public static func count(storePath: String, worker: WorkerName, after: Int64) throws -> Int {
        let path = Self.path(forStore: storePath, worker: worker)
        guard FileManager.default.fileExists(atPath: path) else { return 0 }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        return try DatabaseQueue(path: path, configuration: configuration).read { db in
            guard try db.tableExists("message") else { return 0 }
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM message WHERE id > ?", arguments: [after]) ?? 0
        }
    }

    /// The newest id ever given (it stops moving when messages stop arriving), 0 for none.
    public func highWater() throws -> Int64 {
        try queue.read { db in
            try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'message'") ?? 0
        }
    }
}

extension MonitoringStore {
    /// The id of the last message of `worker`'s inbox moved into the journal.
    public func inboxMovedThrough(worker: WorkerName = .main) throws -> Int64 {
        try database.read { db in try Self.movedThrough(worker: worker, db: db) }
    }

    static func movedThrough(worker: WorkerName, db: Database) throws -> Int64 {
        try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT moved_through FROM inbox_progress WHERE worker = ?"),
            arguments: [worker.text]) ?? 0
    }

    /// Moves up to `limit` messages from `inbox` into the journal, oldest first, in one store
    /// transaction that also records how far it has moved (under the inbox's worker); then
    /// deletes them from the inbox. Returns how many it moved.
    @discardableResult
    public func moveFromInbox(_ inbox: MessageInbox, limit: Int) throws -> Int {
        let moved: (count: Int, through: Int64)? = try database.write { db in
            let from = try Self.movedThrough(worker: inbox.worker, db: db)
            let messages = try inbox.messages(after: from, limit: limit)
            guard let last = messages.last else { return nil }
            let insert = try db.cachedStatement(
                sql: "INSERT INTO journal (source, topic, payload, received_at) VALUES (?, ?, ?, ?)")
            for message in messages {
                try insert.execute(arguments: [
                    MessageSource.mqtt.rawValue, message.topic, message.payload, message.receivedAt,
                ])
            }
            try db.execute(
                sql: """
                    INSERT INTO inbox_progress (worker, moved_through) VALUES (?, ?)
                    ON CONFLICT (worker) DO UPDATE SET moved_through = excluded.moved_through
                    """,
                arguments: [inbox.worker.text, last.id])
            return (messages.count, last.id)
        }
        guard let moved else { return 0 }
        // After the store's commit: a crash before this leaves copies that the mark skips.
        try inbox.trim(through: moved.through)
        return moved.count
    }
}

extension ServiceReport {
    /// Adds what each worker's inbox beside `storePath` holds after its mark in `marks` (moved
    /// into the journal already) to the worker and to the journal backlog. A worker whose inbox
    /// is not on this machine counts 0.
    public mutating func countInboxes(storePath: String, marks: [WorkerName: Int64]) throws {
        for index in workers.indices {
            let worker = workers[index].status.worker
            let waiting = try MessageInbox.count(storePath: storePath, worker: worker, after: marks[worker] ?? 0)
            workers[index].inboxBacklog = waiting
            journalBacklog += waiting
        }
    }
}
