import Logging
import PostgresNIO

/// SQL that a connection prepares at its first use and afterwards executes by name: PostgreSQL
/// parses it once and, once it settles on a generic plan, no longer plans it either. The
/// statements every batch runs go this way: parsing and planning their text anew took about a
/// third of the server's time for a batch at 1,000 messages/s (docs/PERFORMANCE.md). Parameters
/// are `$1`, `$2`, … in the order they are bound.
protocol PreparedSQL {
    /// The statement's text, with `$n` parameters.
    static var sql: String { get }
}

/// One execution of `SQL` with its parameters; rows come back undecoded.
struct Prepared<SQL: PreparedSQL>: PostgresPreparedStatement {
    /// The name the connection prepares it under (unique per type; within PostgreSQL's 63 bytes).
    static var name: String { "tele_\(SQL.self)" }
    static var sql: String { SQL.sql }
    let bindings: PostgresBindings

    func makeBindings() -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
}

extension PostgresConnection {
    /// The rows of `sql` (prepared on this connection at its first use) with the parameters that
    /// `bind` appends.
    func rows<SQL: PreparedSQL>(
        _ sql: SQL.Type, logger: Logger, _ bind: (inout PostgresBindings) throws -> Void = { _ in }
    ) async throws -> AsyncThrowingMapSequence<PostgresRowSequence, PostgresRow> {
        var bindings = PostgresBindings()
        try bind(&bindings)
        return try await execute(Prepared<SQL>(bindings: bindings), logger: logger)
    }

    /// Executes `sql` (prepared on this connection at its first use) for its effect.
    func run<SQL: PreparedSQL>(
        _ sql: SQL.Type, logger: Logger, _ bind: (inout PostgresBindings) throws -> Void = { _ in }
    ) async throws {
        for try await _ in try await rows(sql, logger: logger, bind) {}
    }
}
