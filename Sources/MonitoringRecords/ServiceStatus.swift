import Foundation

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

    public init(status: ServiceStatus, stale: Bool, inboxBacklog: Int) {
        self.status = status
        self.stale = stale
        self.inboxBacklog = inboxBacklog
    }

    /// `status` judged at `now`: stale when it claims to run and is silent for three of the
    /// services' `heartbeat` intervals; its inbox not counted yet.
    public init(_ status: ServiceStatus, now: Date, heartbeat: TimeInterval) {
        self.init(
            status: status, stale: status.running && now.timeIntervalSince(status.updatedAt) > 3 * heartbeat,
            inboxBacklog: 0)
    }

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

    public init(workers: [WorkerReport], journalBacklog: Int, lastMessageAt: Date?, quarantine: [String: Int]) {
        self.workers = workers
        self.journalBacklog = journalBacklog
        self.lastMessageAt = lastMessageAt
        self.quarantine = quarantine
    }

    /// At least one worker runs, and every worker that claims to run is connected, heard from
    /// and keeping up. A worker stopped cleanly does not count against it; one that died does.
    public var healthy: Bool {
        let running = workers.filter { $0.status.running }
        return !running.isEmpty && running.allSatisfy(\.healthy)
    }
}
