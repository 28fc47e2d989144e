import Foundation
import GRDB
import MonitoringRecords

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
        try report.countInboxes(storePath: path, marks: inboxMarks())
        return report
    }

    /// Every worker's inbox mark: the id of the last message moved into the journal.
    public func inboxMarks() throws -> [WorkerName: Int64] {
        try database.read { db in
            var marks: [WorkerName: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT worker, moved_through FROM inbox_progress") {
                if let worker = WorkerName(row[0]) { marks[worker] = row[1] }
            }
            return marks
        }
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
        return WorkerReport(status, now: now, heartbeat: heartbeat)
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
