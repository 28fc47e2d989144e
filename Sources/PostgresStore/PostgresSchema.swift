import Logging
import MonitoringRecords
import PostgresNIO

/// The PostgreSQL schema as frozen SQL, one version after another; applied by
/// `tele-ingest migrate` (and on open), under an advisory lock so that several workers starting
/// at once migrate it once.
enum PostgresSchema {
    struct Migration {
        var version: Int
        var name: String
        var statements: [PostgresQuery]
    }

    /// Never edit a migration that has shipped: add the next one.
    static let migrations: [Migration] = [
        Migration(
            version: 1, name: "patients, devices and pairings",
            statements: [
                """
                CREATE TABLE patient (
                    id text PRIMARY KEY,
                    name text NOT NULL,
                    cpr text,
                    time_zone text NOT NULL,
                    created_at timestamptz NOT NULL,
                    monitoring_start timestamptz NOT NULL
                )
                """,
                """
                CREATE TABLE device (
                    serial text PRIMARY KEY,
                    registered_at timestamptz NOT NULL
                )
                """,
                """
                CREATE TABLE pairing (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    serial text NOT NULL REFERENCES device (serial),
                    patient_id text NOT NULL REFERENCES patient (id),
                    valid_from timestamptz NOT NULL,
                    valid_to timestamptz,
                    CHECK (valid_to IS NULL OR valid_to > valid_from)
                )
                """,
                "CREATE INDEX pairing_by_serial ON pairing (serial, valid_from)",
                "CREATE INDEX pairing_by_patient ON pairing (patient_id)",
                // A device is with one patient at a time: the pairing code checks overlaps under a
                // lock on the device; this holds it whatever a writer does.
                "CREATE UNIQUE INDEX pairing_one_open_per_device ON pairing (serial) WHERE valid_to IS NULL",
            ])
    ]

    /// The newest version this build knows.
    static var current: Int { migrations.last?.version ?? 0 }

    /// Applies the migrations not applied yet, each in the one transaction; returns the version
    /// the database is at afterwards.
    @discardableResult
    static func migrate(_ client: PostgresClient, logger: Logger) async throws -> Int {
        try await client.withTransaction(logger: logger) { connection in
            // Transaction-scoped: released at COMMIT or ROLLBACK. The number is the schema's own.
            try await connection.query("SELECT pg_advisory_xact_lock(7401202612)", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migration (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, logger: logger)
            var applied = 0
            for try await version in try await connection.query(
                "SELECT coalesce(max(version), 0) FROM schema_migration", logger: logger
            ).decode(Int.self) {
                applied = version
            }
            guard applied <= current else {
                throw StoreError(
                    "migrating the PostgreSQL schema",
                    "the database is at schema version \(applied) and this build knows \(current): upgrade tele-ingest")
            }
            for migration in migrations where migration.version > applied {
                for statement in migration.statements { try await connection.query(statement, logger: logger) }
                try await connection.query(
                    "INSERT INTO schema_migration (version, name) VALUES (\(migration.version), \(migration.name))",
                    logger: logger)
                applied = migration.version
            }
            return applied
        }
    }
}
