import Foundation
import GRDB
import MonitoringRecords
import ReadingIntake
import ServiceConfiguration
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Where the MQTT callback puts each message before its PUBACK: a file of its own beside the
/// store, one per ingest worker (`<database>.inbox` for worker `main`, `<database>.inbox-<worker>`
/// for the others), so that receipt never waits for the store's writer.
///
/// The file is an append-only log (`InboxLog`): one `pwrite` per message, whole once it returns,
/// so a killed process has every message it acknowledged; with `Durability.full` each append is
/// also synced to the disk before it returns. On SQLite the service's batches take what arrived
/// straight from here (`JournalProcessor.processInbox`); on PostgreSQL, and when a worker is
/// retired, it is moved into the journal first (`moveFromInbox`). Either way the same store
/// transaction records how far the inbox was taken, and the log is trimmed afterwards. A crash
/// between the two leaves messages here that the store already has; they are never taken twice
/// because the store's mark (per worker) says they were. Ids only grow, also across an emptied log and a restart (`continueAfter`).
///
/// (Until 2026-12 the inbox was a SQLite file: a commit per message was 70 % of the network
/// thread's time, docs/PERFORMANCE.md. Such a file is converted when it is opened.)
public final class MessageInbox: Sendable {
    /// The inbox file.
    public let path: String
    /// The worker whose inbox this is; the store keeps its mark under this name.
    public let worker: WorkerName
    /// Bytes at the end of the file that were not a whole record when it was opened, and were
    /// cut off: the torn end of an append a power loss interrupted (nothing was acknowledged for
    /// it, unless the disk lost writes it had confirmed). 0 normally.
    public let discardedBytes: Int64
    private let durability: Durability
    private let state: Mutex<State>

    /// The log as this process knows it.
    private struct State {
        var file: InboxFileDescriptor
        /// The end of the last whole record: where the next one goes.
        var end: Int64
        /// The newest id given (or trimmed through, when that is newer).
        var lastID: Int64
        /// What the header says was moved and trimmed.
        var trimmedThrough: Int64
        /// Where the first record after `trimmedThrough` starts.
        var liveStart: Int64
        /// Where the record after `id` starts, as the last read or trim found it.
        var cursor: (id: Int64, offset: Int64)?
    }

    /// Dead bytes before the live records at which a trim rewrites the file.
    static let compactionBytes: Int64 = 16 << 20

    /// The inbox file of `worker` beside the store at `storePath`.
    public static func path(forStore storePath: String, worker: WorkerName = .main) -> String {
        worker == .main ? storePath + ".inbox" : storePath + ".inbox-" + worker.text
    }

    /// Opens (creating if needed) `worker`'s inbox beside the store at `storePath`, readable by
    /// its owner only, like the store. A torn end is cut off (`discardedBytes`); an inbox from
    /// before the log (a SQLite file) is converted, ids kept.
    public init(storePath: String, worker: WorkerName = .main, durability: Durability = .normal) throws {
        path = Self.path(forStore: storePath, worker: worker)
        self.worker = worker
        self.durability = durability
        try MonitoringStore.restrictAccess(path: path)
        var descriptor = try Self.open(path)
        if InboxLog.isSQLite(descriptor.value) {
            descriptor = try Self.convertSQLiteInbox(at: path)
        }
        for leftover in [path + "-wal", path + "-shm", path + ".new"] {
            try? FileManager.default.removeItem(atPath: leftover)
        }
        let operation = "opening the inbox \(path)"
        let header = try Self.wrap(operation) { try InboxLog.readHeader(descriptor.value) }
        var trimmedThrough = header.trimmedThrough
        let size = Int64(lseek(descriptor.value, 0, SEEK_END))
        if !header.valid {
            // A new file, or one a crash left before its header was whole. The store's mark
            // (`continueAfter`) keeps the ids growing whatever the header lost.
            guard size < InboxLog.headerSize else {
                throw StoreError(operation, "the file is not a tele-ingest inbox", code: .unavailable)
            }
            trimmedThrough = 0
            try Self.wrap(operation) {
                try InboxLog.write(descriptor.value, InboxLog.header(trimmedThrough: 0), at: 0)
                try Self.sync(descriptor.value)
            }
        }
        var lastID = trimmedThrough
        var liveStart: Int64?
        let stop = try Self.wrap(operation) {
            try InboxLog.scan(
                descriptor.value, from: InboxLog.headerSize, to: max(size, InboxLog.headerSize), decode: false
            ) { record in
                lastID = max(lastID, record.id)
                if liveStart == nil, record.id > trimmedThrough { liveStart = record.offset }
                return true
            }
        }
        var end = max(size, InboxLog.headerSize)
        if case .torn(let offset) = stop {
            end = offset
            try Self.wrap(operation) {
                guard ftruncate(descriptor.value, off_t(offset)) == 0 else { throw InboxFailure.write(errno: errno) }
            }
        }
        discardedBytes = max(size, InboxLog.headerSize) - end
        state = Mutex(
            State(
                file: descriptor, end: end, lastID: lastID, trimmedThrough: trimmedThrough,
                liveStart: liveStart ?? end, cursor: nil))
    }

    /// Puts one message at the end of the log (synced to the disk first with `Durability.full`);
    /// returns its id. The one write on the broker's delivery path.
    @discardableResult
    public func append(topic: String, payload: Data, receivedAt: Date) throws -> Int64 {
        let receivedAt = receivedAt.millisecondsSince1970
        return try state.withLock { state in
            let id = state.lastID + 1
            let record = InboxLog.record(id: id, topic: topic, payload: payload, receivedAt: receivedAt)
            do {
                try InboxLog.write(state.file.value, record, at: state.end)
                if durability == .full { try Self.sync(state.file.value) }
            } catch {
                // Whatever part of the record reached the file is overwritten by the next append.
                _ = ftruncate(state.file.value, off_t(state.end))
                throw StoreError("writing to the inbox \(path)", "\(error)", code: .unavailable)
            }
            state.end += Int64(record.count)
            state.lastID = id
            return id
        }
    }

    /// The oldest messages after id `after`, up to `limit`.
    public func messages(after: Int64, limit: Int) throws -> [(
        id: Int64, topic: String, payload: Data, receivedAt: Int64
    )] {
        let (file, start, end) = state.withLock { state in
            let start = state.cursor.flatMap { $0.id == after ? $0.offset : nil } ?? state.liveStart
            return (state.file, start, state.end)
        }
        var messages: [(id: Int64, topic: String, payload: Data, receivedAt: Int64)] = []
        var next: (id: Int64, offset: Int64)?
        guard limit > 0 else { return [] }
        _ = try Self.wrap("reading the inbox \(path)") {
            try InboxLog.scan(file.value, from: start, to: end, decode: true) { record in
                guard record.id > after else { return true }
                messages.append((record.id, record.topic, record.payload, record.receivedAt))
                next = (record.id, record.end)
                return messages.count < limit
            }
        }
        if let next {
            state.withLock { state in if state.file === file { state.cursor = next } }
        }
        return messages
    }

    /// Drops the messages up to id `through` (moved into the journal already): the header
    /// records it, an emptied log is cut back to its header, and a log whose moved part has grown
    /// past `compactionBytes` is rewritten with the rest.
    public func trim(through id: Int64) throws {
        try state.withLock { state in
            guard id > state.trimmedThrough else { return }
            let operation = "trimming the inbox \(path)"
            if id >= state.lastID {
                // The header first: a log cut back with the old header would give ids again.
                try Self.wrap(operation) {
                    try InboxLog.write(state.file.value, InboxLog.header(trimmedThrough: state.lastID), at: 0)
                    if durability == .full { try Self.sync(state.file.value) }
                    guard ftruncate(state.file.value, off_t(InboxLog.headerSize)) == 0 else {
                        throw InboxFailure.write(errno: errno)
                    }
                }
                state.trimmedThrough = state.lastID
                state.end = InboxLog.headerSize
                state.liveStart = InboxLog.headerSize
                state.cursor = nil
                return
            }
            var liveStart = state.end
            if let cursor = state.cursor, cursor.id == id {
                liveStart = cursor.offset
            } else {
                _ = try Self.wrap(operation) {
                    try InboxLog.scan(state.file.value, from: state.liveStart, to: state.end, decode: false) { record in
                        guard record.id <= id else {
                            liveStart = record.offset
                            return false
                        }
                        return true
                    }
                }
            }
            try Self.wrap(operation) {
                try InboxLog.write(state.file.value, InboxLog.header(trimmedThrough: id), at: 0)
            }
            state.trimmedThrough = id
            state.liveStart = liveStart
            if liveStart - InboxLog.headerSize >= Self.compactionBytes { try compact(&state) }
        }
    }

    /// Rewrites the log with its live records only (under the lock: appends wait for the copy,
    /// which is what arrived during one batch).
    private func compact(_ state: inout State) throws {
        let (file, from, end) = (state.file.value, state.liveStart, state.end)
        state.file = try Self.replace(
            path, trimmedThrough: state.trimmedThrough, durable: durability == .full,
            operation: "compacting the inbox \(path)"
        ) { descriptor in
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            var offset = from
            while offset < end {
                let wanted = Int(min(Int64(buffer.count), end - offset))
                let count = buffer.withUnsafeMutableBytes { pread(file, $0.baseAddress!, wanted, off_t(offset)) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { throw InboxFailure.read(errno: count < 0 ? errno : EIO) }
                try InboxLog.write(descriptor, Array(buffer[0..<count]), at: InboxLog.headerSize + offset - from)
                offset += Int64(count)
            }
        }
        let shift = state.liveStart - InboxLog.headerSize
        state.end -= shift
        state.cursor = state.cursor.map { ($0.id, $0.offset - shift) }
        state.liveStart = InboxLog.headerSize
    }

    /// How many messages after id `after` wait to be moved. The live records' ids run without a
    /// gap from `trimmedThrough` + 1 to `lastID` (each append takes the next id; a trim, a cut
    /// torn end and `continueAfter` keep that true), so this is arithmetic, not a read of the file.
    public func count(after: Int64) -> Int {
        state.withLock { Int(max(0, $0.lastID - max(after, $0.trimmedThrough))) }
    }

    /// The newest id ever given (it stops moving when messages stop arriving), 0 for none.
    public func highWater() -> Int64 {
        state.withLock { $0.lastID }
    }

    /// Makes the ids given from now on larger than `mark`, the store's record of how far this
    /// worker's inbox was moved, and drops what the log holds at or below it. Called at start:
    /// an inbox file lost or cut back with an old header (a power loss between a trim's two
    /// writes) would otherwise give ids the store takes for moved ones.
    public func continueAfter(movedThrough mark: Int64) throws {
        let behind = state.withLock { state in
            guard state.lastID < mark else { return false }
            state.lastID = mark
            return true
        }
        if behind { try trim(through: mark) }
    }

    /// How many messages after id `after` wait in `worker`'s inbox beside the store at
    /// `storePath`, read without opening it for writing (for `tele-ingest status`, beside a
    /// running service: a record being appended at that moment is not counted); 0 when there is
    /// no inbox.
    public static func count(storePath: String, worker: WorkerName, after: Int64) throws -> Int {
        let path = Self.path(forStore: storePath, worker: worker)
        guard FileManager.default.fileExists(atPath: path) else { return 0 }
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw StoreError("reading the inbox \(path)", "\(InboxFailure.open(errno: errno))", code: .unavailable)
        }
        let file = InboxFileDescriptor(descriptor)
        if InboxLog.isSQLite(file.value) { return try countSQLiteInbox(at: path, after: after) }
        let (trimmedThrough, _) = try wrap("reading the inbox \(path)") { try InboxLog.readHeader(file.value) }
        let size = Int64(lseek(file.value, 0, SEEK_END))
        var count = 0
        _ = try wrap("reading the inbox \(path)") {
            try InboxLog.scan(file.value, from: InboxLog.headerSize, to: max(size, InboxLog.headerSize), decode: false)
            {
                if $0.id > max(after, trimmedThrough) { count += 1 }
                return true
            }
        }
        return count
    }

    // MARK: - Files

    private static func open(_ path: String, truncate: Bool = false) throws -> InboxFileDescriptor {
        let descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0o600)
        guard descriptor >= 0 else {
            throw StoreError("opening the inbox \(path)", "\(InboxFailure.open(errno: errno))", code: .unavailable)
        }
        return InboxFileDescriptor(descriptor)
    }

    private static func sync(_ descriptor: Int32) throws {
        guard fdatasync(descriptor) == 0 else { throw InboxFailure.sync(errno: errno) }
    }

    /// Makes a rename in the file's folder durable.
    private static func syncFolder(of path: String) throws {
        let name = (path as NSString).deletingLastPathComponent
        let folder = Glibc.open(name.isEmpty ? "." : name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folder >= 0 else { throw InboxFailure.open(errno: errno) }
        defer { close(folder) }
        guard fsync(folder) == 0 else { throw InboxFailure.sync(errno: errno) }
    }

    /// Puts a new log in the place of the file at `path`: its header with `trimmedThrough`, then
    /// what `fill` writes after it, synced first when `durable`, and renamed over `path` (the one
    /// step that replaces it, so a crash leaves either file whole). Returns the new log, open.
    private static func replace(
        _ path: String, trimmedThrough: Int64, durable: Bool, operation: String, _ fill: (Int32) throws -> Void
    ) throws -> InboxFileDescriptor {
        let temporary = path + ".new"
        let descriptor = try open(temporary, truncate: true)
        try wrap(operation) {
            try InboxLog.write(descriptor.value, InboxLog.header(trimmedThrough: trimmedThrough), at: 0)
            try fill(descriptor.value)
            if durable { try sync(descriptor.value) }
            guard rename(temporary, path) == 0 else { throw InboxFailure.write(errno: errno) }
            if durable { try syncFolder(of: path) }
        }
        return descriptor
    }

    /// Runs `body`; a failed system call becomes a `StoreError` naming `operation`.
    private static func wrap<T>(_ operation: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let failure as InboxFailure {
            throw StoreError(operation, "\(failure)", code: .unavailable)
        }
    }

    // MARK: - The SQLite inbox of earlier versions

    /// Rewrites the SQLite inbox at `path` (its messages, ids kept, and the newest id it gave)
    /// as a log, synced, then put in its place; returns the log, open.
    private static func convertSQLiteInbox(at path: String) throws -> InboxFileDescriptor {
        let operation = "converting the inbox \(path) from SQLite"
        let queue = try DatabaseQueue(path: path)
        let (messages, newest) = try queue.read { db in
            let messages = try Row.fetchAll(db, sql: "SELECT id, topic, payload, received_at FROM message ORDER BY id")
            let newest = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'message'") ?? 0
            return (messages, newest)
        }
        try queue.close()
        let firstID: Int64 = messages.first?["id"] ?? (newest + 1)
        return try replace(path, trimmedThrough: firstID - 1, durable: true, operation: operation) { descriptor in
            var offset = InboxLog.headerSize
            for row in messages {
                let record = InboxLog.record(
                    id: row["id"], topic: row["topic"], payload: row["payload"], receivedAt: row["received_at"])
                try InboxLog.write(descriptor, record, at: offset)
                offset += Int64(record.count)
            }
        }
    }

    /// `count(storePath:worker:after:)` for an inbox not converted yet.
    private static func countSQLiteInbox(at path: String, after: Int64) throws -> Int {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        return try DatabaseQueue(path: path, configuration: configuration).read { db in
            guard try db.tableExists("message") else { return 0 }
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM message WHERE id > ?", arguments: [after]) ?? 0
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

    /// Records that `worker`'s inbox was moved (or processed) through id `through`.
    static func recordMoved(through: Int64, worker: WorkerName, db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO inbox_progress (worker, moved_through) VALUES (?, ?)
                ON CONFLICT (worker) DO UPDATE SET moved_through = excluded.moved_through
                """,
            arguments: [worker.text, through])
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
            try Self.recordMoved(through: last.id, worker: inbox.worker, db: db)
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
