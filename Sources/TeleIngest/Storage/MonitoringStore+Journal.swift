import Foundation
import GRDB
import MonitoringRecords
import ReadingIntake

extension MonitoringStore {
    /// Commits one raw message to the journal and returns its id. Autocommit with a cached
    /// statement, no explicit transaction. (The running service commits to its `MessageInbox`
    /// instead and moves messages in batches.)
    @discardableResult
    public func journal(_ source: MessageSource, topic: String, payload: Data, receivedAt: Date? = nil) throws
        -> Int64
    {
        let receivedAt = receivedAt ?? clock.now()
        return try database.writeWithoutTransaction { db in
            let statement = try db.cachedStatement(
                sql: "INSERT INTO journal (source, topic, payload, received_at) VALUES (?, ?, ?, ?)")
            try statement.execute(arguments: [source.rawValue, topic, payload, receivedAt.millisecondsSince1970])
            return db.lastInsertedRowID
        }
    }

    /// Commits many messages to the journal in one transaction (bulk import); returns their ids.
    @discardableResult
    public func journal(_ source: MessageSource, messages: [(topic: String, payload: Data)], receivedAt: Date? = nil)
        throws -> [Int64]
    {
        let receivedAt = receivedAt ?? clock.now()
        return try database.write { db in
            let statement = try db.cachedStatement(
                sql: "INSERT INTO journal (source, topic, payload, received_at) VALUES (?, ?, ?, ?)")
            return try messages.map { message in
                try statement.execute(arguments: [
                    source.rawValue, message.topic, message.payload, receivedAt.millisecondsSince1970,
                ])
                return db.lastInsertedRowID
            }
        }
    }

    /// The oldest unprocessed journal entries, up to `limit`, of one source or all.
    public func pendingJournal(limit: Int, source: MessageSource? = nil) throws -> [JournalEntry] {
        try database.read { db in try pendingJournal(limit: limit, after: nil, source: source, db: db) }
    }

    /// The oldest unprocessed journal entries after `after` (an entry id; `nil`: from the start),
    /// up to `limit`, of one source or all, inside the caller's transaction.
    func pendingJournal(limit: Int, after: Int64?, source: MessageSource?, db: Database) throws -> [JournalEntry] {
        var filter = ""
        var arguments: StatementArguments = []
        if let after {
            filter += " AND id > ?"
            _ = arguments.append(contentsOf: [after])
        }
        if let source {
            filter += " AND source = ?"
            _ = arguments.append(contentsOf: [source.rawValue])
        }
        _ = arguments.append(contentsOf: [limit])
        return try Row.fetchAll(
            db,
            sql:
                "SELECT id, source, topic, payload, received_at FROM journal WHERE processed_at IS NULL\(filter) ORDER BY id LIMIT ?",
            arguments: arguments
        ).map(JournalEntry.init(row:))
    }

    /// How many journal entries wait to be processed (messages still in the service's inbox
    /// not counted: `IngestService.backlog()`).
    public func journalBacklog() throws -> Int {
        try database.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM journal WHERE processed_at IS NULL") ?? 0
        }
    }

    /// The outcome counts of processed journal entries.
    public func journalOutcomes() throws -> [JournalOutcome: Int] {
        try database.read { db in
            var counts: [JournalOutcome: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT outcome, COUNT(*) AS n FROM journal WHERE outcome IS NOT NULL GROUP BY outcome")
            {
                if let outcome = JournalOutcome(rawValue: row["outcome"]) { counts[outcome] = row["n"] }
            }
            return counts
        }
    }
}

extension JournalEntry {
    init(row: Row) {
        self.init(
            id: row["id"], source: MessageSource(rawValue: row["source"]) ?? .mqtt, topic: row["topic"],
            payload: row["payload"], receivedAt: Date(millisecondsSince1970: row["received_at"]))
    }
}
