import BrokerSettings
import Foundation
import IngestWorker
import Logging
import MQTT
import ServiceConfiguration
import ServiceLifecycle
import Synchronization
import TeleIngest

/// An in-process ingest service on the SQLite store, and that store.
struct RunningService: Sendable {
    let service: IngestService
    let processor: JournalProcessor
    var store: MonitoringStore { processor.store }
    var configuration: IngestConfiguration { service.configuration }
    var brokerState: ConnectionState { service.brokerState }
}

/// Runs an in-process `IngestService` against `broker` on a fresh store with the test cohort,
/// and shuts it down gracefully afterwards. `prepare` runs on the store before the service starts.
func withIngestService<T>(
    broker: Broker, directory: URL, configure: (inout IngestConfiguration) -> Void = { _ in },
    prepare: (MonitoringStore) throws -> Void = { _ in },
    _ body: (RunningService) async throws -> T
) async throws -> T {
    var configuration = IngestConfiguration()
    configuration.broker = BrokerEndpoint(host: "127.0.0.1", port: broker.port)
    configuration.databasePath = directory.appendingPathComponent("ingest.sqlite").path
    configuration.profilesDirectory = Paths.deviceProfiles.path
    configuration.clientID = "ingest-\(UInt32.random(in: 0...UInt32.max))"
    configuration.rules.file = Paths.packageRoot.appendingPathComponent("rules/heart-failure-guideline.yaml").path
    configuration.clock = TestCohort.clock
    configure(&configuration)
    let store = try MonitoringStore(path: configuration.databasePath, clock: configuration.clock)
    try TestCohort.register(in: store)
    try prepare(store)
    let logger = Logger(label: "tele-ingest-test")
    let processor = try JournalProcessor(configuration: configuration, backgroundCheckpoints: true)
    let service = try IngestService(
        configuration: configuration, backend: SQLiteWorkerStore(processor: processor), logger: logger)
    let group = ServiceGroup(services: [service], logger: logger)
    let failure = Mutex<String?>(nil)
    let running = Task {
        do {
            try await group.run()
        } catch {
            failure.withLock { $0 = "\(error)" }
            throw error
        }
    }
    do {
        // A set-up wait, not a timing check: on a loaded 2-core machine the first connection
        // has taken more than 15 s (three failures in one CI run while another build ran).
        guard await eventually(timeout: .seconds(60), { service.brokerState == .connected }) else {
            let reason = failure.withLock { $0 }.map { "; the service stopped: \($0)" } ?? ""
            throw TestSetupError("the ingest service did not connect: \(service.brokerState)\(reason)")
        }
        let result = try await body(RunningService(service: service, processor: processor))
        await group.triggerGracefulShutdown()
        try await running.value
        return result
    } catch {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        throw error
    }
}
