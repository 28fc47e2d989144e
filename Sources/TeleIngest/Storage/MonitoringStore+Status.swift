import Foundation
import GRDB
import MonitoringRecords

/// What the running service last said about itself.
public struct ServiceStatus: Sendable, Codable, Equatable {
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
        pid: Int32, startedAt: Date, updatedAt: Date, broker: String, connection: String, connected: Bool,
        connectionSince: Date, running: Bool, fallingBehind: Bool
    ) {
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

/// Everything `tele-ingest status` shows, read at one moment.
public struct ServiceReport: Sendable, Codable, Equatable {
    /// The service's last heartbeat; `nil` if no service has ever run on this database.
    public var service: ServiceStatus?
    /// The heartbeat is older than three intervals while the service claims to run: it died.
    public var stale: Bool
    public var journalBacklog: Int
    /// When the last message from the broker was journaled.
    public var lastMessageAt: Date?
    /// Open quarantine entries by reason code.
    public var quarantine: [String: Int]

    /// Running, connected, heard from recently and keeping up.
    public var healthy: Bool {
        guard let service else { return false }
        return service.running && !stale && service.connected && !service.fallingBehind
    }
}

extension MonitoringStore {
    /// Writes the service's heartbeat.
    public func recordServiceStatus(_ status: ServiceStatus) throws {
        try database.write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO service_status
                        (id, pid, started_at, updated_at, broker, connection, connected, connection_since, running, falling_behind)
                    VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    status.pid, status.startedAt.millisecondsSince1970, status.updatedAt.millisecondsSince1970,
                    status.broker, status.connection, status.connected, status.connectionSince.millisecondsSince1970,
                    status.running, status.fallingBehind,
                ])
        }
    }

    /// The service's status with the journal backlog, the last message and the quarantine.
    /// `heartbeat`: the service's interval; a running service silent for three of them is stale.
    public func serviceReport(now: Date? = nil, heartbeat: TimeInterval = 5) throws -> ServiceReport {
        let now = now ?? clock.now()
        var report = try journalReport(now: now, heartbeat: heartbeat)
        // Messages the service received and has not moved into the journal yet.
        report.journalBacklog += try MessageInbox.count(storePath: path, after: inboxMovedThrough())
        return report
    }

    private func journalReport(now: Date, heartbeat: TimeInterval) throws -> ServiceReport {
        try database.read { db in
            let service = try Row.fetchOne(db, sql: "SELECT * FROM service_status WHERE id = 1").map { row in
                ServiceStatus(
                    pid: row["pid"], startedAt: Date(millisecondsSince1970: row["started_at"]),
                    updatedAt: Date(millisecondsSince1970: row["updated_at"]), broker: row["broker"],
                    connection: row["connection"], connected: row["connected"],
                    connectionSince: Date(millisecondsSince1970: row["connection_since"]), running: row["running"],
                    fallingBehind: row["falling_behind"])
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
            let stale = service.map { $0.running && now.timeIntervalSince($0.updatedAt) > 3 * heartbeat } ?? false
            return ServiceReport(
                service: service, stale: stale, journalBacklog: backlog,
                lastMessageAt: last.map(Date.init(millisecondsSince1970:)), quarantine: quarantine)
        }
    }
}
