import Foundation
import MonitoringRecords
import PostgresNIO
import StoreInterface

extension PostgresMonitoringStore: JournalRetention {
    /// One statement: the walk from the mark (locked, so workers pruning at once take turns),
    /// the payloads removed, the mark moved.
    public func pruneJournalPayloads(receivedBefore cutoff: Date, limit: Int, at instant: Date) async throws
        -> JournalPruning
    {
        let (cut, now) = (cutoff.millisecondsSince1970, instant.millisecondsSince1970)
        return try await failing("removing old journal payloads") {
            var result = JournalPruning(messages: 0, bytes: 0, more: false)
            for try await (messages, bytes, walked, stopped) in try await client.query(
                """
                WITH mark AS (
                    SELECT pruned_through FROM journal_retention WHERE id = 1 FOR UPDATE
                ), walk AS (
                    SELECT id, received_at, processed_at FROM journal
                    WHERE id > (SELECT pruned_through FROM mark) ORDER BY id LIMIT \(limit)
                ), stop AS (
                    SELECT min(id) AS id FROM walk WHERE received_at >= instant(\(cut)) OR processed_at IS NULL
                ), span AS (
                    SELECT id FROM walk WHERE (SELECT id FROM stop) IS NULL OR id < (SELECT id FROM stop)
                ), old AS (
                    SELECT j.id, octet_length(j.payload) AS bytes FROM journal j JOIN span USING (id)
                    WHERE j.outcome IN ('stored', 'duplicate') AND j.payload_removed_at IS NULL
                ), pruned AS (
                    UPDATE journal j SET payload = '\\x'::bytea, payload_removed_at = instant(\(now))
                    FROM old WHERE j.id = old.id RETURNING j.id
                ), moved AS (
                    UPDATE journal_retention SET pruned_through = (SELECT max(id) FROM span)
                    WHERE id = 1 AND EXISTS (SELECT 1 FROM span) RETURNING pruned_through
                )
                SELECT (SELECT count(*) FROM pruned)::bigint, (SELECT coalesce(sum(bytes), 0) FROM old)::bigint,
                    (SELECT count(*) FROM walk)::bigint, (SELECT id FROM stop) IS NOT NULL
                    OR NOT EXISTS (SELECT 1 FROM moved) AND EXISTS (SELECT 1 FROM walk)
                """, logger: logger
            ).decode((Int64, Int64, Int64, Bool).self) {
                result = JournalPruning(
                    messages: Int(messages), bytes: bytes, more: !stopped && walked == Int64(limit))
            }
            return result
        }
    }

    public func journalPayloads() async throws -> JournalPayloads {
        try await failing("counting the journal's payloads") {
            var payloads = JournalPayloads(kept: 0, keptBytes: 0, removed: 0)
            for try await (kept, bytes, removed) in try await client.query(
                """
                SELECT count(*) FILTER (WHERE payload_removed_at IS NULL),
                    coalesce(sum(octet_length(payload)) FILTER (WHERE payload_removed_at IS NULL), 0)::bigint,
                    count(*) FILTER (WHERE payload_removed_at IS NOT NULL)
                FROM journal
                """, logger: logger
            ).decode((Int64, Int64, Int64).self) {
                payloads = JournalPayloads(kept: Int(kept), keptBytes: bytes, removed: Int(removed))
            }
            return payloads
        }
    }

    /// PostgreSQL reuses the space of removed payloads (autovacuum); giving it back to the file
    /// system takes `VACUUM FULL journal`, which locks the table: an operator's decision.
    public func reclaimFreedSpace() async throws -> Int64? { nil }
}
