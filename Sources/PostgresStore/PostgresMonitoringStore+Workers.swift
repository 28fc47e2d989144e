import Foundation
import MonitoringRecords
import PostgresNIO
import ReadingIntake

/// What the ingest workers keep on PostgreSQL: each worker's inbox mark (how far its local
/// inbox has been moved into the journal) and its heartbeat.
extension PostgresMonitoringStore {
    /// A message as a worker's inbox holds it.
    public typealias InboxMessage = (id: Int64, topic: String, payload: Data, receivedAt: Int64)

    /// Journals messages from `worker`'s inbox and moves its mark to the last of them, in one
    /// statement (one round trip, atomic); returns how many were journaled. Messages at or below
    /// the mark are left out: after a crash between this commit and the inbox's trim they are
    /// still in the inbox, and are not journaled again.
    @discardableResult
    public func moveFromInbox(_ messages: [InboxMessage], worker: WorkerName) async throws -> Int {
        guard let last = messages.last else { return 0 }
        return try await failing("moving \(messages.count) messages of worker \(worker) into the journal") {
            var moved = 0
            for try await row in try await client.execute(
                InboxMove(
                    worker: worker.text, ids: messages.map(\.id), topics: messages.map(\.topic),
                    payloads: messages.map { ByteBuffer(bytes: $0.payload) }, receivedAt: messages.map(\.receivedAt),
                    last: last.id), logger: logger)
            {
                moved = try row.decode(Int.self)
            }
            return moved
        }
    }

    /// The id of the last message of `worker`'s inbox that is in the journal; 0 if none.
    public func inboxMovedThrough(worker: WorkerName) async throws -> Int64 {
        Int64(
            try await number(
                "SELECT coalesce(max(moved_through), 0) FROM inbox_progress WHERE worker = \(worker.text)",
                "reading the inbox mark of worker \(worker)"))
    }

    /// Every worker's inbox mark.
    public func inboxMarks() async throws -> [WorkerName: Int64] {
        try await failing("reading the inbox marks") {
            var marks: [WorkerName: Int64] = [:]
            for try await (name, mark) in try await client.query(
                "SELECT worker, moved_through FROM inbox_progress", logger: logger
            ).decode((String, Int64).self) {
                if let worker = WorkerName(name) { marks[worker] = mark }
            }
            return marks
        }
    }

    /// Writes a worker's heartbeat (its row, under its name).
    public func recordServiceStatus(_ status: ServiceStatus) async throws {
        let times = (
            started: status.startedAt.millisecondsSince1970, updated: status.updatedAt.millisecondsSince1970,
            since: status.connectionSince.millisecondsSince1970
        )
        try await failing("recording the status of worker \(status.worker)") {
            try await client.query(
                """
                INSERT INTO worker_status (worker, client_id, host, pid, started_at, updated_at, broker, connection,
                                           connected, connection_since, running, falling_behind)
                VALUES (\(status.worker.text), \(status.clientID), \(status.host), \(status.pid),
                        instant(\(times.started)), instant(\(times.updated)), \(status.broker), \(status.connection),
                        \(status.connected), instant(\(times.since)), \(status.running), \(status.fallingBehind))
                ON CONFLICT (worker) DO UPDATE SET
                    client_id = excluded.client_id, host = excluded.host, pid = excluded.pid,
                    started_at = excluded.started_at, updated_at = excluded.updated_at, broker = excluded.broker,
                    connection = excluded.connection, connected = excluded.connected,
                    connection_since = excluded.connection_since, running = excluded.running,
                    falling_behind = excluded.falling_behind
                """, logger: logger)
        }
    }

    /// Every worker's status (or `only` that worker's), by name, judged at `now` (stale: silent
    /// for three `heartbeat` intervals while it claims to run); inboxes are not counted (they are
    /// on the workers' machines).
    public func workerReports(only: WorkerName? = nil, now: Date? = nil, heartbeat: TimeInterval = 5) async throws
        -> [WorkerReport]
    {
        let now = now ?? clock.now()
        return try await failing("reading the workers' status") {
            var reports: [WorkerReport] = []
            for try await (
                name, clientID, host, pid, started, updated, broker, state, connected, since, running, behind
            )
                in try await client.query(
                    """
                    SELECT worker, client_id, host, pid, epoch_ms(started_at), epoch_ms(updated_at), broker, connection,
                           connected, epoch_ms(connection_since), running, falling_behind
                    FROM worker_status WHERE \(only?.text)::text IS NULL OR worker = \(only?.text) ORDER BY worker
                    """, logger: logger
                ).decode((String, String, String, Int32, Int64, Int64, String, String, Bool, Int64, Bool, Bool).self)
            {
                guard let worker = WorkerName(name) else { continue }
                let status = ServiceStatus(
                    worker: worker, clientID: clientID, host: host, pid: pid,
                    startedAt: Date(millisecondsSince1970: started), updatedAt: Date(millisecondsSince1970: updated),
                    broker: broker, connection: state, connected: connected,
                    connectionSince: Date(millisecondsSince1970: since), running: running, fallingBehind: behind)
                reports.append(WorkerReport(status, now: now, heartbeat: heartbeat))
            }
            return reports
        }
    }

    /// Every worker's status, the journal backlog, the last message from the broker and the
    /// waiting quarantine by reason (`tele-ingest status`).
    public func serviceReport(now: Date? = nil, heartbeat: TimeInterval = 5) async throws -> ServiceReport {
        let workers = try await workerReports(now: now, heartbeat: heartbeat)
        let backlog = try await journalBacklog()
        let last = try await failing("reading the last message's arrival") {
            var last: Int64?
            for try await value in try await client.query(
                "SELECT epoch_ms(max(received_at)) FROM journal WHERE source = 'mqtt'", logger: logger
            ).decode(Int64?.self) {
                last = value
            }
            return last
        }
        let quarantine = try await counts(
            "SELECT reason, count(*) FROM quarantine WHERE resolved_at IS NULL GROUP BY reason",
            "counting the quarantine")
        return ServiceReport(
            workers: workers, journalBacklog: backlog, lastMessageAt: last.map(Date.init(millisecondsSince1970:)),
            quarantine: quarantine)
    }

    /// Removes a retired worker's status and inbox mark, in one transaction.
    public func forget(worker: WorkerName) async throws {
        try await failing("removing worker \(worker)") {
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("DELETE FROM worker_status WHERE worker = \(worker.text)", logger: logger)
                try await connection.query("DELETE FROM inbox_progress WHERE worker = \(worker.text)", logger: logger)
            }
        }
    }
}

/// A worker's inbox messages after its mark journaled, and the mark moved to the last of them,
/// returning how many were journaled (`moveFromInbox`).
private struct InboxMove: BatchStatement {
    static let name = "tele_ingest_inbox_move"
    static let sql = Self(worker: "", ids: [], topics: [], payloads: [], receivedAt: [], last: 0).query.sql
    let query: PostgresQuery

    init(worker: String, ids: [Int64], topics: [String], payloads: [ByteBuffer], receivedAt: [Int64], last: Int64) {
        query = """
            WITH mark AS (
                SELECT coalesce(max(moved_through), 0) AS through FROM inbox_progress WHERE worker = \(worker)
            ), moved AS (
                INSERT INTO journal (source, topic, payload, received_at)
                SELECT 'mqtt', m.topic, m.payload, instant(m.received_at)
                FROM unnest(\(ids)::bigint[], \(topics)::text[], \(payloads)::bytea[], \(receivedAt)::bigint[])
                    WITH ORDINALITY AS m (id, topic, payload, received_at, n), mark
                WHERE m.id > mark.through
                ORDER BY m.n
                RETURNING id
            ), progress AS (
                INSERT INTO inbox_progress (worker, moved_through) VALUES (\(worker), \(last))
                ON CONFLICT (worker) DO UPDATE
                    SET moved_through = greatest(inbox_progress.moved_through, excluded.moved_through)
            )
            SELECT count(*) FROM moved
            """
    }
}
