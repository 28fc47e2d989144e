import Foundation
import Logging
import MonitoringRecords
import PostgresNIO
import StoreInterface

/// The store on PostgreSQL, for sites where several machines and several ingest workers share
/// one database. Behaves as the SQLite store does (the conformance suite runs on both); so far
/// it serves the patient registry (`PatientRegistry`), the audit log (`AuditTrail`), the
/// personal settings (`PersonalSettingsLedger`) and the ingest side without rules: the journal,
/// readings, latest values and quarantine, processed by several workers at once.
///
/// Open it with ``open(_:clock:logger:)`` (which migrates the schema) and ``close()`` it when
/// done: a connection pool runs in a task of its own meanwhile.
public final class PostgresMonitoringStore: PatientRegistry {
    public let location: PostgresLocation
    public let clock: WallClock
    let client: PostgresClient
    private let running: Task<Void, Never>
    let logger: Logger

    private init(location: PostgresLocation, clock: WallClock, client: PostgresClient, logger: Logger) {
        self.location = location
        self.clock = clock
        self.client = client
        self.logger = logger
        // Started at once, on this thread, up to its first suspension: by then the client counts
        // as running, so the first lease (the migration) does not log that it is not.
        running = Task.immediate { await client.run() }
    }

    /// Connects to `location`, brings the schema up to date and returns the store.
    public static func open(
        _ location: PostgresLocation, clock: WallClock = .system,
        logger: Logger = PostgresMonitoringStore.defaultLogger
    ) async throws -> PostgresMonitoringStore {
        let store = PostgresMonitoringStore(
            location: location, clock: clock,
            client: PostgresClient(configuration: location.clientConfiguration, backgroundLogger: logger),
            logger: logger)
        do {
            try await store.failing("opening \(location)") {
                try await PostgresSchema.migrate(store.client, logger: logger)
            }
        } catch {
            await store.close()
            throw error
        }
        return store
    }

    /// Warnings and worse from the connection pool: at info level it reports the connections it
    /// gives up when a command closes the store, which is not news to an operator.
    public static var defaultLogger: Logger {
        var logger = Logger(label: "tele-ingest.postgres")
        logger.logLevel = .warning
        return logger
    }

    /// Opens the store at `location`, runs `body` with it and closes it, whether `body`
    /// returns or throws.
    public static func with<T>(
        _ location: PostgresLocation, clock: WallClock = .system, _ body: (PostgresMonitoringStore) async throws -> T
    ) async throws -> T {
        let store = try await open(location, clock: clock)
        do {
            let result = try await body(store)
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    }

    /// The schema version this build migrates a database to.
    public static var currentSchemaVersion: Int { PostgresSchema.current }

    /// The schema version the database is at.
    public func schemaVersion() async throws -> Int {
        try await number("SELECT coalesce(max(version), 0) FROM schema_migration", "reading the schema version")
    }

    /// Counts by name from a query of `name, count(*) … GROUP BY name`.
    func counts(_ query: PostgresQuery, _ operation: String) async throws -> [String: Int] {
        try await failing(operation) {
            var counts: [String: Int] = [:]
            for try await (name, count) in try await client.query(query, logger: logger).decode((String, Int).self) {
                counts[name] = count
            }
            return counts
        }
    }

    /// The one whole number `query` answers (a count, a version).
    func number(_ query: PostgresQuery, _ operation: String) async throws -> Int {
        try await failing(operation) {
            var number = 0
            for try await value in try await client.query(query, logger: logger).decode(Int.self) {
                number = value
            }
            return number
        }
    }

    /// Stops the connection pool. The store cannot be used afterwards.
    public func close() async {
        running.cancel()
        await running.value
    }

    // MARK: PatientRegistry

    @discardableResult
    public func addPatient(
        id: PatientID, name: String, cpr: String? = nil, timeZone: String = Patient.defaultTimeZone,
        monitoringStart: Date? = nil
    ) async throws -> Patient {
        let operation = "adding patient \(id)"
        let patient = try Patient.checked(
            id: id, name: name, cpr: cpr, timeZone: timeZone, createdAt: clock.now(), monitoringStart: monitoringStart)
        try await failing(operation, uniqueViolation: "a patient with this id exists already") {
            for try await erasedAt in try await client.query(
                "SELECT erased_at FROM patient_erasure WHERE patient_id = \(id)", logger: logger
            ).decode(Date.self) {
                throw StoreError(operation, Patient.erasedIDReason(erasedAt: erasedAt), code: .conflict)
            }
            try await client.query(
                """
                INSERT INTO patient (id, name, cpr, time_zone, created_at, monitoring_start)
                VALUES (\(patient.id), \(patient.name), \(patient.cpr), \(patient.timeZone), \(patient.createdAt),
                        \(patient.monitoringStart))
                """, logger: logger)
        }
        return patient
    }

    public func patients() async throws -> [Patient] {
        try await failing("listing patients") {
            try await collect(
                client.query(
                    "SELECT \(unescaped: Self.patientColumns) FROM patient_monitoring ORDER BY id",
                    logger: logger))
        }
    }

    public func patient(id: PatientID) async throws -> Patient? {
        try await failing("reading patient \(id)") {
            try await collect(
                client.query(
                    """
                    SELECT \(unescaped: Self.patientColumns) FROM patient_monitoring WHERE id = \(id)
                    """, logger: logger)
            ).first
        }
    }

    @discardableResult
    public func pair(serial: DeviceSerial, patientID: PatientID, from: Date? = nil) async throws -> Pairing {
        let from = (from ?? clock.now()).wholeMilliseconds
        let registeredAt = clock.now().wholeMilliseconds
        let operation = "pairing device \(serial) with patient \(patientID)"
        return try await failing(operation) {
            try await client.withTransaction(logger: logger) { connection in
                try await requireMonitoredPatient(
                    patientID, operation: operation, unknown: "no patient with this id (tele-ingest patients add)",
                    on: connection)
                // The device row is the lock: two pairings of one device wait for each other.
                try await connection.query(
                    """
                    INSERT INTO device (serial, registered_at) VALUES (\(serial), \(registeredAt))
                    ON CONFLICT (serial) DO NOTHING
                    """, logger: logger)
                try await connection.query(
                    "SELECT serial FROM device WHERE serial = \(serial) FOR UPDATE", logger: logger)
                let clashes = try await pairings(
                    connection.query(
                        """
                        SELECT id, serial, patient_id, valid_from, valid_to FROM pairing
                        WHERE serial = \(serial) AND (valid_to IS NULL OR valid_to > \(from))
                        ORDER BY valid_from LIMIT 1
                        """, logger: logger))
                if let clash = clashes.first {
                    throw StoreError.pairingClash(operation, serial: serial, with: clash)
                }
                var id: Int64 = 0
                for try await value in try await connection.query(
                    """
                    INSERT INTO pairing (serial, patient_id, valid_from) VALUES (\(serial), \(patientID), \(from))
                    RETURNING id
                    """, logger: logger
                ).decode(Int64.self) {
                    id = value
                }
                return Pairing(id: id, serial: serial, patientID: patientID, validFrom: from, validTo: nil)
            }
        }
    }

    @discardableResult
    public func unpair(serial: DeviceSerial, at: Date? = nil) async throws -> Pairing {
        let at = (at ?? clock.now()).wholeMilliseconds
        let operation = "unpairing device \(serial)"
        return try await failing(operation) {
            try await client.withTransaction(logger: logger) { connection in
                let open = try await pairings(
                    connection.query(
                        """
                        SELECT id, serial, patient_id, valid_from, valid_to FROM pairing
                        WHERE serial = \(serial) AND valid_to IS NULL FOR UPDATE
                        """, logger: logger))
                guard var pairing = open.first else {
                    throw StoreError(operation, "the device is not paired now", code: .conflict)
                }
                guard at > pairing.validFrom else {
                    throw StoreError(
                        operation,
                        "the pairing started \(pairing.validFrom.formatted(.iso8601)); unpair at a later time")
                }
                for try await (count, last) in try await connection.query(
                    """
                    SELECT count(*), epoch_ms(max(measured_at)) FROM reading
                    WHERE serial = \(serial) AND patient_id = \(pairing.patientID) AND measured_at >= \(at)
                    """, logger: logger
                ).decode((Int, Int64?).self) {
                    if count > 0, let last {
                        throw StoreError.readingsAfterUnpairing(
                            operation, count: count, patientID: pairing.patientID,
                            last: Date(millisecondsSince1970: last))
                    }
                }
                try await connection.query(
                    "UPDATE pairing SET valid_to = \(at) WHERE id = \(pairing.id)", logger: logger)
                pairing.validTo = at
                return pairing
            }
        }
    }

    public func backdatePairing(serial: DeviceSerial, from: Date, account: String) async throws -> (
        pairing: Pairing, waiting: Int
    ) {
        let from = from.wholeMilliseconds
        let operation = "back-dating the pairing of device \(serial)"
        return try await failing(operation) {
            try await client.withTransaction(logger: logger) { connection in
                // The device row is the lock, as for pairing.
                try await connection.query(
                    "SELECT serial FROM device WHERE serial = \(serial) FOR UPDATE", logger: logger)
                let rows = try await pairings(
                    connection.query(
                        """
                        SELECT id, serial, patient_id, valid_from, valid_to FROM pairing
                        WHERE serial = \(serial) ORDER BY valid_from DESC LIMIT 2
                        """, logger: logger))
                guard let newest = rows.first else {
                    throw StoreError(operation, "the device has never been paired", code: .notFound)
                }
                let previous = rows.dropFirst().first
                try newest.checkBackdating(
                    to: from, previousEnd: previous?.validTo, previousPatient: previous?.patientID, operation: operation
                )
                try await connection.query(
                    "UPDATE pairing SET valid_from = \(from) WHERE id = \(newest.id)", logger: logger)
                var moved = newest
                moved.validFrom = from
                try await connection.query(
                    """
                    INSERT INTO audit_log (at, "user", role, action, patient_id, detail)
                    VALUES (\(clock.now().wholeMilliseconds), \(account), 'operator',
                            \(AuditEntry.Action.pairingBackdated.rawValue), \(newest.patientID),
                            \(moved.backdatingDetail(from: newest.validFrom)))
                    """, logger: logger)
                var waiting = 0
                for try await count in try await connection.query(
                    "SELECT count(*) FROM quarantine WHERE serial = \(serial) AND resolved_at IS NULL", logger: logger
                ).decode(Int.self) {
                    waiting = count
                }
                return (moved, waiting)
            }
        }
    }

    public func devices() async throws -> [Device] {
        try await failing("listing devices") {
            let all = try await pairings(
                client.query(
                    """
                    SELECT id, serial, patient_id, valid_from, valid_to FROM pairing ORDER BY serial, valid_from DESC
                    """, logger: logger))
            let grouped = Dictionary(grouping: all, by: \.serial)
            var devices: [Device] = []
            for try await (serial, registeredAt) in try await client.query(
                "SELECT serial, registered_at FROM device ORDER BY serial", logger: logger
            ).decode((DeviceSerial, Date).self) {
                devices.append(Device(serial: serial, registeredAt: registeredAt, pairings: grouped[serial] ?? []))
            }
            return devices
        }
    }

    // MARK: Rows and errors

    /// The columns of `patient_monitoring` that `collect` reads.
    static let patientColumns =
        "id, name, cpr, time_zone, created_at, monitoring_start, end_reason, end_comment, ended_by, ended_at, team"

    /// Patients from rows of `patientColumns`.
    func collect(_ rows: PostgresRowSequence) async throws -> [Patient] {
        var patients: [Patient] = []
        // Cell by cell (`RowCells`): the worklist reads every patient this way.
        for try await row in rows {
            var cells = RowCells(row, "reading patients")
            let (id, name, cpr, zone) = (
                try cells.next(PatientID.self), try cells.next(String.self), try cells.next(String?.self),
                try cells.next(String.self)
            )
            let (createdAt, start) = (try cells.next(Date.self), try cells.next(Date.self))
            let (reason, comment, endedBy, endedAt, team) = (
                try cells.next(String?.self), try cells.next(String?.self), try cells.next(String?.self),
                try cells.next(Date?.self), try cells.next(String?.self)
            )
            var end: MonitoringEnd?
            if let reason = reason.flatMap(MonitoringEnd.Reason.init(rawValue:)), let endedBy, let endedAt {
                end = MonitoringEnd(reason: reason, comment: comment, endedBy: endedBy, endedAt: endedAt)
            }
            patients.append(
                Patient(
                    id: id, name: name, cpr: cpr, timeZone: zone, createdAt: createdAt, monitoringStart: start,
                    monitoringEnd: end, team: team))
        }
        return patients
    }

    func pairings(_ rows: PostgresRowSequence) async throws -> [Pairing] {
        var pairings: [Pairing] = []
        for try await (id, serial, patientID, from, to) in rows.decode(
            (Int64, DeviceSerial, PatientID, Date, Date?).self)
        {
            pairings.append(Pairing(id: id, serial: serial, patientID: patientID, validFrom: from, validTo: to))
        }
        return pairings
    }

    /// Runs `body`; a refusal passes through, a database error becomes a `StoreError` naming
    /// `operation` and the server's words (a unique violation: `uniqueViolation`, when given).
    /// A transaction's errors arrive wrapped: the closure's own error is the one that counts.
    @discardableResult
    func failing<T>(
        _ operation: String, uniqueViolation: String? = nil, _ body: () async throws -> T
    ) async throws -> T {
        do {
            return try await body()
        } catch {
            throw storeError(error, operation: operation, uniqueViolation: uniqueViolation)
        }
    }

    private func storeError(_ error: any Error, operation: String, uniqueViolation: String?) -> any Error {
        switch error {
        case let refusal as StoreError:
            return refusal
        case let transaction as PostgresTransactionError:
            let cause = transaction.closureError ?? transaction.commitError ?? transaction.beginError
            return cause.map { storeError($0, operation: operation, uniqueViolation: uniqueViolation) }
                ?? StoreError(
                    operation, "PostgreSQL at \(location): the transaction failed", code: .unavailable,
                    underlying: transaction)
        case let failure as PSQLError:
            let state = failure.serverInfo?[.sqlState]
            if let uniqueViolation, state == "23505" {
                return StoreError(operation, uniqueViolation, code: .conflict, underlying: failure)
            }
            let words = failure.serverInfo?[.message] ?? "\(failure.code)"
            switch state {
            case "25006":  // read_only_sql_transaction
                return StoreError(
                    operation, "PostgreSQL at \(location) is read-only (a standby?): \(words); write to the primary",
                    code: .readOnly, underlying: failure)
            case "23001":  // restrict_violation: an append-only table refusing a change
                return StoreError(
                    operation, "PostgreSQL at \(location): \(words)", code: .conflict, underlying: failure)
            default:
                return StoreError(
                    operation, "PostgreSQL at \(location): \(words)", code: .unavailable, underlying: failure)
            }
        default:
            return StoreError(
                operation, "PostgreSQL at \(location): \(error)", code: .unavailable,
                underlying: error)
        }
    }
}
