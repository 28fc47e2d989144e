import Foundation
import GRDB
import Testing

@testable import TeleIngest

/// An upgrade: a store written by an earlier build (`Fixtures/upgrade/schema-v14.sqlite`, made by
/// `Fixtures/upgrade/make-fixture` with that build's own commands) migrated by today's
/// `tele-ingest migrate` with nothing lost (docs/OPERATIONS.md).
@Suite struct UpgradeTests {
    static let fixture = Paths.fixtures.appendingPathComponent("upgrade/schema-v14.sqlite")

    /// Every row of every table, as text, table by table; with `columns`, of those tables and
    /// columns only (a newer schema may add columns).
    static func rows(_ path: String, columns: [String: [String]]? = nil) throws -> (
        rows: [String: [String]], columns: [String: [String]]
    ) {
        let database = try DatabaseQueue(path: path)
        return try database.read { db in
            let tables =
                try columns.map { Array($0.keys) }
                ?? String.fetchAll(
                    db,
                    sql:
                        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations'"
                )
            var rows: [String: [String]] = [:]
            var names: [String: [String]] = [:]
            for table in tables {
                let kept =
                    try columns?[table]
                    ?? String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?)", arguments: [table])
                names[table] = kept
                let list = kept.map { "\"\($0)\"" }.joined(separator: ", ")
                rows[table] = try Row.fetchAll(db, sql: "SELECT \(list) FROM \"\(table)\"").map(\.description).sorted()
            }
            return (rows, names)
        }
    }

    @Test("a store made by the previous schema version migrates with every row of every table kept")
    func fromTheLastVersion() async throws {
        try await withTemporaryDirectory { directory in
            let store = directory.appendingPathComponent("store.sqlite")
            try FileManager.default.copyItem(at: Self.fixture, to: store)
            let (before, columns) = try Self.rows(store.path)
            #expect((before["reading"]?.count ?? 0) == 100, "the fixture's month: 20 days × 5 readings")
            #expect((before["flag"]?.count ?? 0) > 0 && (before["audit_log"]?.count ?? 0) > 0)
            #expect(before["quarantine"]?.count == 1 && before["personal_setting"]?.count == 1)

            let database = TeleIngestDatabase("store.sqlite", in: directory)
            let output = try database.run(["migrate"])
            #expect(output.contains(Schema.migrator.migrations.last ?? "?"), "\(output)")
            let after = try Self.rows(store.path, columns: columns).rows
            for (table, rows) in before {
                #expect(after[table] == rows, "table \(table) changed in the upgrade")
            }
            #expect(
                try MonitoringStore(path: store.path).schemaVersion() == Schema.migrator.migrations.last)

            // And it is used as any store: the readings, the flags and their acknowledgement.
            let readings = try database.run(["readings", "--patient", "P-UP2", "--kind", "weight"])
            #expect(readings.contains("lb") && readings.split(separator: "\n").count > 20)
            let flags = try database.run(["flags", "--patient", "P-UP1", "--json"])
            #expect(flags.contains(#""closedBy" : "Test Nurse""#), "\(flags)")
            #expect(try database.run(["flags", "--patient", "P-UP3"]).contains("pulse-range"))
        }
    }
}
