import Foundation
import GRDB
import Testing

@testable import TeleIngest

/// Values bound straight into SQLite for the per-reading statements must arrive as GRDB would
/// have bound them, and a failing statement must throw SQLite's error and leave the cached
/// statement usable.
@Suite struct StatementBindingsTests {
    static func database() throws -> DatabaseQueue {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(
                sql:
                    "CREATE TABLE sample (id INTEGER PRIMARY KEY, name TEXT, note TEXT, amount REAL, count INTEGER UNIQUE)"
            )
        }
        return queue
    }

    @Test func valuesArriveWithTheirTypes() throws {
        let queue = try Self.database()
        let row = try queue.write { db -> Row? in
            let insert = try db.cachedStatement(
                sql: "INSERT INTO sample (name, note, amount, count) VALUES (?, ?, ?, ?)")
            try StatementBindings.execute(insert, in: db) {
                $0.bind("Ærø 🫀")
                $0.bind(nil as String?)
                $0.bind(72.35)
                $0.bind(Int64.max)
            }
            try StatementBindings.execute(insert, in: db) {
                $0.bind("")
                $0.bind("note" as String?)
                $0.bind(-0.5)
                $0.bind(3)
            }
            return try Row.fetchOne(
                db,
                sql: """
                    SELECT group_concat(name || '|' || typeof(name), ';'), group_concat(typeof(note), ';'),
                           sum(amount), group_concat(count, ';') FROM sample ORDER BY id
                    """)
        }
        #expect(row?[0] as String? == "Ærø 🫀|text;|text")
        #expect(row?[1] as String? == "null;text")
        #expect(row?[2] as Double? == 71.85)
        #expect(row?[3] as String? == "\(Int64.max);3")
    }

    @Test func aFailingStepThrowsSQLitesErrorAndTheStatementStaysUsable() throws {
        let queue = try Self.database()
        try queue.write { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO sample (name, count) VALUES (?, ?)")
            try StatementBindings.execute(insert, in: db) {
                $0.bind("first")
                $0.bind(1)
            }
            #expect {
                try StatementBindings.execute(insert, in: db) {
                    $0.bind("again")
                    $0.bind(1)
                }
            } throws: { error in
                let error = error as? DatabaseError
                return error?.resultCode == .SQLITE_CONSTRAINT && error?.message?.contains("sample.count") == true
            }
            try StatementBindings.execute(insert, in: db) {
                $0.bind("second")
                $0.bind(2)
            }
            #expect(try String.fetchAll(db, sql: "SELECT name FROM sample ORDER BY id") == ["first", "second"])
        }
    }

    @Test func rowsAreHandedOverInOrderAndTheStatementIsReusable() throws {
        let queue = try Self.database()
        struct Stop: Error {}
        try queue.write { db in
            try db.execute(
                sql: "INSERT INTO sample (name, amount, count) VALUES ('a', 1.5, 1), ('b', NULL, 2), ('c', 3.5, 3)")
            let read = try db.cachedStatement(
                sql: "SELECT name, amount, count FROM sample WHERE count >= ? ORDER BY count")
            var seen: [String] = []
            try StatementBindings.rows(of: read, in: db, { $0.bind(2) }) { row in
                seen.append("\(row.text(0) ?? "-") \(row.optionalDouble(1).map { "\($0)" } ?? "null") \(row.int(2))")
            }
            #expect(seen == ["b null 2", "c 3.5 3"])
            #expect(throws: Stop.self) {
                try StatementBindings.rows(of: read, in: db, { $0.bind(1) }) { _ in throw Stop() }
            }
            var names: [String] = []
            try StatementBindings.rows(of: read, in: db, { $0.bind(3) }) { names.append($0.text(0) ?? "-") }
            #expect(names == ["c"])
        }
    }

    @Test func aStatementLeftPartWayByACursorTakesNewValues() throws {
        let queue = try Self.database()
        try queue.write { db in
            try db.execute(sql: "INSERT INTO sample (name, count) VALUES ('a', 1), ('b', 2), ('c', 3)")
            let sql = "SELECT name FROM sample WHERE count >= ? ORDER BY count"
            let cursor = try String.fetchCursor(db.cachedStatement(sql: sql), arguments: [1])
            #expect(try cursor.next() == "a")
            var names: [String] = []
            try StatementBindings.rows(of: db.cachedStatement(sql: sql), in: db, { $0.bind(2) }) {
                names.append($0.text(0) ?? "-")
            }
            #expect(names == ["b", "c"])
        }
    }

    @Test func tooFewValuesAreRefusedBeforeTheStatementRuns() throws {
        let queue = try Self.database()
        try queue.write { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO sample (name, count) VALUES (?, ?)")
            #expect {
                try StatementBindings.execute(insert, in: db) { $0.bind("only a name") }
            } throws: { error in
                (error as? DatabaseError)?.message == "1 values bound, 2 expected"
            }
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM sample") == 0)
        }
    }
}
