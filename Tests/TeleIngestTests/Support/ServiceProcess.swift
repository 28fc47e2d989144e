import Foundation

@testable import TeleIngest

#if canImport(Glibc)
    import Glibc
#endif

/// The real `tele-ingest run` in its own process, so a test can SIGTERM or SIGKILL it.
final class ServiceProcess: @unchecked Sendable {
    // @unchecked: `process` is only touched by the owning test, one call at a time.
    let logFile: URL
    private var process: ChildProcess?
    private let arguments: [String]
    /// The log through a pipe instead of straight into `logFile` (`LogPipe`), made at the first start.
    private let logThroughPipe: Bool
    private var logPipe: LogPipe?

    /// `databaseURL`: run on that PostgreSQL store instead of the SQLite file `database`.
    /// `logThroughPipe`: the service writes its log into a pipe the test copies into `logFile`,
    /// so that a file size limit set on the service leaves its log alone.
    init(
        broker: Broker, database: URL, directory: URL, clientID: String = "tele-ingest-test", logLevel: String = "info",
        databaseURL: String? = nil, extra: [String] = [], logThroughPipe: Bool = false
    ) {
        logFile = directory.appendingPathComponent("tele-ingest-\(UUID().uuidString.prefix(8)).log")
        arguments =
            [
                "run", "--broker", broker.url,
            ] + (databaseURL.map { ["--database-url", $0] } ?? ["--db", database.path])
            + [
                "--profiles", Paths.deviceProfiles.path,
                "--client-id", clientID, "--log-level", logLevel,
                "--rules", Paths.packageRoot.appendingPathComponent("rules/heart-failure-guideline.yaml").path,
            ] + extra
        self.logThroughPipe = logThroughPipe
    }

    func start() throws {
        if logThroughPipe, logPipe == nil { logPipe = try LogPipe(copyingInto: logFile) }
        process = try ChildProcess(
            executable: Paths.teleIngestExecutable.path, arguments: arguments, output: logPipe?.path ?? logFile.path)
    }

    /// The running service's process id.
    var pid: pid_t? { process?.pid }

    /// Waits until the log says the service is connected (the subscription is in place).
    func waitUntilConnected(times: Int = 1) async throws {
        guard
            await eventually(
                timeout: .seconds(60), { log.components(separatedBy: "connected to broker").count - 1 >= times })
        else { throw TestSetupError("tele-ingest did not connect; log:\n\(log)") }
    }

    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    var isRunning: Bool { process?.isRunning ?? false }

    /// Sends `signal` and waits for the process to end; returns its exit status.
    @discardableResult
    func stop(signal: Int32 = SIGTERM) -> Int32 {
        guard let process else { return -1 }
        let status = process.stop(signal: signal)
        self.process = nil
        return status
    }

    deinit {
        _ = stop(signal: SIGKILL)
        logPipe?.close()
    }
}

/// A store in `directory` with the test cohort registered, and the real service started on it
/// and connected to `broker`; `body` owns stopping the service.
func withRegisteredService<T>(
    broker: Broker, directory: URL, database name: String = "ingest.sqlite", extra: [String] = [],
    _ body: (MonitoringStore, ServiceProcess) async throws -> T
) async throws -> T {
    let database = directory.appendingPathComponent(name)
    let store = try MonitoringStore(path: database.path, clock: TestCohort.clock)
    try TestCohort.register(in: store)
    let service = ServiceProcess(broker: broker, database: database, directory: directory, extra: extra)
    try service.start()
    try await service.waitUntilConnected()
    return try await body(store, service)
}

/// Starts `workers` one after another, each connected before the next, then runs `body` with a
/// publisher on `broker`; `body` owns stopping the workers.
func withConnectedWorkers<T>(
    _ workers: [ServiceProcess], broker: Broker, _ body: (Publisher) async throws -> T
) async throws -> T {
    for worker in workers {
        try worker.start()
        try await worker.waitUntilConnected()
    }
    let publisher = try await Publisher(broker: broker)
    defer { publisher.close() }
    return try await body(publisher)
}
