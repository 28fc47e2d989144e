import Foundation
import GRDB
import MonitoringRecords

/// What a backup holds: whether SQLite finds it intact, its schema version and its row counts.
public struct BackupReport: Sendable, Codable, Equatable {
    public var path: String
    /// `ok`, or SQLite's list of problems (`PRAGMA integrity_check`).
    public var integrity: String
    /// Rows that break a foreign key (`PRAGMA foreign_key_check`); 0 in a consistent copy.
    public var foreignKeyViolations: Int
    /// The newest migration the copy has.
    public var schemaVersion: String
    public var rowCounts: [String: Int]

    public var isUsable: Bool { integrity == "ok" && foreignKeyViolations == 0 }
}

extension MonitoringStore {
    /// The tables a backup is checked by.
    static let backedUpTables = [
        "patient", "device", "pairing", "journal", "reading", "latest_reading", "quarantine", "flag",
        "personal_setting", "note", "review", "escalation", "audit_log", "reminder",
    ]

    /// Copies the database to `path` with SQLite's online backup, while the service keeps
    /// writing: the copy is the database as of one moment. The file is created with mode 0600;
    /// an existing file is refused.
    @discardableResult
    public func backup(to path: String) throws -> BackupReport {
        let operation = "backing up to \(path)"
        guard !FileManager.default.fileExists(atPath: path) else {
            throw StoreError(operation, "the file exists; give a new path", code: .conflict)
        }
        try Self.restrictAccess(path: path)
        do {
            let destination = try DatabaseQueue(path: path)
            try database.backup(to: destination)
            try destination.close()
        } catch let error as DatabaseError {
            throw StoreError(operation, "\(error.message ?? error.description)", code: .unavailable, underlying: error)
        }
        return try Self.verify(path: path)
    }

    /// Checks a backup without changing it: integrity, foreign keys, schema version, row counts.
    public static func verify(path: String) throws -> BackupReport {
        let operation = "verifying \(path)"
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError(operation, "no such file", code: .notFound)
        }
        var configuration = Configuration()
        configuration.readonly = true
        do {
            let copy = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? copy.close() }
            return try copy.read { db in
                let problems = try String.fetchAll(db, sql: "PRAGMA integrity_check")
                let violations = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").count
                let version =
                    try String.fetchOne(
                        db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid DESC LIMIT 1") ?? "none"
                var counts: [String: Int] = [:]
                for table in backedUpTables where try db.tableExists(table) {
                    counts[table] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0
                }
                return BackupReport(
                    path: path, integrity: problems.joined(separator: "; "), foreignKeyViolations: violations,
                    schemaVersion: version, rowCounts: counts)
            }
        } catch let error as DatabaseError {
            throw StoreError(
                operation, "not a readable SQLite database: \(error.message ?? error.description)", code: .invalid,
                underlying: error)
        }
    }
}
