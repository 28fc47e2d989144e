import Foundation

/// What one pruning step removed: raw payloads of journal messages whose readings are stored.
public struct JournalPruning: Sendable, Hashable {
    /// Messages whose payload was removed.
    public var messages: Int
    /// The bytes those payloads held.
    public var bytes: Int64
    /// The step stopped at its limit: older messages may be left for the next step.
    public var more: Bool

    public init(messages: Int, bytes: Int64, more: Bool) {
        self.messages = messages
        self.bytes = bytes
        self.more = more
    }
}

/// The journal's payloads at a glance.
public struct JournalPayloads: Sendable, Hashable {
    /// Messages whose payload is kept, and its bytes.
    public var kept: Int
    public var keptBytes: Int64
    /// Messages whose payload was removed.
    public var removed: Int

    public init(kept: Int, keptBytes: Int64, removed: Int) {
        self.kept = kept
        self.keptBytes = keptBytes
        self.removed = removed
    }
}

/// Retention of the journal's raw payloads (docs/OPERATIONS.md). A message's payload is removed
/// once it is older than the retention time and every reading in it is stored (outcome stored
/// or duplicate); the readings, the message's row (topic, times, outcome), the quarantine (with
/// its own copy of the payload) and the audit log stay.
public protocol JournalRetention: Sendable {
    /// Removes the payloads of up to `limit` messages received before `receivedBefore`, walking
    /// the journal in order from where the last step stopped; `at` is recorded as the removal time.
    func pruneJournalPayloads(receivedBefore: Date, limit: Int, at: Date) async throws -> JournalPruning

    /// Gives the space freed back to the file system where the backend can do so while running
    /// (SQLite with incremental vacuum); returns the bytes given back, or `nil` when it cannot
    /// (PostgreSQL reuses the space; `VACUUM FULL` gives it back).
    func reclaimFreedSpace() async throws -> Int64?

    /// How many payloads are kept, their bytes, and how many were removed.
    func journalPayloads() async throws -> JournalPayloads
}

extension JournalRetention {
    /// Prunes in steps of `step` messages until nothing older than `receivedBefore` is left.
    public func pruneAllJournalPayloads(receivedBefore: Date, at: Date, step: Int = 10_000) async throws
        -> JournalPruning
    {
        var total = JournalPruning(messages: 0, bytes: 0, more: false)
        while true {
            let pruned = try await pruneJournalPayloads(receivedBefore: receivedBefore, limit: step, at: at)
            total.messages += pruned.messages
            total.bytes += pruned.bytes
            if !pruned.more { return total }
        }
    }
}
