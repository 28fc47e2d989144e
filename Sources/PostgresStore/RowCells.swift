import MonitoringRecords
import PostgresNIO

/// A row's cells read in order, each decoded as its own concrete type. Decoding a whole row as
/// a tuple (`rows.decode((A, B, …).self)`) goes through the runtime's generic metadata for every
/// row: on the worklist's 40,000 kept values that took 220–310 ms where reading the rows alone
/// took about 150 ms and reading them cell by cell about 160 ms (docs/PERFORMANCE.md). For the
/// reads that return a row per patient or more.
struct RowCells {
    private var cells: PostgresRow.Iterator
    private let operation: String

    init(_ row: PostgresRow, _ operation: String) {
        cells = row.makeIterator()
        self.operation = operation
    }

    /// The next cell as `T`; a column the query did not select is a `StoreError`.
    mutating func next<T: PostgresDecodable>(_: T.Type = T.self) throws -> T {
        guard let cell = cells.next() else {
            throw StoreError(operation, "the row has fewer columns than read")
        }
        return try cell.decode(T.self)
    }
}
