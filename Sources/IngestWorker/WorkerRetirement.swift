import BrokerSettings
import Foundation
import Logging
import MQTT
import MonitoringRecords
import ServiceConfiguration
import TeleIngest

/// Takes an ingest worker out of service for good, losing nothing it was given.
///
/// A stopped worker is still a member of its shared subscription: the broker keeps putting its
/// share of the traffic into the worker's persistent session until the session is gone, and
/// messages the worker committed to its inbox wait there until they are moved. Retiring:
/// 1. refuses while the worker runs (its heartbeat is fresh);
/// 2. connects as the worker (its client id, its persistent session), unsubscribes its topic
///    filters so nothing new is added, and commits what the broker had queued for it to its
///    inbox, as the worker would have, until nothing has come for `quietSeconds`;
/// 3. connects once more with a clean session, which makes the broker discard the session;
/// 4. moves the inbox into the journal (the other workers process it), then removes the inbox
///    file and the worker's status and progress rows.
public struct WorkerRetirement: Sendable {
    /// The configuration the worker ran with: its name, client id, broker, topic filters and
    /// shared group.
    public var configuration: IngestConfiguration
    /// How long the broker must stay silent before the queue counts as delivered.
    public var quietSeconds: Double = 2
    /// The heartbeat interval the worker ran with: silent for three of them, it counts as
    /// stopped.
    public var heartbeat: TimeInterval

    public init(configuration: IngestConfiguration) {
        self.configuration = configuration
        self.heartbeat = configuration.statusIntervalSeconds
    }

    /// What retiring did.
    public struct Outcome: Sendable, Equatable {
        /// Messages the broker still had for the worker, now in the journal.
        public var collectedFromBroker: Int
        /// Messages moved from the worker's inbox into the journal (those collected included).
        public var movedToJournal: Int
    }

    /// Why a worker cannot be retired.
    public enum Refusal: Error, CustomStringConvertible, Equatable {
        case running(WorkerName, pid: Int32, host: String, heardFrom: Date)
        case brokerUnreachable(String)
        case unsubscribeNotAcknowledged([String])

        public var description: String {
            switch self {
            case .running(let worker, let pid, let host, let heardFrom):
                "worker \(worker) is running (pid \(pid)\(host.isEmpty ? "" : " on \(host)"), last heard from at \(heardFrom.formatted(.iso8601))): stop it first"
            case .brokerUnreachable(let broker):
                "cannot reach the broker at \(broker) to collect what it holds for the worker; nothing was changed"
            case .unsubscribeNotAcknowledged(let filters):
                "the broker did not acknowledge unsubscribing from \(filters.joined(separator: ", ")); nothing was removed"
            }
        }
    }

    /// Retires `configuration.worker` from `store` (either backend); its inbox is the one this
    /// machine keeps for it (`IngestConfiguration.inboxBasePath`).
    public func run(store: any WorkerStore, logger: Logger) async throws -> Outcome {
        let worker = configuration.worker
        if let status = try await store.workerReport(worker, heartbeat: heartbeat), status.status.running,
            !status.stale
        {
            throw Refusal.running(
                worker, pid: status.status.pid, host: status.status.host, heardFrom: status.status.updatedAt)
        }
        let inbox = try MessageInbox(
            storePath: configuration.inboxBasePath, worker: worker, durability: configuration.durability)
        try inbox.continueAfter(movedThrough: await store.inboxMovedThrough(worker: worker))
        let collected = try await collectFromBroker(into: inbox, logger: logger)
        var moved = 0
        while true {
            let count = try await store.moveFromInbox(inbox, limit: configuration.batchSize)
            if count == 0 { break }
            moved += count
        }
        try await store.forget(worker: worker)
        try? FileManager.default.removeItem(atPath: inbox.path)
        logger.notice(
            "worker retired", metadata: ["worker": "\(worker)", "collected": "\(collected)", "moved": "\(moved)"])
        return Outcome(collectedFromBroker: collected, movedToJournal: moved)
    }

    /// Steps 2 and 3: what the broker holds for the worker's session, into its inbox; then the
    /// session discarded. Returns how many messages came.
    private func collectFromBroker(into inbox: MessageInbox, logger: Logger) async throws -> Int {
        let brokerName = "\(configuration.broker.host):\(configuration.broker.port)"
        var session = configuration.mqttSession()
        let filters = session.topicFilters
        session.topicFilters = []  // the session has its subscriptions; none are added
        let (_, wake) = AsyncStream<ContinuousClock.Instant>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let writer = InboxWriter(inbox: inbox, logger: logger, wake: wake, clock: configuration.clock)
        let before = inbox.highWater()
        let connection = try MQTTConnection(
            endpoint: configuration.broker, options: session, logger: logger, onMessage: writer.write)
        try connection.start()
        guard await connection.waitUntilConnected(timeout: .seconds(30)) else {
            connection.stop()
            throw Refusal.brokerUnreachable(brokerName)
        }
        guard try await connection.unsubscribe(filters) else {
            connection.stop()
            throw Refusal.unsubscribeNotAcknowledged(filters)
        }
        var last = inbox.highWater()
        while true {
            try await Task.sleep(for: .seconds(quietSeconds))
            let now = inbox.highWater()
            if now == last { break }
            last = now
        }
        connection.stop()

        var clean = session
        clean.cleanSession = true
        let discard = try MQTTConnection(
            endpoint: configuration.broker, options: clean, logger: logger, onMessage: { _ in })
        try discard.start()
        let discarded = await discard.waitUntilConnected(timeout: .seconds(30))
        discard.stop()
        guard discarded else { throw Refusal.brokerUnreachable(brokerName) }
        return Int(last - before)
    }
}
