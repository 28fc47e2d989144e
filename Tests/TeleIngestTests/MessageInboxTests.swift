import Foundation
import GRDB
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
}
