import DevicePayloads
import Foundation
import GRDB
import MonitoringRecords
import ReadingIntake

extension MonitoringStore {
    /// Quarantine entries, newest first; by default only those still waiting.
    public func quarantine(includeResolved: Bool = false) throws -> [QuarantineEntry] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM quarantine \(includeResolved ? "" : "WHERE resolved_at IS NULL") ORDER BY id DESC"
            ).map(QuarantineEntry.init(row:))
        }
    }

    /// Waiting quarantine entries counted by reason.
    public func quarantineCounts() throws -> [QuarantineReason: Int] {
        try database.read { db in
            var counts: [QuarantineReason: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT reason, COUNT(*) AS n FROM quarantine WHERE resolved_at IS NULL GROUP BY reason")
            {
                if let reason = QuarantineReason(rawValue: row["reason"]) { counts[reason] = row["n"] }
            }
            return counts
        }
    }
}

extension QuarantineEntry {
    init(row: Row) {
        let resolved: Int64? = row["resolved_at"]
        self.init(
            id: row["id"], journalID: row["journal_id"], source: MessageSource(rawValue: row["source"]) ?? .mqtt,
            topic: row["topic"], payload: row["payload"],
            reason: QuarantineReason(rawValue: row["reason"]) ?? .unknownFormat, message: row["message"],
            serial: row["serial"], profileID: row["profile_id"],
            quarantinedAt: Date(millisecondsSince1970: row["quarantined_at"]), attempts: row["attempts"],
            resolvedAt: resolved.map(Date.init(millisecondsSince1970:)))
    }
}
