import Foundation
import MonitoringRecords
import PostgresStore
import ReadingIntake
import StoreInterface
import Testing

@testable import TeleIngest

#if canImport(Glibc)
    import Glibc
#endif

/// Real `tele-ingest run` processes on one PostgreSQL store (a private cluster), sharing the
/// devices' traffic through an MQTT shared subscription on a real broker, each with its inbox
/// in a folder of its own.
@Suite(.serialized) struct PostgresWorkersTests {
    /// A broker, a PostgreSQL database with the test cohort, workers `a` and `b` started on it
    /// and connected, and a publisher; `body` owns stopping the workers.
    static func withWorkers(
        _ body: (Broker, URL, String, PostgresMonitoringStore, [ServiceProcess], Publisher) async throws -> Void
    ) async throws {
        try await withBroker { broker in
            try await withPostgres { cluster in
                try await withTemporaryDirectory { directory in
                    let url = try cluster.createDatabase()
                    try await PostgresMonitoringStore.with(try PostgresLocation(url: url), clock: TestCohort.clock) {
                        store in
                        try await ReadingIntakeConformanceTests.register(store)
                        let workers = try ["a", "b"].map { name in
                            let folder = directory.appendingPathComponent("machine-\(name)")
                            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                            let config = folder.appendingPathComponent("tele-ingest.yaml")
                            try "ingest:\n  statusIntervalSeconds: 1\n  inboxFolder: \(folder.path)\n".write(
                                to: config, atomically: true, encoding: .utf8)
                            return ServiceProcess(
                                broker: broker, database: directory.appendingPathComponent("unused.sqlite"),
                                directory: folder, clientID: "tele-ingest-pg-\(name)", databaseURL: url,
                                extra: ["--config", config.path, "--worker", name, "--shared-group", "ingest"])
                        }
                        try await withConnectedWorkers(workers, broker: broker) { publisher in
                            try await body(broker, directory, url, store, workers, publisher)
                        }
                    }
                }
            }
        }
    }

    /// Waits until `count` readings are stored, then checks each of the stream's weighings is
    /// stored exactly once and nothing waits or was quarantined.
    static func expectExactlyOnce(_ store: PostgresMonitoringStore, count: Int) async throws {
        let stored = await eventually(timeout: .seconds(90)) { (try? await store.readingCount()) == count }
        let have = try await store.readingCount()
        #expect(stored, "\(have) of \(count) stored")
        let readings = try await store.readings(patientID: "P-0001")
        #expect(readings.count == count)
        #expect(Set(readings.compactMap(\.messageID)) == Set((0..<count).map { "s-\($0)" }))
        #expect(try await store.journalBacklog() == 0)
        #expect(try await store.quarantine().isEmpty)
    }

    @Test(
        "two workers on PostgreSQL share the stream: every reading stored once, both took part, the flags are one processor's, status lists both"
    )
    func twoWorkersShareTheStream() async throws {
        try await Self.withWorkers { broker, directory, url, store, workers, publisher in
            try await CrashRecoveryTests.publish(0..<2000, with: publisher)
            try await Self.expectExactlyOnce(store, count: 2000)

            let movedByA = try await store.inboxMovedThrough(worker: try #require(WorkerName("a")))
            let movedByB = try await store.inboxMovedThrough(worker: try #require(WorkerName("b")))
            #expect(movedByA > 0 && movedByB > 0, "a moved \(movedByA), b moved \(movedByB)")
            #expect(movedByA + movedByB == 2000, "each message reached one worker")
            for name in ["a", "b"] {
                let inbox = directory.appendingPathComponent("machine-\(name)/tele-ingest.inbox-\(name)")
                #expect(FileManager.default.fileExists(atPath: inbox.path), "each worker's inbox in its own folder")
            }

            // tele-ingest status on the same store, from worker a's machine.
            let config = directory.appendingPathComponent("machine-a/tele-ingest.yaml")
            var (status, output) = (Int32(-1), "")
            _ = try await eventually(timeout: .seconds(30)) {
                (status, output) = try teleIngest(
                    ["status", "--config", config.path, "--database-url", url], in: directory)
                return status == 0
            }
            #expect(status == 0, "\(output)")
            #expect(output.contains("worker a") && output.contains("worker b"), "\(output)")
            #expect(output.contains("client tele-ingest-pg-b"), "\(output)")
            #expect(output.contains("journal backlog: 0"), "\(output)")

            // The same stream through one SQLite processor, in publish order: the same flags.
            let alone = try IngestWorkersTests.standingFlagsOfOneProcessor(count: 2000, in: directory)
            let shared = try IngestWorkersTests.standingFlags(try await store.flags())
            #expect(!shared.isEmpty, "the stream opens flags, so the comparison says something")
            #expect(
                shared == alone,
                "two workers:\n\(shared.joined(separator: "\n"))\none processor:\n\(alone.joined(separator: "\n"))")
            for worker in workers {
                #expect(worker.stop() == 0)
                #expect(!worker.log.contains("error"), "\(worker.log)")
            }
        }
    }

    @Test("a worker on PostgreSQL killed mid-stream and restarted: every reading stored exactly once")
    func killedWorkerRestarts() async throws {
        try await Self.withWorkers { broker, directory, url, store, workers, publisher in
            try await CrashRecoveryTests.publish(0..<500, with: publisher)
            workers[1].stop(signal: SIGKILL)
            try await CrashRecoveryTests.publish(500..<1500, with: publisher)
            try workers[1].start()
            try await workers[1].waitUntilConnected(times: 2)
            try await Self.expectExactlyOnce(store, count: 1500)
            for worker in workers { #expect(worker.stop() == 0) }
        }
    }

    @Test(
        "a stopped worker on PostgreSQL retired from its machine: the broker's queue for it and its inbox reach the journal once, and it leaves status"
    )
    func retireStoppedWorker() async throws {
        try await Self.withWorkers { broker, directory, url, store, workers, publisher in
            try await CrashRecoveryTests.publish(0..<500, with: publisher)
            #expect(workers[1].stop() == 0)
            // Stopped, b is still a member of the group: the broker queues b's share for it.
            try await CrashRecoveryTests.publish(500..<1500, with: publisher)
            let machine = directory.appendingPathComponent("machine-b")
            let (status, output) = try teleIngest(
                [
                    "workers", "retire", "--config", machine.appendingPathComponent("tele-ingest.yaml").path,
                    "--database-url", url, "--broker", broker.url, "--worker", "b", "--client-id",
                    "tele-ingest-pg-b", "--shared-group", "ingest",
                ], in: machine)
            #expect(status == 0, "\(output)")
            #expect(output.contains("worker b retired"), "\(output)")
            #expect(!output.contains(": 0 messages collected"), "the broker held b's share: \(output)")
            // Worker a processes what b's retirement moved into the journal.
            try await Self.expectExactlyOnce(store, count: 1500)
            #expect(try await store.workerReports().map(\.status.worker.text) == ["a"])
            #expect(!FileManager.default.fileExists(atPath: machine.appendingPathComponent("tele-ingest.inbox-b").path))
            // The session is gone: a takes everything from now on.
            try await CrashRecoveryTests.publish(1500..<1600, with: publisher)
            try await Self.expectExactlyOnce(store, count: 1600)
            #expect(workers[0].stop() == 0)
        }
    }
}
