import BrokerSettings
import DevicePayloads
import Foundation
import Logging
import MQTT
import MonitoringRecords
import PostgresStore
import ReadingIntake
import ServiceConfiguration
import ServiceLifecycle
import SiteNotification
import StoreInterface
import Synchronization
import TeleIngest
import ThresholdRules

#if canImport(Glibc)
    import Glibc
#endif

/// The running ingest service: subscribes, commits every message to its inbox inside the MQTT
/// callback, moves the inbox into the journal and processes the journal in batches until asked
/// to stop. Runs in a `ServiceGroup`, which
/// turns SIGTERM and SIGINT into a graceful shutdown: the connection is closed, what the
/// journal holds is processed and committed, then `run()` returns.
public final class IngestService: Service, Sendable {
    public let configuration: IngestConfiguration
    /// The store: SQLite or PostgreSQL.
    public let backend: any WorkerStore
    /// Where the MQTT callback commits messages (`MessageInbox`): beside the SQLite store, or in
    /// `ingest.inboxFolder` with PostgreSQL.
    public let inbox: MessageInbox
    private let logger: Logger
    /// How long a message waits in the inbox before a batch starts for it, so that a burst
    /// arriving together is one batch; bounds the added latency. Counted from the arrival of the
    /// oldest message no batch has taken yet, so messages that arrived while a batch ran are
    /// taken as soon as it ends if they have waited this long already. Under a backlog the
    /// batches follow each other without it. 10 ms put the publish-to-flag p99 at 23 ms at 1,000
    /// messages/s, 5 ms at 15 ms (docs/PERFORMANCE.md).
    static let batchGatheringDelay = Duration.milliseconds(5)
    private let running = Mutex<MQTTConnection?>(nil)
    /// What `GET /metrics` serves (`metrics.port`).
    public let metrics = ServiceMetrics()
    /// The newest status the heartbeat wrote, and the backlog then: what `GET /health` judges.
    private let lastStatus = Mutex<(status: ServiceStatus?, backlog: Int)>((nil, 0))

    /// The broker connection's state; `.idle` before `run()` and after it returns.
    public var brokerState: ConnectionState {
        running.withLock { $0?.state } ?? .idle
    }

    /// A service on `backend`, with this worker's inbox.
    public init(configuration: IngestConfiguration, backend: any WorkerStore, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        self.backend = backend
        self.inbox = try MessageInbox(
            storePath: configuration.inboxBasePath, worker: configuration.worker,
            durability: configuration.durability)
    }

    /// Opens the configured store (SQLite, or PostgreSQL with `database.url`), loads the device
    /// profiles and the rules; refuses to start on any problem.
    public static func open(configuration: IngestConfiguration, logger: Logger) async throws -> IngestService {
        let (backend, intake, rules) = try await openWorkerStore(configuration: configuration)
        let settings = (intake: intake, rules: rules)
        logger.info(
            "loaded device profiles",
            metadata: [
                "profiles": "\(settings.intake.decoder.profiles.profiles.map(\.id).joined(separator: ","))",
                "rules": "\(settings.rules?.evaluator.ruleSet.label ?? "off")",
                "database": "\(backend.location)", "worker": "\(configuration.worker)",
                "clientID": "\(configuration.clientID)",
                "sharedGroup": "\(configuration.sharedGroup ?? "none")",
            ])
        do {
            return try IngestService(configuration: configuration, backend: backend, logger: logger)
        } catch {
            await backend.close()
            throw error
        }
    }

    public func run() async throws {
        try await refuseIfNameTaken()
        try await openInbox()
        // Wake-ups are coalesced (the oldest one kept, with when its message arrived): they only
        // say "the journal has more"; the messages themselves are already on disk, so no reading
        // depends on this buffer.
        let (wakeups, wake) = AsyncStream<ContinuousClock.Instant>.makeStream(bufferingPolicy: .bufferingOldest(1))
        let writer = InboxWriter(
            inbox: inbox, logger: logger, wake: wake,
            receiptPrefix: configuration.receipts.enabled ? configuration.receipts.topicPrefix : nil,
            reminderPrefix: configuration.reminders.enabled ? configuration.reminders.topicPrefix : nil,
            clock: backend.clock, metrics: metrics)
        var session = configuration.mqttSession()
        // Not shared: every worker wants to know when the broker drops its messages.
        session.topicFilters.append(InboxWriter.droppedTopic)
        let connection = try MQTTConnection(
            endpoint: configuration.broker, options: session, logger: logger, onMessage: writer.write)

        // What a crash left unprocessed is done before anything new arrives.
        let backlog = try await self.backlog()
        if backlog > 0 {
            logger.notice("processing journal entries left from before", metadata: ["entries": "\(backlog)"])
        }
        await drain(connection: nil)

        running.withLock { $0 = connection }
        defer { running.withLock { $0 = nil } }
        let startedAt = backend.clock.now()
        // In `status` from before the first connection, not from the heartbeat's first round:
        // a worker that dies at once is then reported as not responding instead of being left
        // out (the heartbeat below runs on its own task, some time after the connection).
        do {
            try await backend.recordServiceStatus(
                status(connection: connection, startedAt: startedAt, since: startedAt, running: true))
        } catch {
            logger.error("cannot write the service status", metadata: ["error": "\(error)"])
        }
        try connection.start()
        let missingData = Task { await checkMissingDataPeriodically(connection: connection) }
        defer { missingData.cancel() }
        let retention = Task { await pruneJournalPeriodically() }
        defer { retention.cancel() }
        let endpoint = Task { await serveMonitoringEndpoint() }
        defer { endpoint.cancel() }
        let heartbeat = Task {
            await reportStatusPeriodically(connection: connection, startedAt: startedAt, wake: wake)
        }
        defer { heartbeat.cancel() }
        // A thread of its own: the checkpoint's fsync must not hold up a thread of the
        // cooperative pool, which the batches run on.
        if backend.checkpoints {
            let checkpoints = Thread { [self] in checkpointPeriodically() }
            checkpoints.name = "tele-ingest checkpoints"
            checkpointing.store(true, ordering: .relaxed)
            checkpoints.start()
        }
        defer { checkpointing.store(false, ordering: .relaxed) }
        await withGracefulShutdownHandler {
            for await arrived in wakeups {
                // Let a burst gather so one transaction takes many messages: per-message
                // transactions would compete with the journal inserts for the one writer.
                try? await Task.sleep(until: arrived + Self.batchGatheringDelay, clock: .continuous)
                await drain(connection: connection)
            }
        } onGracefulShutdown: {
            writer.beginStopping()
            wake.finish()
        }
        logger.info("stopping: closing the broker connection")
        heartbeat.cancel()
        connection.stop()
        await drain(connection: nil)
        try? await backend.recordServiceStatus(
            status(connection: connection, startedAt: startedAt, since: backend.clock.now(), running: false))
        let left = (try? await self.backlog()) ?? -1
        logger.info("stopped; journal processed", metadata: ["backlog": "\(left)"])
    }

    /// Two processes under one worker name would write one status row and share one inbox:
    /// refused while another process of that name is heard from — running, not stale, and on
    /// this machine still alive. A worker that crashed is taken over by its restart at once.
    private func refuseIfNameTaken() async throws {
        let worker = configuration.worker
        guard let other = try await backend.workerReport(worker, heartbeat: configuration.statusIntervalSeconds),
            other.status.running, !other.stale
        else { return }
        let me = ProcessInfo.processInfo
        let here = other.status.host.isEmpty || other.status.host == me.hostName
        if here && (other.status.pid == me.processIdentifier || kill(other.status.pid, 0) != 0) { return }
        throw WorkerNameTaken(
            worker: worker, pid: other.status.pid, host: other.status.host, heardFrom: other.status.updatedAt)
    }

    /// Another running process already has this worker's name.
    public struct WorkerNameTaken: Error, CustomStringConvertible {
        public var worker: WorkerName
        public var pid: Int32
        public var host: String
        public var heardFrom: Date

        public var description: String {
            "worker \(worker) is already running (pid \(pid)\(host.isEmpty ? "" : " on \(host)"), last heard from at \(heardFrom.formatted(.iso8601))): give this process another name (--worker, ingest.worker) and client id"
        }
    }

    /// Runs the missing-data rules once the start-up backlog is in, then every
    /// `rules.missingDataCheckMinutes`: they fire on the clock, when nothing arrives. With
    /// reminders on, the reminders due are published after the check commits.
    private func checkMissingDataPeriodically(connection: MQTTConnection) async {
        await waitForBacklogToSettle()
        let reminders = configuration.reminders
        while !Task.isCancelled {
            do {
                let started = ContinuousClock.now
                guard
                    let outcome = try await backend.checkMissingData(
                        now: backend.clock.now(), reminders: reminders.enabled)
                else { return }
                metrics.missingDataCheck(took: ContinuousClock.now - started, outcome)
                publishReminders(outcome.reminders, on: connection)
                logger.notice(
                    "missing-data check done",
                    metadata: ["opened": "\(outcome.opened.count)", "reminders": "\(outcome.reminders.count)"])
                await notifyOverdueRedFlags()
            } catch {
                // Stopping cancels the check; a server database's client ends its query then.
                if Task.isCancelled { return }
                logger.error("missing-data check failed; will retry", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(configuration.rules.missingDataCheckMinutes * 60))
        }
    }

    /// Removes the raw payloads of stored messages older than `journal.keepPayloadDays`, once
    /// the start-up backlog is in and then every `journal.pruneIntervalMinutes`, and gives the
    /// space back where the store can while running. The log says how many and how much.
    private func pruneJournalPeriodically() async {
        guard let days = configuration.journalRetention.keepPayloadDays else { return }
        await waitForBacklogToSettle()
        while !Task.isCancelled {
            do {
                let now = backend.clock.now()
                let pruned = try await backend.retention.pruneAllJournalPayloads(
                    receivedBefore: now.addingTimeInterval(-Double(days) * 86_400), at: now)
                if pruned.messages > 0 {
                    metrics.payloadsRemoved(pruned.messages)
                    // The payloads are gone whatever becomes of the space: said either way.
                    var givenBack = "reused in place"
                    do {
                        if let bytes = try await backend.retention.reclaimFreedSpace() { givenBack = "\(bytes)" }
                    } catch {
                        logger.warning(
                            "giving the freed space back failed; it is reused in place", metadata: ["error": "\(error)"]
                        )
                    }
                    logger.notice(
                        "journal payloads removed",
                        metadata: [
                            "messages": "\(pruned.messages)", "bytes": "\(pruned.bytes)", "olderThanDays": "\(days)",
                            "bytesGivenBack": "\(givenBack)",
                        ])
                }
            } catch {
                if Task.isCancelled { return }
                logger.error("removing old journal payloads failed; will retry", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(configuration.journalRetention.pruneIntervalMinutes * 60))
        }
    }

    /// Serves `GET /metrics` and `GET /health` on `127.0.0.1:metrics.port` while the service
    /// runs; a port that cannot be bound is logged and the service goes on without it.
    private func serveMonitoringEndpoint() async {
        guard let port = configuration.metricsPort else { return }
        let endpoint = MonitoringEndpoint(port: port, metrics: metrics) { [self] in health() }
        do {
            try await endpoint.serve { [logger] port in
                logger.info("serving metrics and health", metadata: ["address": "127.0.0.1:\(port)"])
            }
        } catch {
            if Task.isCancelled { return }
            logger.error(
                "cannot serve metrics and health", metadata: ["port": "\(port)", "error": "\(error)"])
        }
    }

    /// Healthy when the heartbeat has run, the broker connection is up and the backlog is under
    /// `ingest.fallingBehindBacklog`: what `tele-ingest status` reports as running, connected and
    /// not falling behind.
    private func health() -> MonitoringEndpoint.Health {
        let (status, backlog) = lastStatus.withLock { $0 }
        var problems: [String] = []
        if let status {
            if !status.connected { problems.append("not connected to the broker (\(status.connection))") }
            if status.fallingBehind {
                problems.append("falling behind: backlog \(backlog) over \(configuration.fallingBehindBacklog)")
            }
        } else {
            problems.append("starting: no status written yet")
        }
        return MonitoringEndpoint.Health(
            healthy: problems.isEmpty, problems: problems, status: status, backlog: backlog)
    }

    /// Runs the site's notifier (`notify.command`) for every red flag overdue, once per flag, on
    /// the missing-data check's clock. The log names the flag and patient ids only.
    private func notifyOverdueRedFlags() async {
        guard let command = configuration.notifyCommand else { return }
        do {
            let sent = try await SiteNotifier(command: command).notifyOverdueRedFlags(
                store: backend.followUp,
                policy: OverduePolicy(
                    redWorkingDays: configuration.rules.overdueRedWorkingDays,
                    yellowWorkingDays: configuration.rules.overdueYellowWorkingDays),
                defaultZone: TimeZone(identifier: configuration.defaultTimeZone) ?? .gmt, now: backend.clock.now())
            for event in sent {
                logger.notice(
                    "notifier called", metadata: ["event": "\(event.kind)", "flag": "\(event.reference)"])
            }
        } catch {
            logger.error("notifier failed; will retry at the next check", metadata: ["error": "\(error)"])
        }
    }

    /// Writes the service's status every `statusIntervalSeconds` for `tele-ingest status`, and
    /// logs once when the journal backlog goes over `fallingBehindBacklog` (and once when it is
    /// back under), instead of on every batch. A backlog also wakes the batches: another worker
    /// (or a retired one) may have moved messages into the journal that this one never heard of.
    private func reportStatusPeriodically(
        connection: MQTTConnection, startedAt: Date, wake: AsyncStream<ContinuousClock.Instant>.Continuation
    ) async {
        var lastState = connection.state
        var since = backend.clock.now()
        var behind = false
        while !Task.isCancelled {
            let state = connection.state
            if state != lastState {
                lastState = state
                since = backend.clock.now()
            }
            let backlog = (try? await self.backlog()) ?? 0
            if backlog > 0 { wake.yield(.now) }
            let nowBehind = backlog > configuration.fallingBehindBacklog
            if nowBehind != behind {
                behind = nowBehind
                if behind {
                    logger.warning(
                        "falling behind: the journal backlog is over the threshold",
                        metadata: ["backlog": "\(backlog)", "threshold": "\(configuration.fallingBehindBacklog)"])
                } else {
                    logger.notice(
                        "caught up: the journal backlog is under the threshold again",
                        metadata: ["backlog": "\(backlog)"])
                }
            }
            var status = status(connection: connection, startedAt: startedAt, since: since, running: true)
            status.fallingBehind = behind
            metrics.heartbeat(backlog: backlog, connected: status.connected, connects: connection.connects)
            if configuration.metricsPort != nil, let counts = try? await backend.openFlagCounts() {
                metrics.openFlags(counts)
            }
            lastStatus.withLock { $0 = (status, backlog) }
            do {
                try await backend.recordServiceStatus(status)
            } catch {
                // Stopping cancels the heartbeat; the final status is written after it.
                if Task.isCancelled { return }
                logger.error("cannot write the service status", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(configuration.statusIntervalSeconds))
        }
    }

    private func status(connection: MQTTConnection, startedAt: Date, since: Date, running: Bool) -> ServiceStatus {
        let state = running ? connection.state : .idle
        return ServiceStatus(
            worker: configuration.worker, clientID: configuration.clientID,
            host: ProcessInfo.processInfo.hostName,
            pid: ProcessInfo.processInfo.processIdentifier, startedAt: startedAt, updatedAt: backend.clock.now(),
            broker: "\(configuration.broker.host):\(configuration.broker.port)", connection: state.description,
            connected: state == .connected, connectionSince: since, running: running, fallingBehind: false)
    }

    /// Checkpoints the WAL every `Self.checkpointInterval` beside the writer, so neither the
    /// journal write in the MQTT callback nor a batch ever waits for a checkpoint's fsync
    /// (`MonitoringStore.checkpoint()`).
    private func checkpointPeriodically() {
        var failing = false
        while checkpointing.load(ordering: .relaxed) {
            Thread.sleep(forTimeInterval: Self.checkpointInterval)
            do {
                try backend.checkpoint()
                if failing { logger.notice("WAL checkpoints work again") }
                failing = false
            } catch {
                if !failing {
                    logger.warning(
                        "WAL checkpoint failed; the writer checkpoints itself past its backstop",
                        metadata: ["error": "\(error)"])
                }
                failing = true
            }
        }
    }

    static let checkpointInterval: TimeInterval = 0.5
    /// Whether the checkpoint thread goes on; `run()` ends it on the way out.
    private let checkpointing = Atomic<Bool>(false)

    /// After a restart the broker delivers what queued while the service was down: a check
    /// before that backlog is in would flag every patient as not measuring. So the first check
    /// waits until no message has arrived for `Self.settleSeconds` and the journal is processed,
    /// or one check interval, whichever comes first.
    private func waitForBacklogToSettle() async {
        let deadline = ContinuousClock.now + .seconds(configuration.rules.missingDataCheckMinutes * 60)
        var previous = inbox.highWater()
        while !Task.isCancelled, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .seconds(Self.settleSeconds))
            let current = inbox.highWater()
            if current == previous, (try? await self.backlog()) == 0 { return }
            previous = current
        }
    }

    static let settleSeconds = 3.0

    /// Before the first message: the inbox's ids continue after the store's mark, and a torn end
    /// the inbox cut off when it was opened is reported.
    private func openInbox() async throws {
        try inbox.continueAfter(movedThrough: await backend.inboxMovedThrough(worker: inbox.worker))
        if inbox.discardedBytes > 0 {
            logger.warning(
                "the inbox ended in an incomplete message (a power loss while it was written); cut off",
                metadata: ["inbox": "\(inbox.path)", "bytes": "\(inbox.discardedBytes)"])
        }
    }

    /// Messages received and not processed yet: in this worker's inbox, and in the journal
    /// (whichever worker moved them there).
    public func backlog() async throws -> Int {
        try inbox.count(after: await backend.inboxMovedThrough(worker: inbox.worker)) + (await backend.journalBacklog())
    }

    /// Moves the inbox into the journal and processes the journal until both are caught up. Errors (a locked or full database) are
    /// logged and retried on the next wake-up; nothing is lost, the entries stay in the journal.
    private func drain(connection: MQTTConnection?) async {
        while true {
            var batch: RuleEngine.ProcessedBatch
            let moved: Int
            let started = ContinuousClock.now
            do {
                let fromInbox = try await backend.processInbox(inbox, limit: configuration.batchSize)
                moved = fromInbox.taken
                batch = fromInbox.batch
                // Entries another worker (or a retirement) moved into the journal, and on
                // PostgreSQL those just moved.
                batch.merge(try await backend.processBatch(limit: configuration.batchSize))
            } catch {
                logger.error("processing the journal failed; will retry", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(500))
                return
            }
            let results = batch.results
            if results.isEmpty && moved == 0 { return }
            metrics.batch(took: ContinuousClock.now - started, batch)
            for result in results where result.outcome == .quarantined {
                logger.warning(
                    "message quarantined",
                    metadata: [
                        "journal": "\(result.journalID)", "reason": "\(result.rejection?.reason.rawValue ?? "")",
                        "serial": "\(LoggedSerial.of(result.serial))",
                    ])
            }
            if configuration.receipts.enabled, let connection {
                publishReceipts(for: results, on: connection)
            }
            // Requests to measure again tomorrow morning (a personal rule's askScore).
            if configuration.reminders.enabled, let connection, !batch.rules.reminders.isEmpty {
                publishReminders(batch.rules.reminders, on: connection)
            }
            if results.count < configuration.batchSize && moved < configuration.batchSize { return }
        }
    }

    /// Publishes each reminder to every device paired with its patient, once: it was recorded
    /// in the check's transaction, so a failed publish is logged and not repeated.
    private func publishReminders(_ reminders: [RuleEngine.SentReminder], on connection: MQTTConnection) {
        let encoder = Self.messageEncoder()
        for sent in reminders {
            for serial in sent.serials {
                publish(
                    ReminderMessage(serial: serial, sent.reminder), to: serial, as: "reminder",
                    under: configuration.reminders.topicPrefix, encoder: encoder, on: connection)
            }
        }
    }

    private func publishReceipts(for results: [MessageResult], on connection: MQTTConnection) {
        for receipt in Receipt.receipts(for: results) {
            publish(
                Data(receipt.json.utf8), to: receipt.serial, as: "receipt", under: configuration.receipts.topicPrefix,
                on: connection)
        }
    }

    /// One encoder per batch of device messages: JSON with sorted keys.
    private static func messageEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }

    /// Publishes a message for one device as JSON (`encoder`); see `publish(_:to:as:under:on:)`.
    private func publish(
        _ message: some Encodable, to serial: DeviceSerial, as kind: String, under prefix: String, encoder: JSONEncoder,
        on connection: MQTTConnection
    ) {
        do {
            publish(
                try encoder.encode(message), to: serial, as: kind, under: prefix, on: connection)
        } catch {
            logger.warning(
                "could not encode a \(kind)",
                metadata: ["serial": "\(LoggedSerial.of(serial))", "error": "\(error)"])
        }
    }

    /// Publishes a payload for one device on `<prefix>/<serial>/<kind>`; a failure is logged
    /// with the serial masked and not retried.
    private func publish(
        _ payload: Data, to serial: DeviceSerial, as kind: String, under prefix: String, on connection: MQTTConnection
    ) {
        do {
            try connection.publish(topic: "\(prefix)/\(serial)/\(kind)", payload: payload)
        } catch {
            logger.warning(
                "could not publish a \(kind)",
                metadata: ["serial": "\(LoggedSerial.of(serial))", "error": "\(error)"])
        }
    }
}
