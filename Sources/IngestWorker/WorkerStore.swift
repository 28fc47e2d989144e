import DevicePayloads
import Foundation
import MonitoringRecords
import PostgresStore
import ReadingIntake
import ServiceConfiguration
import StoreInterface
import TeleIngest

/// The store as a running worker uses it, on either backend: moving its inbox into the
/// journal, processing the journal (with the rules), its heartbeat, and the clock-driven checks.
public protocol WorkerStore: Sendable {
    var clock: WallClock { get }
    /// Where the store is, for the log (no password).
    var location: String { get }
    /// Journals up to `limit` messages from the inbox (and moves the worker's mark with them,
    /// in one transaction), then trims them from the inbox; returns how many.
    func moveFromInbox(_ inbox: MessageInbox, limit: Int) async throws -> Int
    /// Takes up to `limit` messages from the inbox for processing: on SQLite processed straight
    /// from it, each journal entry written once with its outcome (`JournalProcessor.processInbox`);
    /// on PostgreSQL moved into the journal, where `processBatch` takes them. Returns how many it
    /// took and what those processed became.
    func processInbox(_ inbox: MessageInbox, limit: Int) async throws -> (taken: Int, batch: RuleEngine.ProcessedBatch)
    /// Processes up to `limit` pending journal entries in one transaction, rules included.
    func processBatch(limit: Int) async throws -> RuleEngine.ProcessedBatch
    func inboxMovedThrough(worker: WorkerName) async throws -> Int64
    func journalBacklog() async throws -> Int
    func recordServiceStatus(_ status: ServiceStatus) async throws
    func workerReport(_ worker: WorkerName, heartbeat: TimeInterval) async throws -> WorkerReport?
    /// The same store as the follow-up sees it (for the overdue red flags the notifier sends).
    var followUp: any FollowUpStore { get }
    /// Runs the missing-data rules (and records due reminders); `nil` when there are no rules.
    func checkMissingData(now: Date, reminders: Bool) async throws -> RuleEngine.Outcome?
    /// Whether the worker should checkpoint the store beside the writer (SQLite's WAL).
    var checkpoints: Bool { get }
    func checkpoint() throws
    /// Removes a retired worker's status and inbox mark (`WorkerRetirement`).
    func forget(worker: WorkerName) async throws
    /// Retention of the journal's raw payloads.
    var retention: any JournalRetention { get }
    /// Open and escalated flags by severity, for the metrics.
    func openFlagCounts() async throws -> [String: Int]
    /// Releases connections; the store is not used afterwards.
    func close() async
}

/// Opens the worker side of the configured store: SQLite (`database.path`), or PostgreSQL with
/// `database.url`; the device profiles and the rules as configured (`loadProfiles`, `loadRules`
/// false: for work that never decodes or judges a message, like retiring a worker). Refuses on
/// any problem.
public func openWorkerStore(
    configuration: IngestConfiguration, backgroundCheckpoints: Bool = true, loadProfiles: Bool = true,
    loadRules: Bool = true
) async throws -> (store: any WorkerStore, intake: ReadingIntake, rules: RuleEngine?) {
    if let url = configuration.databaseURL {
        let settings = try configuration.intakeSettings(loadProfiles: loadProfiles, loadRules: loadRules)
        let store = try await PostgresMonitoringStore.open(try PostgresLocation(url: url), clock: configuration.clock)
        return (
            PostgresWorkerStore(store: store, intake: settings.intake, rules: settings.rules), settings.intake,
            settings.rules
        )
    }
    var processor = try JournalProcessor(
        configuration: configuration, loadProfiles: loadProfiles, loadRules: loadRules,
        backgroundCheckpoints: backgroundCheckpoints)
    // The service runs batch after batch: the rules keep each patient's recent readings between them.
    if configuration.keptReadings > 0 {
        processor.recentReadings = RecentReadings(capacity: configuration.keptReadings)
    }
    return (SQLiteWorkerStore(processor: processor), processor.intake, processor.rules)
}

/// The SQLite store, through its `JournalProcessor`.
public struct SQLiteWorkerStore: WorkerStore {
    public let processor: JournalProcessor
    public var store: MonitoringStore { processor.store }
    public var followUp: any FollowUpStore { processor.store }
    public var retention: any JournalRetention { processor.store }

    public init(processor: JournalProcessor) { self.processor = processor }

    public var clock: WallClock { store.clock }
    public var location: String { store.path }
    public var checkpoints: Bool { true }

    public func moveFromInbox(_ inbox: MessageInbox, limit: Int) throws -> Int {
        try store.moveFromInbox(inbox, limit: limit)
    }

    public func processInbox(_ inbox: MessageInbox, limit: Int) throws -> (taken: Int, batch: RuleEngine.ProcessedBatch)
    {
        let batch = try processor.processInbox(inbox, limit: limit)
        return (batch.results.count, batch)
    }

    public func processBatch(limit: Int) throws -> RuleEngine.ProcessedBatch {
        try processor.processBatch(limit: limit)
    }

    public func inboxMovedThrough(worker: WorkerName) throws -> Int64 { try store.inboxMovedThrough(worker: worker) }

    public func journalBacklog() throws -> Int { try store.journalBacklog() }

    public func recordServiceStatus(_ status: ServiceStatus) throws { try store.recordServiceStatus(status) }

    public func workerReport(_ worker: WorkerName, heartbeat: TimeInterval) throws -> WorkerReport? {
        try store.workerReport(worker, heartbeat: heartbeat)
    }

    public func checkMissingData(now: Date, reminders: Bool) throws -> RuleEngine.Outcome? {
        try processor.rules?.checkMissingData(in: store, now: now, reminders: reminders)
    }

    public func checkpoint() throws { try store.checkpoint() }

    public func openFlagCounts() throws -> [String: Int] { try store.openFlagCounts() }

    public func forget(worker: WorkerName) throws { try store.forget(worker: worker) }

    public func close() async {}
}

/// The PostgreSQL store: the same intake decisions and rules, run in the server's transactions;
/// several workers on several machines share its journal.
public struct PostgresWorkerStore: WorkerStore {
    public let store: PostgresMonitoringStore
    public var followUp: any FollowUpStore { store }
    public var retention: any JournalRetention { store }
    public let intake: ReadingIntake
    public let rules: RuleEngine?

    public init(store: PostgresMonitoringStore, intake: ReadingIntake, rules: RuleEngine?) {
        self.store = store
        self.intake = intake
        self.rules = rules
    }

    public var clock: WallClock { store.clock }
    public var location: String { "\(store.location)" }
    public var checkpoints: Bool { false }

    /// Takes the oldest messages in the inbox as they are: the store leaves out those at or
    /// below the worker's mark (copies a crash before the trim left behind), so the mark is not
    /// read first, a round trip per batch. Returns how many it took from the inbox, copies
    /// included, so that a drain goes on past a batch of copies.
    public func moveFromInbox(_ inbox: MessageInbox, limit: Int) async throws -> Int {
        let messages = try inbox.messages(after: 0, limit: limit)
        guard let last = messages.last else { return 0 }
        try await store.moveFromInbox(messages, worker: inbox.worker)
        // After the store's commit: a crash before this leaves copies that the mark skips.
        try inbox.trim(through: last.id)
        return messages.count
    }

    public func processInbox(_ inbox: MessageInbox, limit: Int) async throws -> (
        taken: Int, batch: RuleEngine.ProcessedBatch
    ) {
        (try await moveFromInbox(inbox, limit: limit), RuleEngine.ProcessedBatch())
    }

    public func processBatch(limit: Int) async throws -> RuleEngine.ProcessedBatch {
        try await store.processBatch(limit: limit, intake: intake, rules: rules)
    }

    public func inboxMovedThrough(worker: WorkerName) async throws -> Int64 {
        try await store.inboxMovedThrough(worker: worker)
    }

    public func journalBacklog() async throws -> Int { try await store.journalBacklog() }

    public func recordServiceStatus(_ status: ServiceStatus) async throws {
        try await store.recordServiceStatus(status)
    }

    public func workerReport(_ worker: WorkerName, heartbeat: TimeInterval) async throws -> WorkerReport? {
        try await store.workerReports(only: worker, heartbeat: heartbeat).first
    }

    public func checkMissingData(now: Date, reminders: Bool) async throws -> RuleEngine.Outcome? {
        guard let rules else { return nil }
        return try await store.checkMissingData(rules: rules, now: now, reminders: reminders)
    }

    public func checkpoint() throws {}

    public func forget(worker: WorkerName) async throws { try await store.forget(worker: worker) }

    public func openFlagCounts() async throws -> [String: Int] { try await store.openFlagCounts() }

    public func close() async { await store.close() }
}
