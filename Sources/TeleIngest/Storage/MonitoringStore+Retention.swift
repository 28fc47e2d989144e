import Foundation
import GRDB
import MonitoringRecords
import StoreInterface

extension MonitoringStore: JournalRetention {
    public func pruneJournalPayloads(receivedBefore cutoff: Date, limit: Int, at instant: Date) throws
        -> JournalPruning
    {
        try database.write { db in
            let mark = try Int64.fetchOne(db, sql: "SELECT pruned_through FROM journal_retention WHERE id = 1") ?? 0
            // Walk on in id order; stop before the first message that is too young or not yet
            // processed: everything behind the new mark has been judged once and for all.
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT id, received_at, processed_at IS NOT NULL FROM journal WHERE id > ? ORDER BY id LIMIT ?",
                arguments: [mark, limit])
            var through = mark
            var stopped = false
            for row in rows {
                let receivedAt: Int64 = row[1]
                let processed: Bool = row[2]
                if receivedAt >= cutoff.millisecondsSince1970 || !processed {
                    stopped = true
                    break
                }
                through = row[0]
            }
            guard through > mark else { return JournalPruning(messages: 0, bytes: 0, more: false) }
            try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
            let removed = try removePayloads(
                where: "id > ? AND id <= ? AND outcome IN ('stored', 'duplicate')", arguments: [mark, through],
                at: instant.millisecondsSince1970, db: db)
            try db.execute(sql: "UPDATE journal_retention SET pruned_through = ? WHERE id = 1", arguments: [through])
            return JournalPruning(
                messages: removed.messages, bytes: removed.bytes, more: !stopped && rows.count == limit)
        }
    }

    /// Removes the kept payloads of the journal messages `filter` selects; returns how many and
    /// their bytes. The rows are deleted and inserted again under the same ids rather than
    /// updated: SQLite merges the pages a delete empties and frees them (the free list, which
    /// incremental vacuum gives back), while an update that shrinks a row leaves its page as
    /// sparse as it is. The readings' and the quarantine's references to these ids are checked
    /// at commit: the caller defers foreign keys.
    func removePayloads(where filter: String, arguments: StatementArguments, at stamp: Int64, db: Database) throws
        -> (messages: Int, bytes: Int64)
    {
        let selection = "(\(filter)) AND payload_removed_at IS NULL"
        let kept = try Row.fetchAll(
            db,
            sql:
                "SELECT id, source, topic, received_at, processed_at, outcome, length(payload) FROM journal WHERE \(selection)",
            arguments: arguments)
        try db.execute(sql: "DELETE FROM journal WHERE \(selection)", arguments: arguments)
        let insert = try db.cachedStatement(
            sql: """
                INSERT INTO journal (id, source, topic, payload, received_at, processed_at, outcome, payload_removed_at)
                VALUES (?, ?, ?, zeroblob(0), ?, ?, ?, ?)
                """)
        for row in kept {
            try insert.execute(arguments: [row[0], row[1], row[2], row[3], row[4], row[5], stamp])
        }
        return (kept.count, kept.reduce(0) { $0 + ($1[6] as Int64) })
    }

    /// With incremental vacuum (every store made since schema v16, or one converted by
    /// `convertToIncrementalVacuum`), moves the free pages to the end of the file and cuts them
    /// off; the file shrinks when the next checkpoint completes (the service checkpoints on its
    /// own thread; a second checkpoint here would only collide with it). `nil` without
    /// incremental vacuum: the freed pages are reused by new data but the file keeps its size.
    public func reclaimFreedSpace() throws -> Int64? {
        try database.writeWithoutTransaction { db in
            guard try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") == 2 else { return nil }
            let pageSize = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
            let free = try Int64.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
            try db.execute(sql: "PRAGMA incremental_vacuum")
            return free * pageSize
        }
    }

    public func journalPayloads() throws -> JournalPayloads {
        try database.read { db in
            let row =
                try Row.fetchOne(
                    db,
                    sql: """
                        SELECT count(*) FILTER (WHERE payload_removed_at IS NULL),
                            coalesce(sum(length(payload)) FILTER (WHERE payload_removed_at IS NULL), 0),
                            count(*) FILTER (WHERE payload_removed_at IS NOT NULL)
                        FROM journal
                        """) ?? Row()
            return JournalPayloads(kept: row[0] ?? 0, keptBytes: row[1] ?? 0, removed: row[2] ?? 0)
        }
    }

    /// Whether the file gives freed space back while running (`PRAGMA auto_vacuum` incremental).
    public func givesSpaceBack() throws -> Bool {
        try database.read { db in try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") == 2 }
    }

    /// Turns incremental vacuum on for a store made before it was the default, rewriting the
    /// file once (`VACUUM`: the store is locked meanwhile, and the disk needs room for a copy).
    public func convertToIncrementalVacuum() throws {
        try database.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
            try db.execute(sql: "VACUUM")
            _ = try db.checkpoint(.truncate)
        }
    }
}
