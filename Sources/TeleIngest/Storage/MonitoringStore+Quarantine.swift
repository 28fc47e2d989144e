import DevicePayloads
import Foundation
import GRDB
import MonitoringRecords
import ReadingIntake
import StoreInterface

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

    @discardableResult
    public func dismissQuarantine(id: Int64, reason: String, account: String) throws -> String {
        let operation = "dismissing quarantine entry \(id)"
        let resolution = try QuarantineEntry.dismissal(reason: reason, account: account, operation: operation)
        let now = clock.now().millisecondsSince1970
        return try database.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT resolution FROM quarantine WHERE id = ?", arguments: [id])
            else { throw StoreError(operation, "no quarantine entry with this id", code: .notFound) }
            if let earlier: String = row["resolution"] {
                throw StoreError(operation, "resolved already: \(earlier)", code: .conflict)
            }
            try db.execute(
                sql: "UPDATE quarantine SET resolved_at = ?, resolution = ? WHERE id = ?",
                arguments: [now, resolution, id])
            try db.execute(
                sql: """
                    INSERT INTO audit_log (at, user, role, action, patient_id, detail)
                    VALUES (?, ?, 'operator', ?, NULL, ?)
                    """,
                arguments: [now, account, AuditEntry.Action.quarantineDismissed.rawValue, "entry \(id): \(resolution)"])
            return resolution
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
