import Foundation
import MonitoringRecords
import ReadingIntake
import ServiceConfiguration
import StoreInterface
import Testing
import ThresholdRules

@testable import TeleIngest

#if canImport(Glibc)
    import Glibc
#endif

/// Several real `tele-ingest run` processes on one store, sharing the devices' traffic through
/// an MQTT shared subscription: each message stored once, whichever worker took it, and the
/// flags those of one worker given the same stream.
@Suite(.serialized) struct IngestWorkersTests {
    static let group = "ingest"

    /// Workers `a` and `b` (client ids of their own) on `database`, members of one shared
    /// subscription group, writing their status every second.
    static func workers(broker: Broker, database: URL, directory: URL) throws -> [ServiceProcess] {
        let config = configFile(in: directory)
        try "ingest:\n  statusIntervalSeconds: 1\n".write(to: config, atomically: true, encoding: .utf8)
        return ["a", "b"].map { name in
            ServiceProcess(
                broker: broker, database: database, directory: directory, clientID: "tele-ingest-test-\(name)",
                extra: ["--config", config.path, "--worker", name, "--shared-group", group])
        }
    }

    @Test(
        "two workers share the stream: every reading stored once, both took part, the flags are one worker's, status lists both"
    )
    func twoWorkersShareTheStream() async throws {
        try await Self.withWorkers { broker, directory, database, store, workers, publisher in
            try await CrashRecoveryTests.publish(0..<2000, with: publisher)
            try await CrashRecoveryTests.expectExactlyOnce(store, count: 2000)

            let a = try #require(WorkerName("a"))
            let b = try #require(WorkerName("b"))
            // The broker gave each member a share: both inboxes moved messages.
            let movedByA = try store.inboxMovedThrough(worker: a)
            let movedByB = try store.inboxMovedThrough(worker: b)
            #expect(movedByA > 0 && movedByB > 0, "a moved \(movedByA), b moved \(movedByB)")
            #expect(movedByA + movedByB == 2000, "each message reached one worker")

            // Each worker's heartbeat says "connected" within a second or two of connecting.
            var (status, output) = (Int32(-1), "")
            _ = try await eventually(timeout: .seconds(30)) {
                (status, output) = try Self.status(database, in: directory)
                return status == 0
            }
            #expect(status == 0, "\(output)")
            #expect(output.contains("worker a") && output.contains("worker b"), "\(output)")
            #expect(output.contains("client tele-ingest-test-a"), "\(output)")

            // The same stream through one processor, in publish order: the same flags.
            let alone = try Self.standingFlagsOfOneProcessor(count: 2000, in: directory)
            let shared = try Self.standingFlags(store)
            #expect(!shared.isEmpty, "the stream opens flags, so the comparison says something")
            #expect(
                shared == alone,
                "two workers:\n\(shared.joined(separator: "\n"))\none processor:\n\(alone.joined(separator: "\n"))")
            for worker in workers { #expect(worker.stop() == 0) }
        }
    }

    @Test(
        "a second process under a running worker's name is refused, naming the worker; after a crash the name is free")
    func workerNameTaken() async throws {
        try await Self.withWorkers { broker, directory, database, store, workers, publisher in
            let twin = ServiceProcess(
                broker: broker, database: database, directory: directory, clientID: "tele-ingest-test-twin",
                extra: ["--config", Self.configFile(in: directory).path, "--worker", "a"])
            try twin.start()
            let ended = try await eventually(timeout: .seconds(30)) { !twin.isRunning }
            #expect(ended, "the second 'a' did not stop")
            #expect(twin.log.contains("worker a is already running"), "\(twin.log)")
            #expect(workers[0].isRunning, "the first 'a' runs on")

            workers[0].stop(signal: SIGKILL)
            let again = ServiceProcess(
                broker: broker, database: database, directory: directory, clientID: "tele-ingest-test-a",
                extra: ["--config", Self.configFile(in: directory).path, "--worker", "a", "--shared-group", Self.group])
            try again.start()
            try await again.waitUntilConnected()
            try await CrashRecoveryTests.publish(0..<200, with: publisher)
            try await CrashRecoveryTests.expectExactlyOnce(store, count: 200)
            #expect(again.stop() == 0)
            #expect(workers[1].stop() == 0)
        }
    }

    @Test("a worker killed mid-stream is reported as not responding; its share waits at the broker until it is back")
    func killedWorkerComesBack() async throws {
        try await Self.withWorkers { broker, directory, database, store, workers, publisher in
            try await CrashRecoveryTests.publish(0..<500, with: publisher)
            workers[1].stop(signal: SIGKILL)
            try await CrashRecoveryTests.publish(500..<1500, with: publisher)
            // Worker a stores its share; b's share is held for b's persistent session.
            // Judged by `status` itself, on its own clock: silent for three heartbeats.
            var (status, output) = (Int32(-1), "")
            let notResponding = try await eventually(timeout: .seconds(60)) {
                (status, output) = try Self.status(database, in: directory)
                return output.contains("NOT RESPONDING")
            }
            #expect(notResponding, "\(output)")
            #expect(status == 1, "a dead worker makes the site unhealthy: \(output)")
            #expect(try store.readingCount() < 1500, "b's share of the stream waits for b")

            try workers[1].start()
            try await workers[1].waitUntilConnected(times: 2)
            try await CrashRecoveryTests.expectExactlyOnce(store, count: 1500)
            let healthy = try await eventually(timeout: .seconds(30)) {
                try store.serviceReport(heartbeat: 1).healthy
            }
            #expect(healthy)
            for worker in workers { #expect(worker.stop() == 0) }
        }
    }

    /// The workers' configuration file (status every second); `status` reads it too, to know
    /// when a worker's silence means it died.
    static func configFile(in directory: URL) -> URL { directory.appendingPathComponent("workers.yaml") }

    @Test(
        "a stopped worker retired for good: what the broker queued for it and its inbox reach the journal, once, and it leaves status"
    )
    func retireStoppedWorker() async throws {
        try await Self.withWorkers { broker, directory, database, store, workers, publisher in
            try await CrashRecoveryTests.publish(0..<500, with: publisher)
            #expect(workers[1].stop() == 0)
            // Stopped, b is still a member of the group: the broker queues b's share for it.
            try await CrashRecoveryTests.publish(500..<1500, with: publisher)
            _ = try await eventually(timeout: .seconds(30)) { try store.journalBacklog() == 0 }
            #expect(try store.readingCount() < 1500, "b's share of the stream waits for b")

            let (refused, refusal) = try teleIngest(
                ["workers", "retire", "--db", database.path, "--broker", broker.url], in: directory)
            #expect(refused != 0 && refusal.contains("--worker NAME"), "\(refusal)")

            let (status, output) = try teleIngest(
                [
                    "workers", "retire", "--config", Self.configFile(in: directory).path, "--db", database.path,
                    "--broker", broker.url, "--worker", "b", "--client-id", "tele-ingest-test-b",
                    "--shared-group", Self.group,
                ], in: directory)
            #expect(status == 0, "\(output)")
            #expect(output.contains("worker b retired"), "\(output)")
            #expect(!output.contains(": 0 messages collected"), "the broker held b's share: \(output)")
            // Worker a finds what b's retirement put into the journal at its next heartbeat.
            try await CrashRecoveryTests.expectExactlyOnce(store, count: 1500)
            #expect(try store.serviceReport().workers.map(\.status.worker.text) == ["a"])
            let inbox = MessageInbox.path(forStore: database.path, worker: try #require(WorkerName("b")))
            #expect(!FileManager.default.fileExists(atPath: inbox))
            // The session is gone: b's share no longer waits anywhere, a takes everything.
            try await CrashRecoveryTests.publish(1500..<1600, with: publisher)
            try await CrashRecoveryTests.expectExactlyOnce(store, count: 1600)
            #expect(workers[0].stop() == 0)
        }
    }

    /// A broker, a store with the test cohort, workers `a` and `b` started and connected, and a
    /// publisher; `body` owns stopping the workers.
    static func withWorkers(
        _ body: (Broker, URL, URL, MonitoringStore, [ServiceProcess], Publisher) async throws -> Void
    ) async throws {
        try await withBroker { broker in
            try await withTemporaryDirectory { directory in
                let database = directory.appendingPathComponent("shared.sqlite")
                let store = try MonitoringStore(path: database.path, clock: TestCohort.clock)
                try TestCohort.register(in: store)
                let workers = try Self.workers(broker: broker, database: database, directory: directory)
                try await withConnectedWorkers(workers, broker: broker) { publisher in
                    try await body(broker, directory, database, store, workers, publisher)
                }
            }
        }
    }

    /// `tele-ingest status` on the workers' store, with their heartbeat interval.
    static func status(_ database: URL, in directory: URL) throws -> (Int32, String) {
        try teleIngest(["status", "--config", configFile(in: directory).path, "--db", database.path], in: directory)
    }

    /// The configuration the workers run with, on another database.
    static func configuration(database: String) -> IngestConfiguration {
        var configuration = IngestConfiguration()
        configuration.databasePath = database
        configuration.profilesDirectory = Paths.deviceProfiles.path
        configuration.rules.file = Paths.packageRoot.appendingPathComponent("rules/heart-failure-guideline.yaml").path
        configuration.clock = TestCohort.clock
        return configuration
    }

    /// The flags the stream of `count` weighings leaves standing when one SQLite processor takes
    /// it in publish order (a store of its own in `directory`).
    static func standingFlagsOfOneProcessor(count: Int, in directory: URL) throws -> [String] {
        let reference = try MonitoringStore(
            path: directory.appendingPathComponent("one.sqlite").path, clock: TestCohort.clock)
        try TestCohort.register(in: reference)
        try reference.journal(
            .mqtt,
            messages: (0..<count).map { ("telekit/HV10-00017/hv10", Data(CrashRecoveryTests.weighing($0).utf8)) })
        var processor = try JournalProcessor(configuration: Self.configuration(database: reference.path))
        processor.clock = TestCohort.clock
        while try !processor.processPending().isEmpty {}
        return try standingFlags(reference)
    }

    /// The flags a stream leaves standing (withdrawn ones are how late readings were handled,
    /// which depends on the order of batches): what, how severe, in which state, on which
    /// evidence. Missing-data flags are left out: they come from the workers' clock-driven check,
    /// which runs whenever the stream has been quiet for a few seconds, not from the stream.
    static func standingFlags(_ store: MonitoringStore) throws -> [String] {
        try standingFlags(store.flags())
    }

    static func standingFlags(_ flags: [PatientFlag]) throws -> [String] {
        let rules = try RuleFile.load(
            from: Paths.packageRoot.appendingPathComponent("rules/heart-failure-guideline.yaml"))
        let clockDriven = Set(rules.rules.filter { $0.kind == .missing }.map(\.id))
        return flags.filter { $0.state != .withdrawn && !clockDriven.contains($0.ruleID) }.map {
            "\($0.problem) \($0.ruleID) \($0.severity) \($0.state) \($0.evidenceAt.formatted(.iso8601))"
        }.sorted()
    }
}
