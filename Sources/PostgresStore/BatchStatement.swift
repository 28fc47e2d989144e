import PostgresNIO

/// A statement every ingest batch runs, prepared by name once per connection: PostgreSQL parses
/// it once, and after a few executions plans it once (a generic plan) instead of at every batch.
/// Planning was about a third of the server's time on a batch's statements (docs/PERFORMANCE.md).
///
/// A generic plan is made from the statistics of the moment and made again when autovacuum (or
/// `ANALYZE`) renews them; a site keeps autovacuum on (docs/POSTGRESQL.md). A statement whose
/// result columns a schema migration changes fails on the connections that prepared it, so a new
/// build that migrates the schema is run by restarting every worker, as it is deployed anyway.
///
/// The statement's text is written once, with its values interpolated as in any other query
/// (`query`); `sql` is that text as made for placeholder values, which it equals for any values,
/// since an interpolated value only ever becomes its parameter's number. Rows come back as they
/// are, for the caller to decode.
///
/// Each one names itself (`name`, a short snake-case name of its own). PostgresNIO's default,
/// the type's full name, is 65 bytes for a private type
/// (`PostgresStore.(unknown context at $5597003312dc).LatestValueWrite`), and PostgreSQL keeps
/// only the first 63 bytes of a prepared statement's name (`NAMEDATALEN`), so two long names
/// alike in those would be one statement.
protocol BatchStatement: PostgresPreparedStatement where Row == PostgresRow {
    /// The statement with this execution's values bound.
    var query: PostgresQuery { get }
}

extension BatchStatement {
    func makeBindings() -> PostgresBindings {
        assert(query.sql == Self.sql, "\(Self.self) made a different text for other values")
        assert(Self.name.utf8.count < 64, "\(Self.name) is longer than PostgreSQL keeps")
        return query.binds
    }

    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
}
