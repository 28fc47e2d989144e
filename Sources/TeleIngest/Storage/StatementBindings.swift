import Foundation
import GRDB
import GRDBSQLite

/// One execution of a cached statement with its values bound straight into SQLite's handle (and
/// its rows, if any, read straight from it with `StatementColumns`).
///
/// For the statements run once per stored reading (the reading, its latest value, the journal
/// entry's outcome) and the rules' reads for every patient in every batch, where GRDB's
/// arguments — an array of existential values, bound through one nested closure per value —
/// cost half as much again as SQLite's own insert with its indexes (docs/PERFORMANCE.md). Values are bound in the order of the statement's `?`s and copied by
/// SQLite (`SQLITE_TRANSIENT`); the statement is reset and its bindings cleared afterwards, so
/// GRDB finds it as it left it.
///
/// Only for SELECT, INSERT, UPDATE and upserts inside the caller's transaction: it steps the
/// statement without GRDB's bookkeeping around execution, which matters for transaction
/// boundaries and observers — this store has neither in these statements.
struct StatementBindings {
    private let statement: SQLiteStatement
    private var index: Int32 = 0
    /// The first code other than `SQLITE_OK` a bind returned.
    private var failure = SQLITE_OK

    private init(_ statement: SQLiteStatement) {
        self.statement = statement
    }

    /// Binds the values `bind` gives, steps `statement` to its end and resets it.
    ///
    /// - Throws: `DatabaseError` with SQLite's code and message when a value is missing or the
    ///   step fails (a constraint, a full disk); the statement is reset either way.
    static func execute(_ statement: Statement, in db: Database, _ bind: (inout StatementBindings) -> Void) throws {
        try rows(of: statement, in: db, bind) { _ in }
    }

    /// Binds the values `bind` gives and steps `statement` to its end, handing each row to
    /// `body` (valid only during the call), then resets it. For the reads the rules make for
    /// every patient in every batch, where creating a GRDB cursor and decoding `Row` values cost
    /// as much as SQLite's search.
    ///
    /// - Throws: as `execute`, and what `body` throws; the statement is reset either way.
    static func rows(
        of statement: Statement, in db: Database, _ bind: (inout StatementBindings) -> Void,
        each body: (StatementColumns) throws -> Void
    ) throws {
        let handle = statement.sqliteStatement
        // A statement left part-way through (by a cursor elsewhere) would refuse new values.
        sqlite3_reset(handle)
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        var bindings = StatementBindings(handle)
        bind(&bindings)
        guard bindings.failure == SQLITE_OK else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: bindings.failure),
                message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: statement.sql)
        }
        guard bindings.index == sqlite3_bind_parameter_count(handle) else {
            throw DatabaseError(
                message: "\(bindings.index) values bound, \(sqlite3_bind_parameter_count(handle)) expected",
                sql: statement.sql)
        }
        let columns = StatementColumns(statement)
        var code = sqlite3_step(handle)
        while code == SQLITE_ROW {
            try body(columns)
            code = sqlite3_step(handle)
        }
        guard code == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
            throw DatabaseError(
                resultCode: ResultCode(rawValue: sqlite3_extended_errcode(db.sqliteConnection)), message: message,
                sql: statement.sql)
        }
    }

    mutating func bind(_ value: Int64) {
        index += 1
        record(sqlite3_bind_int64(statement, index, value))
    }

    mutating func bind(_ value: Int) {
        bind(Int64(value))
    }

    mutating func bind(_ value: Double) {
        index += 1
        record(sqlite3_bind_double(statement, index, value))
    }

    mutating func bind(_ value: String) {
        index += 1
        var text = value
        text.withUTF8 { bytes in
            guard let start = bytes.baseAddress else {
                // An empty string's pointer may be nil, which SQLite would bind as NULL.
                record(sqlite3_bind_text(statement, index, "", 0, Self.transient))
                return
            }
            let code = start.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                sqlite3_bind_text(statement, index, $0, Int32(bytes.count), Self.transient)
            }
            record(code)
        }
    }

    mutating func bind(_ value: Data) {
        index += 1
        let code = value.withUnsafeBytes { bytes in
            // An empty blob's pointer may be nil, which SQLite would bind as NULL.
            guard let start = bytes.baseAddress else { return sqlite3_bind_zeroblob(statement, index, 0) }
            return sqlite3_bind_blob(statement, index, start, Int32(bytes.count), Self.transient)
        }
        record(code)
    }

    mutating func bind(_ value: String?) {
        guard let value else {
            index += 1
            record(sqlite3_bind_null(statement, index))
            return
        }
        bind(value)
    }

    mutating func bind(_ value: Int64?) {
        guard let value else { return bindNull() }
        bind(value)
    }

    mutating func bind(_ value: Double?) {
        guard let value else { return bindNull() }
        bind(value)
    }

    private mutating func bindNull() {
        index += 1
        record(sqlite3_bind_null(statement, index))
    }

    private mutating func record(_ code: Int32) {
        if failure == SQLITE_OK { failure = code }
    }

    /// SQLite copies the value before the call returns.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
}
