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
    /// A connection of its own holding the write lock of the store at `path` until `release`.
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
            let inbox = try MessageInbox(storePath: path)
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
            #expect(inbox.count(after: 0) == 0, "moved messages are deleted from the inbox")
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

    /// The inbox file as a crash right after the store's commit leaves it: `move` runs, then the
    /// file is put back as it was before (the trim never happened), and opened again.
    static func crashBeforeTrim<T>(_ inbox: MessageInbox, storePath: String, _ move: () async throws -> T) async throws
        -> (
            T, MessageInbox
        )
    {
        let before = try Data(contentsOf: URL(fileURLWithPath: inbox.path))
        let result = try await move()
        try before.write(to: URL(fileURLWithPath: inbox.path))
        return (result, try MessageInbox(storePath: storePath))
    }

    @Test("after a crash between the store's commit and the inbox's trim, nothing is moved twice")
    func crashBeforeTrim() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("s.sqlite").path
            let store = try MonitoringStore(path: path, clock: TestCohort.clock)
            let first = try MessageInbox(storePath: path)
            for index in 0..<3 { try first.append(topic: "t/\(index)", payload: Data(), receivedAt: TestCohort.now) }
            let (moved, inbox) = try await Self.crashBeforeTrim(first, storePath: path) {
                try store.moveFromInbox(first, limit: 10)
            }
            #expect(moved == 3)
            #expect(try journalTopics(store) == ["t/0", "t/1", "t/2"])
            #expect(inbox.count(after: 0) == 3, "still in the inbox")
            #expect(try store.moveFromInbox(inbox, limit: 10) == 0)
            #expect(try journalTopics(store) == ["t/0", "t/1", "t/2"])
            try inbox.append(topic: "t/3", payload: Data(), receivedAt: TestCohort.now)
            #expect(try store.moveFromInbox(inbox, limit: 10) == 1)
            #expect(inbox.count(after: 0) == 0)
            #expect(try journalTopics(store) == ["t/0", "t/1", "t/2", "t/3"])
        }
    }

    @Test(
        "on PostgreSQL, after a crash between the store's commit and the inbox's trim, the copies the inbox still holds are not journaled again"
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
                    let inboxPath = directory.appendingPathComponent("w.sqlite").path
                    let first = try MessageInbox(storePath: inboxPath)
                    for index in 0..<3 {
                        try first.append(topic: "t/\(index)", payload: Data(), receivedAt: TestCohort.now)
                    }
                    let (moved, inbox) = try await Self.crashBeforeTrim(first, storePath: inboxPath) {
                        try await worker.moveFromInbox(first, limit: 10)
                    }
                    #expect(moved == 3)
                    #expect(try await store.journalBacklog() == 3)
                    #expect(try await store.inboxMovedThrough(worker: .main) == 3)
                    #expect(inbox.count(after: 0) == 3, "still in the inbox")
                    // The copies come out of the inbox again; the store leaves them out.
                    #expect(try await worker.moveFromInbox(inbox, limit: 10) == 3)
                    #expect(try await store.journalBacklog() == 3)
                    #expect(inbox.count(after: 0) == 0)
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

    /// `count` messages appended to a new inbox beside `path`, topics `t/0`, `t/1`, …
    static func filledInbox(_ path: String, count: Int, payload: Data = Data("{}".utf8)) throws -> MessageInbox {
        let inbox = try MessageInbox(storePath: path)
        for index in 0..<count {
            try inbox.append(topic: "t/\(index)", payload: payload, receivedAt: TestCohort.now)
        }
        return inbox
    }

    @Test("messages come back whole and in order, also after the inbox is opened again")
    func appendedMessagesComeBack() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("s.sqlite").path
            let inbox = try MessageInbox(storePath: path)
            let payloads = [Data(), Data("{\"w\":81.4}".utf8), Data((0..<3000).map { UInt8($0 % 256) })]
            for (index, payload) in payloads.enumerated() {
                #expect(
                    try inbox.append(topic: "telekit/Ø-\(index)", payload: payload, receivedAt: TestCohort.now)
                        == Int64(index + 1))
            }
            for reopened in [inbox, try MessageInbox(storePath: path)] {
                let messages = try reopened.messages(after: 0, limit: 10)
                #expect(messages.map(\.id) == [1, 2, 3])
                #expect(messages.map(\.topic) == ["telekit/Ø-0", "telekit/Ø-1", "telekit/Ø-2"])
                #expect(messages.map(\.payload) == payloads)
                #expect(messages.allSatisfy { $0.receivedAt == TestCohort.now.millisecondsSince1970 })
                #expect(try reopened.messages(after: 1, limit: 1).map(\.id) == [2])
                #expect(reopened.count(after: 1) == 2)
                #expect(try MessageInbox.count(storePath: path, worker: .main, after: 1) == 2)
            }
        }
    }

    @Test(
        "an inbox whose end a power loss tore is cut at the first record that is not whole",
        arguments: [
            (damage: "the last record cut short", keep: 4),
            (damage: "a byte of the third record changed", keep: 2),
            (damage: "zeros after the last record", keep: 5),
        ])
    func tornEndIsCutOff(damage: String, keep: Int) async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("s.sqlite").path
            let inbox = try Self.filledInbox(path, count: 5)
            var bytes = try Data(contentsOf: URL(fileURLWithPath: inbox.path))
            let recordSize = (bytes.count - 16) / 5
            switch damage {
            case "the last record cut short": bytes.removeLast(3)
            case "a byte of the third record changed": bytes[16 + 2 * recordSize + 12] ^= 0xFF
            default: bytes.append(Data(count: 4096))
            }
            try bytes.write(to: URL(fileURLWithPath: inbox.path))
            let reopened = try MessageInbox(storePath: path)
            #expect(reopened.discardedBytes > 0)
            #expect(try reopened.messages(after: 0, limit: 10).map(\.topic) == (0..<keep).map { "t/\($0)" })
            // The next message follows the last whole one and comes back after it.
            #expect(try reopened.append(topic: "next", payload: Data(), receivedAt: TestCohort.now) == Int64(keep + 1))
            #expect(try MessageInbox(storePath: path).messages(after: 0, limit: 10).last?.topic == "next")
            #expect(try MessageInbox(storePath: path).discardedBytes == 0)
        }
    }

    @Test("ids go on after the store's mark when the inbox lost its file or its header")
    func idsContinueAfterTheMark() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("s.sqlite").path
            let store = try MonitoringStore(path: path, clock: TestCohort.clock)
            let inbox = try Self.filledInbox(path, count: 3)
            #expect(try store.moveFromInbox(inbox, limit: 10) == 3)
            // The file is gone (or cut back with an old header): a new one would start at 1.
            try FileManager.default.removeItem(atPath: inbox.path)
            let fresh = try Self.filledInbox(path, count: 1)
            try fresh.continueAfter(movedThrough: try store.inboxMovedThrough())
            #expect(fresh.count(after: 0) == 0, "what the log held at or below the mark was moved already")
            #expect(try fresh.append(topic: "after", payload: Data(), receivedAt: TestCohort.now) == 4)
            #expect(try store.moveFromInbox(fresh, limit: 10) == 1)
            #expect(try journalTopics(store) == ["t/0", "t/1", "t/2", "after"])
            // The trim's header keeps the newest id when the log is emptied.
            #expect(try MessageInbox(storePath: path).highWater() == 4)
        }
    }

    @Test("a trim that leaves many moved bytes behind rewrites the file with the rest, ids kept")
    func compaction() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("s.sqlite").path
            let payload = Data(repeating: 0x41, count: 8192)
            let count = Int(MessageInbox.compactionBytes) / payload.count + 10
            let inbox = try Self.filledInbox(path, count: count, payload: payload)
            let moved = try inbox.messages(after: 0, limit: count - 3)
            try inbox.trim(through: try #require(moved.last?.id))
            let size = try #require(
                try FileManager.default.attributesOfItem(atPath: inbox.path)[.size] as? NSNumber
            ).intValue
            #expect(size < 4 * payload.count, "three messages and the header are left, not \(size) bytes")
            try inbox.append(topic: "after", payload: Data(), receivedAt: TestCohort.now)
            for reading in [inbox, try MessageInbox(storePath: path)] {
                let left = try reading.messages(after: 0, limit: 10)
                #expect(left.map(\.id) == (count - 2...count + 1).map(Int64.init))
                #expect(left.map(\.topic) == (count - 3..<count).map { "t/\($0)" } + ["after"])
                #expect(left.first?.payload == payload)
            }
        }
    }

    @Test("an inbox from before the log (a SQLite file) is converted when opened, ids kept")
    func sqliteInboxIsConverted() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("s.sqlite").path
            for (rows, trimmed, next) in [(5, 2, Int64(6)), (4, 4, Int64(5))] {
                let legacy = MessageInbox.path(forStore: path)
                try? FileManager.default.removeItem(atPath: legacy)
                let queue = try DatabaseQueue(path: legacy)
                try queue.write { db in
                    try db.execute(
                        sql: """
                            CREATE TABLE message (id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL,
                                payload BLOB NOT NULL, received_at INTEGER NOT NULL)
                            """)
                    for index in 0..<rows {
                        try db.execute(
                            sql: "INSERT INTO message (topic, payload, received_at) VALUES (?, ?, ?)",
                            arguments: ["t/\(index)", Data([UInt8(index)]), 1000 + index])
                    }
                    try db.execute(sql: "DELETE FROM message WHERE id <= ?", arguments: [trimmed])
                }
                try queue.close()
                #expect(try MessageInbox.count(storePath: path, worker: .main, after: 0) == rows - trimmed)
                let inbox = try MessageInbox(storePath: path)
                let messages = try inbox.messages(after: 0, limit: 10)
                #expect(messages.map(\.id) == (trimmed..<rows).map { Int64($0 + 1) })
                #expect(messages.map(\.topic) == (trimmed..<rows).map { "t/\($0)" })
                #expect(messages.map(\.payload) == (trimmed..<rows).map { Data([UInt8($0)]) })
                #expect(messages.map(\.receivedAt) == (trimmed..<rows).map { Int64(1000 + $0) })
                #expect(try inbox.append(topic: "new", payload: Data(), receivedAt: TestCohort.now) == next)
                let head = try FileHandle(forReadingFrom: URL(fileURLWithPath: legacy)).readData(ofLength: 7)
                #expect(String(decoding: head, as: UTF8.self) == "TIINBOX")
            }
        }
    }

    /// The journal as rows of (id, topic, outcome, processed), and the readings as (journal id, message id).
    static func journalAndReadings(_ store: MonitoringStore) throws -> [[String]] {
        try store.database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, topic, outcome, processed_at IS NOT NULL FROM journal ORDER BY id"
            ).map { row in (0..<4).map { "\(row[$0] as DatabaseValue)" } }
                + Row.fetchAll(db, sql: "SELECT journal_id, message_id FROM reading ORDER BY id").map { row in
                    ["reading", "\(row[0] as DatabaseValue)", "\(row[1] as DatabaseValue)"]
                }
        }
    }

    @Test(
        "processed straight from the inbox, each message's journal entry is written once with its outcome, as moving it first would leave it"
    )
    func processedStraightFromTheInbox() async throws {
        try await withTemporaryDirectory { directory in
            let messages =
                (0..<3).map { CrashRecoveryTests.weighing($0) } + ["not json", CrashRecoveryTests.weighing(1)]
            var stores: [[[String]]] = []
            for straight in [true, false] {
                let folder = directory.appendingPathComponent(straight ? "straight" : "moved")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                let processor = try TestCohort.processor(in: folder)
                let inbox = try MessageInbox(storePath: processor.store.path)
                for payload in messages {
                    try inbox.append(
                        topic: "telekit/HV10-00017/hv10", payload: Data(payload.utf8), receivedAt: TestCohort.now)
                }
                let results: [MessageResult]
                if straight {
                    results = try processor.processInbox(inbox, limit: 10, chunk: 2).results
                } else {
                    #expect(try processor.store.moveFromInbox(inbox, limit: 10) == 5)
                    results = try processor.processPending(limit: 10)
                }
                #expect(results.map(\.outcome) == [.stored, .stored, .stored, .quarantined, .duplicate])
                #expect(try processor.store.journalBacklog() == 0)
                #expect(try processor.store.inboxMovedThrough() == 5)
                #expect(inbox.count(after: 0) == 0)
                #expect(try processor.store.quarantine().count == 1)
                stores.append(try Self.journalAndReadings(processor.store))
            }
            #expect(stores[0] == stores[1])
            #expect(stores[0].count == 5 + 3)
        }
    }

    @Test("processed straight from the inbox, a crash before the trim stores nothing twice")
    func processedStraightCrashBeforeTrim() async throws {
        try await withTemporaryDirectory { directory in
            let processor = try TestCohort.processor(in: directory)
            let first = try MessageInbox(storePath: processor.store.path)
            for index in 0..<3 {
                try first.append(
                    topic: "telekit/HV10-00017/hv10", payload: Data(CrashRecoveryTests.weighing(index).utf8),
                    receivedAt: TestCohort.now)
            }
            let (batch, inbox) = try await Self.crashBeforeTrim(first, storePath: processor.store.path) {
                try processor.processInbox(first, limit: 10)
            }
            #expect(batch.results.count == 3)
            #expect(inbox.count(after: 0) == 3, "still in the inbox")
            #expect(try processor.processInbox(inbox, limit: 10).results.isEmpty)
            #expect(try processor.store.readingCount() == 3)
            try inbox.append(
                topic: "telekit/HV10-00017/hv10", payload: Data(CrashRecoveryTests.weighing(3).utf8),
                receivedAt: TestCohort.now)
            #expect(try processor.processInbox(inbox, limit: 10).results.map(\.journalID) == [4])
            #expect(try processor.store.readingCount() == 4)
            #expect(inbox.count(after: 0) == 0)
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
