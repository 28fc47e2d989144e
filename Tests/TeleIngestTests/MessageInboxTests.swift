import DevicePayloads
import Foundation
import GRDB
import IngestWorker
import MonitoringRecords
import PostgresStore
import ReadingIntake
import StoreInterface
import Testing

@testable import TeleIngest

/// The MQTT callback commits to the inbox, beside the store, so intake never waits for a batch;
/// the service moves the inbox into the journal.
@Suite struct MessageInboxTests {
    /// A connection of its own holding the write lock of the file at `path` until `release`.
    final class WriteLock: Sendable {
        let queue: DatabaseQueue
        init(_ path: String) throws {
            var configuration = Configuration()
            configuration.allowsUnsafeTransactions = true
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.inDatabase { try $0.execute(sql: "BEGIN IMMEDIATE") }
        }
        func release() throws { try queue.inDatabase { try $0.execute(sql: "ROLLBACK") } }
    }

    func journalTopics(_ store: MonitoringStore) throws -> [String] {
        try store.database.read { db in try String.fetchAll(db, sql: "SELECT topic FROM journal ORDER BY id") }
    }

    @Test("the inbox takes messages while another connection holds the store's write lock, as a batch does")
    func intakeDoesNotWaitForTheStore() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("s.sqlite").path
            let store = try MonitoringStore(path: path, busyTimeout: 0.1, clock: TestCohort.clock)
            // A short busy timeout: a write that needed the store's lock would fail, not wait.
            let inbox = try MessageInbox(storePath: path, busyTimeout: 0.1)
            let batch = try WriteLock(path)
            for index in 0..<3 {
                try inbox.append(
                    topic: "telekit/S/\(index)", payload: Data("m\(index)".utf8), receivedAt: TestCohort.now)
            }
            #expect(throws: DatabaseError.self) { try store.moveFromInbox(inbox, limit: 10) }
            try batch.release()
            #expect(try store.moveFromInbox(inbox, limit: 10) == 3)
            #expect(try journalTopics(store) == ["telekit/S/0", "telekit/S/1", "telekit/S/2"])
        }
    }

    @Test("messages move into the journal in arrival order, each once, and later ones after moved ones were deleted")
    func movedInOrderOnce() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("s.sqlite").path
            let store = try MonitoringStore(path: path, clock: TestCohort.clock)
            let inbox = try MessageInbox(storePath: path)
            for index in 0..<5 {
                try inbox.append(topic: "t/\(index)", payload: Data([UInt8(index)]), receivedAt: TestCohort.now)
            }
            #expect(try store.moveFromInbox(inbox, limit: 2) == 2)
            #expect(try store.moveFromInbox(inbox, limit: 2) == 2)
            #expect(try store.moveFromInbox(inbox, limit: 2) == 1)
            #expect(try store.moveFromInbox(inbox, limit: 2) == 0)
            #expect(try inbox.count(after: 0) == 0, "moved messages are deleted from the inbox")
            // Ids are never reused once the inbox is empty: otherwise these would sit at or below
            // the store's mark and never move.
            for index in 5..<7 {
                try inbox.append(topic: "t/\(index)", payload: Data([UInt8(index)]), receivedAt: TestCohort.now)
            }
            #expect(try store.moveFromInbox(inbox, limit: 10) == 2)
            #expect(try journalTopics(store) == (0..<7).map { "t/\($0)" })
            #expect(try store.journalBacklog() == 7)
            let payloads = try await store.database.read { db in
                try Data.fetchAll(db, sql: "SELECT payload FROM journal ORDER BY id")
            }
            #expect(payloads == (0..<7).map { Data([UInt8($0)]) })
        }
    }

    @Test("after a crash between the store's commit and the inbox's delete, nothing is moved twice")
    func crashBeforeTrim() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("s.sqlite").path
            let store = try MonitoringStore(path: path, clock: TestCohort.clock)
            let inbox = try MessageInbox(storePath: path, busyTimeout: 0.1)
            for index in 0..<3 { try inbox.append(topic: "t/\(index)", payload: Data(), receivedAt: TestCohort.now) }
            // The delete from the inbox fails after the store has committed the move.
            let lock = try WriteLock(inbox.path)
            #expect(throws: DatabaseError.self) { try store.moveFromInbox(inbox, limit: 10) }
            try lock.release()
            #expect(try journalTopics(store) == ["t/0", "t/1", "t/2"])
            #expect(try inbox.count(after: 0) == 3, "still in the inbox")
            #expect(try store.moveFromInbox(inbox, limit: 10) == 0)
            #expect(try journalTopics(store) == ["t/0", "t/1", "t/2"])
            try inbox.append(topic: "t/3", payload: Data(), receivedAt: TestCohort.now)
            #expect(try store.moveFromInbox(inbox, limit: 10) == 1)
            #expect(try inbox.count(after: 0) == 0)
            #expect(try journalTopics(store) == ["t/0", "t/1", "t/2", "t/3"])
        }
    }

    @Test(
        "on PostgreSQL, after a crash between the store's commit and the inbox's delete, the copies the inbox still holds are not journaled again"
    )
    func crashBeforeTrimOnPostgres() async throws {
        try await withPostgres { cluster in
            try await withTemporaryDirectory { directory in
                let location = try PostgresLocation(url: try cluster.createDatabase())
                try await PostgresMonitoringStore.with(location, clock: TestCohort.clock) { store in
                    let worker = PostgresWorkerStore(
                        store: store,
                        intake: ReadingIntake(
                            decoder: MessageDecoder(profiles: try TestCohort.profiles()), futureTolerance: 300,
                            defaultTimeZone: .gmt),
                        rules: nil)
                    let inbox = try MessageInbox(
                        storePath: directory.appendingPathComponent("w.sqlite").path, busyTimeout: 0.1)
                    for index in 0..<3 {
                        try inbox.append(topic: "t/\(index)", payload: Data(), receivedAt: TestCohort.now)
                    }
                    // The delete from the inbox fails after the store has committed the move.
                    let lock = try WriteLock(inbox.path)
                    await #expect(throws: DatabaseError.self) { try await worker.moveFromInbox(inbox, limit: 10) }
                    try lock.release()
                    #expect(try await store.journalBacklog() == 3)
                    #expect(try await store.inboxMovedThrough(worker: .main) == 3)
                    #expect(try inbox.count(after: 0) == 3, "still in the inbox")
                    // The copies come out of the inbox again; the store leaves them out.
                    #expect(try await worker.moveFromInbox(inbox, limit: 10) == 3)
                    #expect(try await store.journalBacklog() == 3)
                    #expect(try inbox.count(after: 0) == 0)
                    try inbox.append(topic: "t/3", payload: Data(), receivedAt: TestCohort.now)
                    #expect(try await worker.moveFromInbox(inbox, limit: 10) == 1)
                    #expect(try await store.journalBacklog() == 4)
                    #expect(try await store.inboxMovedThrough(worker: .main) == 4)
                    // The store's own answer: how many of the messages it journaled.
                    #expect(
                        try await store.moveFromInbox([(4, "t/3", Data(), 0), (5, "t/4", Data(), 0)], worker: .main)
                            == 1)
                    #expect(try await store.moveFromInbox([(5, "t/4", Data(), 0)], worker: .main) == 0)
                }
            }
        }
    }

    @Test("two workers' inboxes are files of their own, each moved under its own mark")
    func workersKeepTheirOwnMarks() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("s.sqlite").path
            let store = try MonitoringStore(path: path, clock: TestCohort.clock)
            let second = try #require(WorkerName("b"))
            let main = try MessageInbox(storePath: path)
            let other = try MessageInbox(storePath: path, worker: second)
            #expect(main.path == path + ".inbox")
            #expect(other.path == path + ".inbox-b")
            // Both start at id 1: one shared mark would skip the second worker's messages.
            for index in 0..<3 { try main.append(topic: "a/\(index)", payload: Data(), receivedAt: TestCohort.now) }
            for index in 0..<2 { try other.append(topic: "b/\(index)", payload: Data(), receivedAt: TestCohort.now) }
            #expect(try store.moveFromInbox(main, limit: 10) == 3)
            #expect(try store.moveFromInbox(other, limit: 10) == 2)
            #expect(try store.inboxMovedThrough(worker: .main) == 3)
            #expect(try store.inboxMovedThrough(worker: second) == 2)
            try other.append(topic: "b/2", payload: Data(), receivedAt: TestCohort.now)
            #expect(try store.moveFromInbox(main, limit: 10) == 0)
            #expect(try store.moveFromInbox(other, limit: 10) == 1)
            #expect(Set(try journalTopics(store)) == ["a/0", "a/1", "a/2", "b/0", "b/1", "b/2"])
        }
    }

    @Test("a store from before workers had names keeps its inbox mark and status as worker main")
    func fromBeforeV10() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("v9.sqlite").path
            let queue = try DatabaseQueue(path: path)
            try Schema.migrator.migrate(queue, upTo: "v9: reminders to measure, one per patient, rule and due day")
            try queue.write { db in
                try db.execute(
                    sql: """
                        UPDATE inbox_progress SET moved_through = 41 WHERE id = 1;
                        INSERT INTO service_status (id, pid, started_at, updated_at, broker, connection, connected,
                            connection_since, running, falling_behind)
                        VALUES (1, 4242, 1000, 2000, '127.0.0.1:1883', 'connected', 1, 1000, 0, 0);
                        """)
            }
            try queue.close()
            let store = try MonitoringStore(path: path, clock: TestCohort.clock)
            #expect(try store.inboxMovedThrough(worker: .main) == 41)
            let report = try store.serviceReport()
            #expect(report.workers.map(\.status.worker) == [.main])
            #expect(report.workers.first?.status.pid == 4242)
            #expect(report.workers.first?.status.running == false)
            #expect(try store.schemaVersion() == Schema.migrator.migrations.last, "migrated to the newest version")
        }
    }
}
