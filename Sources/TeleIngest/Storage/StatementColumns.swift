import Foundation
import GRDB
import GRDBSQLite
import Vitals

/// The current row of a statement that a GRDB cursor steps, read straight from SQLite.
///
/// For reads of tens of thousands of rows (the worklist's), where decoding every column through
/// `Row` and making a `String` of every repeated patient id cost more than SQLite's own work. The
/// cursor keeps stepping and reporting errors; this only reads the row it stands on, so it is
/// valid between one `next()` and the following one.
struct StatementColumns {
    private let statement: SQLiteStatement

    init(_ statement: Statement) {
        self.statement = statement.sqliteStatement
    }

    func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(statement, column) == SQLITE_NULL
    }

    func int(_ column: Int32) -> Int64 {
        sqlite3_column_int64(statement, column)
    }

    func optionalInt(_ column: Int32) -> Int64? {
        isNull(column) ? nil : int(column)
    }

    func double(_ column: Int32) -> Double {
        sqlite3_column_double(statement, column)
    }

    func optionalDouble(_ column: Int32) -> Double? {
        isNull(column) ? nil : double(column)
    }

    /// The text of `column`; `nil` for NULL.
    func text(_ column: Int32) -> String? {
        withText(column) { $0.map { String(decoding: $0, as: UTF8.self) } }
    }

    /// Whether `column` holds exactly the UTF-8 `bytes`, without making a string of it.
    func text(_ column: Int32, equals bytes: [UInt8]) -> Bool {
        withText(column) { text in
            guard let text, text.count == bytes.count else { return false }
            guard let start = text.baseAddress, !bytes.isEmpty else { return true }
            return bytes.withUnsafeBufferPointer { memcmp($0.baseAddress!, start, bytes.count) == 0 }
        }
    }

    /// The reading kind `column` names; `nil` for NULL or a name no kind has. Compares bytes
    /// instead of making a string: the rules read a kind for every reading of every history.
    func readingKind(_ column: Int32) -> ReadingKind? {
        withText(column) { text in
            guard let text else { return nil }
            return Self.kindNames.first { $0.name.elementsEqual(text) }?.kind
        }
    }

    private static let kindNames = ReadingKind.allCases.map { (kind: $0, name: Array($0.rawValue.utf8)) }

    /// The UTF-8 bytes of `column`'s text; empty for NULL.
    func textBytes(_ column: Int32) -> [UInt8] {
        withText(column) { $0.map(Array.init) ?? [] }
    }

    private func withText<T>(_ column: Int32, _ body: (UnsafeBufferPointer<UInt8>?) -> T) -> T {
        guard let start = sqlite3_column_text(statement, column) else { return body(nil) }
        let count = Int(sqlite3_column_bytes(statement, column))
        return body(UnsafeBufferPointer(start: start, count: count))
    }
}
