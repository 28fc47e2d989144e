import Foundation
import GRDB
import MonitoringRecords

/// What one ingest worker (a `tele-ingest run` process) last said about itself.
public struct ServiceStatus: Sendable, Codable, Equatable {
    /// The worker's name on this store (`main` for a single service).
    public var worker: WorkerName
    /// Its MQTT client id; empty for a status written before workers had names.
    public var clientID: String
    /// The machine it runs on; empty for a status written before workers had names.
    public var host: String
    public var pid: Int32
    public var startedAt: Date
    public var updatedAt: Date
    /// `host:port` of the broker.
    public var broker: String
    /// `connected`, `connecting`, `disconnected: <reason>`, `idle`.
    public var connection: String
    public var connected: Bool
    /// Since when the connection has been in that state.
    public var connectionSince: Date
    /// False once the service has stopped cleanly.
    public var running: Bool
    /// The journal backlog was over the service's threshold at the last heartbeat.
    public var fallingBehind: Bool

    public init(
        worker: WorkerName = .main, clientID: String = "", host: String = "", pid: Int32, startedAt: Date,
        updatedAt: Date, broker: String, connection: String, connected: Bool, connectionSince: Date, running: Bool,
        fallingBehind: Bool
    ) {
        self.worker = worker
        self.clientID = clientID
        self.host = host
        self.pid = pid
        self.startedAt = startedAt
        self.updatedAt = updatedAt
        self.broker = broker
        self.connection = connection
        self.connected = connected
        self.connectionSince = connectionSince
        self.running = running
        self.fallingBehind = fallingBehind
    }
}

/// One worker as `tele-ingest status` shows it.
public struct WorkerReport: Sendable, Codable, Equatable {
    public var status: ServiceStatus
    /// Its heartbeat is older than three intervals while it claims to run: it died. (With a
    /// shared subscription the broker keeps queueing its share of the traffic until it is back.)
    public var stale: Bool
    /// Messages in its inbox not moved into the journal yet.
    public var inboxBacklog: Int

    /// Running, connected, heard from recently and keeping up.
    public var healthy: Bool { status.running && !stale && status.connected && !status.fallingBehind }
}

/// Everything `tele-ingest status` shows, read at one moment.
public struct ServiceReport: Sendable, Codable, Equatable {
    /// Every worker that has run on this store, by name; empty if none ever has.
    public var workers: [WorkerReport]
    /// Messages received and not processed yet: the journal's unprocessed entries and every
    /// worker's inbox.
    public var journalBacklog: Int
    /// When the last message from the broker was journaled.
    public var lastMessageAt: Date?
    /// Open quarantine entries by reason code.
    public var quarantine: [String: Int]

    /// At least one worker runs, and every worker that claims to run is connected, heard from
    /// and keeping up. A worker stopped cleanly does not count against it; one that died does.
    public var healthy: Bool {
        let running = workers.filter { $0.status.running }
        return !running.isEmpty && running.allSatisfy(\.healthy)
    }
}

extension MonitoringStore {
    /// Writes a worker's heartbeat (its row, under its name).
    public func recordServiceStatus(_ status: ServiceStatus) throws {
        try database.write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO worker_status
                        (worker, client_id, host, pid, started_at, updated_at, broker, connection, connected,
                         connection_since, running, falling_behind)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    status.worker.text, status.clientID, status.host, status.pid,
                    status.startedAt.millisecondsSince1970, status.updatedAt.millisecondsSince1970,
                    status.broker, status.connection, status.connected, status.connectionSince.millisecondsSince1970,
                    status.running, status.fallingBehind,
                ])
        }
    }

    /// Every worker's status with its inbox, the journal backlog, the last message and the
    /// quarantine. `heartbeat`: the services' interval; a running worker silent for three of
    /// them is stale.
    public func serviceReport(now: Date? = nil, heartbeat: TimeInterval = 5) throws -> ServiceReport {
        let now = now ?? clock.now()
        var report = try journalReport(now: now, heartbeat: heartbeat)
        for index in report.workers.indices {
            let worker = report.workers[index].status.worker
            // Messages the worker received and has not moved into the journal yet.
            let waiting = try MessageInbox.count(
                storePath: path, worker: worker, after: inboxMovedThrough(worker: worker))
            report.workers[index].inboxBacklog = waiting
            report.journalBacklog += waiting
        }
        return report
    }

    /// One worker's status as `status` judges it, read from its row alone (no inbox is opened):
    /// for start-up and retirement, which ask about one name.
    public func workerReport(_ worker: WorkerName, now: Date? = nil, heartbeat: TimeInterval = 5) throws
        -> WorkerReport?
    {
        let now = now ?? clock.now()
        return try database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM worker_status WHERE worker = ?", arguments: [worker.text])
                .flatMap { Self.workerReport(row: $0, now: now, heartbeat: heartbeat) }
        }
    }

    private static func workerReport(row: Row, now: Date, heartbeat: TimeInterval) -> WorkerReport? {
        guard let worker = WorkerName(row["worker"]) else { return nil }
        let status = ServiceStatus(
            worker: worker, clientID: row["client_id"], host: row["host"],
            pid: row["pid"], startedAt: Date(millisecondsSince1970: row["started_at"]),
            updatedAt: Date(millisecondsSince1970: row["updated_at"]), broker: row["broker"],
            connection: row["connection"], connected: row["connected"],
            connectionSince: Date(millisecondsSince1970: row["connection_since"]), running: row["running"],
            fallingBehind: row["falling_behind"])
        let stale = status.running && now.timeIntervalSince(status.updatedAt) > 3 * heartbeat
        return WorkerReport(status: status, stale: stale, inboxBacklog: 0)
    }

    private func journalReport(now: Date, heartbeat: TimeInterval) throws -> ServiceReport {
        try database.read { db in
            let workers = try Row.fetchAll(db, sql: "SELECT * FROM worker_status ORDER BY worker").compactMap {
                Self.workerReport(row: $0, now: now, heartbeat: heartbeat)
            }
            let backlog =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM journal WHERE processed_at IS NULL") ?? 0
            let last = try Int64.fetchOne(db, sql: "SELECT MAX(received_at) FROM journal WHERE source = 'mqtt'")
            var quarantine: [String: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT reason, COUNT(*) FROM quarantine WHERE resolved_at IS NULL GROUP BY reason")
            {
                quarantine[row[0]] = row[1]
            }
            return ServiceReport(
                workers: workers, journalBacklog: backlog,
                lastMessageAt: last.map(Date.init(millisecondsSince1970:)), quarantine: quarantine)
        }
    }
}

extension MonitoringStore {
    /// Removes a retired worker's status and inbox mark (`WorkerRetirement`).
    public func forget(worker: WorkerName) throws {
        try database.write { db in
            try db.execute(sql: "DELETE FROM worker_status WHERE worker = ?", arguments: [worker.text])
            try db.execute(sql: "DELETE FROM inbox_progress WHERE worker = ?", arguments: [worker.text])
        }
    }
}
