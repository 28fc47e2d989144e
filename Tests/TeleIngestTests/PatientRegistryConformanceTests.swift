import Foundation
import GRDB
import MonitoringRecords
import PostgresStore
import StoreInterface
import Testing
import ThresholdRules

@testable import TeleIngest

/// The store's backends, each really started: an SQLite file, and a PostgreSQL database in a
/// private cluster.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgresql
    var testDescription: String { rawValue }
}

/// What every backend implements.
typealias StoreUnderTest = AuditTrail & PatientRegistry & PersonalSettingsLedger

/// Runs `body` with a fresh, empty store of `backend` on `clock`, and a way to run raw SQL on
/// the same database behind the store's back (to show what the database itself refuses).
func withStore<T>(
    _ backend: Backend, clock: WallClock = .fixed(TestCohort.now),
    _ body: (any StoreUnderTest, _ sql: (String) throws -> Void) async throws -> T
) async throws -> T {
    switch backend {
    case .sqlite:
        return try await withTemporaryDirectory { directory in
            let store = try MonitoringStore(path: directory.appendingPathComponent("store.sqlite").path, clock: clock)
            return try await body(store) { sql in try store.database.write { try $0.execute(sql: sql) } }
        }
    case .postgresql:
        return try await withPostgres { cluster in
            let location = try PostgresLocation(url: try cluster.createDatabase())
            return try await PostgresMonitoringStore.with(location, clock: clock) { store in
                try await body(store) { sql in try cluster.psql(location.database, sql) }
            }
        }
    }
}

/// Runs `body` with a fresh, empty patient registry of `backend` on `clock`.
func withRegistry<T>(
    _ backend: Backend, clock: WallClock = .fixed(TestCohort.now), _ body: (any PatientRegistry) async throws -> T
) async throws -> T {
    try await withStore(backend, clock: clock) { store, _ in try await body(store) }
}

/// One behaviour on every backend: the patient registry (patients, devices, pairings).
@Suite struct PatientRegistryConformanceTests {
    static let start = try! Date("2026-10-01T00:00:00+02:00", strategy: .iso8601)

    @Test(
        "registers a patient with the CPR number normalised; refuses a duplicate id, a bad CPR number, an unknown zone",
        arguments: Backend.allCases)
    func patients(backend: Backend) async throws {
        try await withRegistry(backend) { registry in
            let added = try await registry.addPatient(
                id: "P-0002", name: "Test Patient Two", cpr: "0001502002", timeZone: "Europe/Copenhagen",
                monitoringStart: Self.start)
            #expect(added.cpr == "000150-2002")
            try await registry.addPatient(
                id: "P-0001", name: "Test Patient One", cpr: nil, timeZone: "America/Nuuk", monitoringStart: nil)
            #expect(try await registry.patients().map(\.id) == ["P-0001", "P-0002"])
            let read = try #require(try await registry.patient(id: "P-0002"))
            #expect(read == added, "read back as registered, times included")
            #expect(try await registry.patient(id: "P-0001")?.monitoringStart == TestCohort.now)
            #expect(try await registry.patient(id: "P-9999") == nil)

            for (id, cpr, zone, reason, code) in [
                ("P-0002", nil, "Europe/Copenhagen", "a patient with this id exists already", .conflict),
                ("P-0003", "12345", "Europe/Copenhagen", "a CPR number has 10 digits (DDMMYY-SSSS)", .invalid),
                (
                    "P-0004", nil, "Europe/Atlantis",
                    "'Europe/Atlantis' is not a time zone name (e.g. Europe/Copenhagen)", .invalid
                ),
                ("", nil, "Europe/Copenhagen", "id and name must not be empty", .invalid),
            ] as [(PatientID, String?, String, String, StoreError.Code)] {
                let error = await #expect(throws: StoreError.self) {
                    try await registry.addPatient(
                        id: id, name: "Test Patient", cpr: cpr, timeZone: zone, monitoringStart: nil)
                }
                #expect(error?.reason == reason)
                #expect(error?.code == code, "the same code on every backend")
                #expect(error?.operation == "adding patient \(id)")
            }
            #expect(try await registry.patients().count == 2, "nothing refused was stored")
        }
    }

    @Test(
        "a device is with one patient at a time: pairing over another's period is refused until it is unpaired",
        arguments: Backend.allCases)
    func pairings(backend: Backend) async throws {
        try await withRegistry(backend) { registry in
            for id: PatientID in ["P-0001", "P-0002"] {
                try await registry.addPatient(
                    id: id, name: "Test Patient", cpr: nil, timeZone: "Europe/Copenhagen", monitoringStart: Self.start)
            }
            let returned = Self.start.addingTimeInterval(20 * 86_400)
            let first = try await registry.pair(serial: "HV10-00017", patientID: "P-0001", from: Self.start)
            #expect(first.validTo == nil)

            let clash = await #expect(throws: StoreError.self) {
                try await registry.pair(serial: "HV10-00017", patientID: "P-0002", from: returned)
            }
            #expect(
                clash?.reason.hasPrefix("the device is paired with patient P-0001 from 2026-09-30T22:00:00Z") == true)
            #expect(clash?.code == .conflict)
            let unknown = await #expect(throws: StoreError.self) {
                try await registry.pair(serial: "HV10-00018", patientID: "P-9999", from: Self.start)
            }
            #expect(unknown?.reason == "no patient with this id (tele-ingest patients add)")
            #expect(unknown?.code == .notFound)
            let early = await #expect(throws: StoreError.self) {
                try await registry.unpair(serial: "HV10-00017", at: Self.start)
            }
            #expect(early?.reason.hasSuffix("unpair at a later time") == true)

            let ended = try await registry.unpair(serial: "HV10-00017", at: returned)
            #expect(ended.id == first.id && ended.validTo == returned)
            let notPaired = await #expect(throws: StoreError.self) {
                try await registry.unpair(serial: "HV10-00017", at: nil)
            }
            #expect(notPaired?.reason == "the device is not paired now")
            #expect(notPaired?.code == .conflict)
            let during = await #expect(throws: StoreError.self) {
                try await registry.pair(
                    serial: "HV10-00017", patientID: "P-0002", from: returned.addingTimeInterval(-3600))
            }
            #expect(during?.reason.contains("until 2026-10-20T22:00:00Z") == true, "the returned kit's period")
            let second = try await registry.pair(serial: "HV10-00017", patientID: "P-0002", from: returned)

            let devices = try await registry.devices()
            #expect(devices.map(\.serial) == ["HV10-00017"], "a refused pairing registers no device")
            #expect(devices.first?.pairings.map(\.patientID) == ["P-0002", "P-0001"], "newest first")
            #expect(devices.first?.pairings.first == second)
            #expect(devices.first?.registeredAt == TestCohort.now)
        }
    }

    @Test(
        "eight pairings of one device to eight patients at once: exactly one is made", arguments: Backend.allCases)
    func concurrentPairings(backend: Backend) async throws {
        try await withRegistry(backend) { registry in
            let patients = (1...8).map { PatientID(String(format: "P-%04d", $0)) }
            for id in patients {
                try await registry.addPatient(
                    id: id, name: "Test Patient", cpr: nil, timeZone: "Europe/Copenhagen", monitoringStart: Self.start)
            }
            let made = try await withThrowingTaskGroup(of: Bool.self) { group in
                for id in patients {
                    group.addTask {
                        do {
                            try await registry.pair(serial: "HV10-00017", patientID: id, from: Self.start)
                            return true
                        } catch is StoreError {
                            return false
                        }
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(made == 1)
            #expect(try await registry.devices().first?.pairings.count == 1)
        }
    }

    @Test(
        "a roster registers once: importing it again adds nothing; a returned kit is unpaired at its time",
        arguments: Backend.allCases)
    func roster(backend: Backend) async throws {
        let returned = Self.start.addingTimeInterval(30 * 86_400)
        let roster = Roster(patients: [
            Roster.Patient(
                id: "P-0001", name: "Test Patient One", cpr: "000150-1001", monitoringStart: Self.start,
                serials: ["HV10-00001", "BP-00001"], kitReturned: returned),
            Roster.Patient(
                id: "P-0002", name: "Test Patient Two", timeZone: "Europe/Berlin", monitoringStart: returned,
                serials: ["HV10-00002"]),
        ])
        try await withRegistry(backend) { registry in
            #expect(
                try await registry.register(roster) == RosterRegistration(patients: 2, pairings: 3, returned: 2))
            #expect(
                try await registry.register(roster) == RosterRegistration(patients: 0, pairings: 0, returned: 0))
            let devices = try await registry.devices()
            #expect(devices.map(\.serial) == ["BP-00001", "HV10-00001", "HV10-00002"])
            #expect(devices.first { $0.serial == "HV10-00001" }?.pairings.first?.validTo == returned)
            #expect(devices.first { $0.serial == "HV10-00002" }?.pairings.first?.validTo == nil)
            #expect(try await registry.patient(id: "P-0002")?.timeZone == "Europe/Berlin")
        }
    }
}

/// One behaviour on every backend: the audit log and the personal settings, append-only, with
/// the role checks.
@Suite struct ClinicalRecordConformanceTests {
    static let nurse = Clinician(name: "Test Nurse", role: .nurse)
    static let cardiologist = Clinician(name: "Test Cardiologist", role: .cardiologist)
    static let start = try! Date("2026-10-01T00:00:00+02:00", strategy: .iso8601)

    static func ruleSet() throws -> RuleSet {
        try RuleFile.load(from: Paths.packageRoot.appendingPathComponent("rules/heart-failure-guideline.yaml"))
    }

    @Test(
        "the audit log keeps every entry in order, by patient and newest-limited; the database refuses to change or delete one",
        arguments: Backend.allCases)
    func auditLog(backend: Backend) async throws {
        try await withStore(backend) { store, sql in
            let at = TestCohort.now
            try await store.recordAudit(
                .worklistViewed, by: Self.nurse, patientID: nil, detail: "week 2026-W49", at: at)
            try await store.recordAudit(
                .patientViewed, by: Self.nurse, patientID: "P-0001", detail: "patient view", at: at)
            try await store.recordAudit(
                .briefViewed, by: Self.cardiologist, patientID: "P-0002", detail: "escalation 3", at: at)
            let all = try await store.auditLog(patientID: nil, limit: nil)
            #expect(all.map(\.action) == [.worklistViewed, .patientViewed, .briefViewed])
            #expect(all.last?.user == "Test Cardiologist" && all.last?.role == "cardiologist")
            #expect(all.first?.at == at && all.first?.patientID == nil)
            #expect(try await store.auditLog(patientID: "P-0001", limit: nil).map(\.detail) == ["patient view"])
            #expect(try await store.auditLog(patientID: nil, limit: 2).map(\.action) == [.patientViewed, .briefViewed])

            #expect(throws: (any Error).self) { try sql("UPDATE audit_log SET detail = 'changed'") }
            #expect(throws: (any Error).self) { try sql("DELETE FROM audit_log") }
            #expect(try await store.auditLog(patientID: nil, limit: nil) == all, "nothing changed")
        }
    }

    @Test(
        "a cardiologist's limit is kept with its audit entry; a nurse's is refused and leaves nothing; a nurse may agree a plan; settings cannot be changed",
        arguments: Backend.allCases)
    func personalSettings(backend: Backend) async throws {
        let rules = try Self.ruleSet()
        try await withStore(backend) { store, sql in
            try await store.addPatient(
                id: "P-0001", name: "Test Patient", cpr: nil, timeZone: "Europe/Copenhagen", monitoringStart: Self.start
            )
            let limit = PersonalSetting(
                .limit(ruleID: "systolic-range", parameter: "yellowBelow", value: 82), validFrom: TestCohort.now)

            let refused = await #expect(throws: StoreError.self) {
                try await store.addPersonalSetting(
                    patientID: "P-0001", limit, reason: "Runs low", by: Self.nurse, ruleSet: rules, at: nil)
            }
            #expect(refused?.reason == "Test Nurse has the nurse role; only a cardiologist changes thresholds")
            #expect(refused?.code == .notAllowed)
            let unknown = await #expect(throws: StoreError.self) {
                try await store.addPersonalSetting(
                    patientID: "P-0001",
                    PersonalSetting(
                        .limit(ruleID: "no-such-rule", parameter: "x", value: 1), validFrom: TestCohort.now),
                    reason: "typo", by: Self.cardiologist, ruleSet: rules, at: nil)
            }
            #expect(unknown?.reason.hasPrefix("no rule 'no-such-rule'") == true)
            #expect(unknown?.code == .invalid)
            let nobody = await #expect(throws: StoreError.self) {
                try await store.addPersonalSetting(
                    patientID: "P-9999", limit, reason: "Runs low", by: Self.cardiologist, ruleSet: rules, at: nil)
            }
            #expect(nobody?.reason == "no patient with this id")
            #expect(nobody?.code == .notFound)
            #expect(try await store.personalSettings(patientID: "P-0001").isEmpty)
            #expect(try await store.auditLog(patientID: "P-0001", limit: nil).isEmpty, "a refusal stores nothing")

            let kept = try await store.addPersonalSetting(
                patientID: "P-0001", limit, reason: "Runs low without symptoms", by: Self.cardiologist,
                ruleSet: rules, at: nil)
            let plan = try await store.addPersonalSetting(
                patientID: "P-0001",
                PersonalSetting(.measurementPlan(daysAWeek: 3), validFrom: TestCohort.now.addingTimeInterval(60)),
                reason: "Mon, Wed, Fri agreed", by: Self.nurse, ruleSet: rules, at: nil)
            let read = try await store.personalSettings(patientID: "P-0001")
            #expect(read == [kept, plan], "read back as written")
            #expect(read.first?.setting.change == limit.change && read.first?.setBy == "Test Cardiologist")
            #expect(read.first?.openFlagIDs == [])
            let audit = try await store.auditLog(patientID: "P-0001", limit: nil)
            #expect(audit.map(\.action) == [.thresholdChanged, .measurementPlanChanged])
            #expect(
                audit.first?.detail
                    == "setting \(kept.id): systolic-range.yellowBelow = 82.0; reason: Runs low without symptoms")

            #expect(throws: (any Error).self) { try sql("UPDATE personal_setting SET value = 70") }
            #expect(throws: (any Error).self) { try sql("DELETE FROM personal_setting") }
            #expect(try await store.personalSettings(patientID: "P-0001") == read)
        }
    }

    @Test(
        "one open flag per patient and problem: the database refuses a second, and takes one again once the first is closed",
        arguments: Backend.allCases)
    func oneOpenFlag(backend: Backend) async throws {
        try await withStore(backend) { store, sql in
            try await store.addPatient(
                id: "P-0001", name: "Test Patient", cpr: nil, timeZone: "Europe/Copenhagen", monitoringStart: Self.start
            )
            // Written behind the store's back, in each backend's own form of an instant.
            let at = backend == .sqlite ? "1764576000000" : "'2026-12-01T08:00:00Z'"
            func flag(state: String) -> String {
                """
                INSERT INTO flag (patient_id, rule_id, problem, rule_set_version, measurement, severity, state,
                    explanation, reading_ids, evidence_at, supports, opened_at, updated_at)
                VALUES ('P-0001', 'weight-gain-3d', 'worsening', 4, 'weight', 'yellow', '\(state)', 'test', '[]',
                    \(at), '[]', \(at), \(at))
                """
            }
            try sql(flag(state: "open"))
            #expect(throws: (any Error).self) { try sql(flag(state: "open")) }
            #expect(throws: (any Error).self) { try sql(flag(state: "escalated")) }
            try sql("UPDATE flag SET state = 'closed'")
            try sql(flag(state: "open"))
            let setting = try await store.addPersonalSetting(
                patientID: "P-0001", PersonalSetting(.dryWeight(78.5), validFrom: TestCohort.now),
                reason: "After admission", by: Self.cardiologist, ruleSet: nil, at: nil)
            #expect(setting.openFlagIDs.count == 1, "the flag open at the time is named with the setting")
        }
    }
}

/// What only PostgreSQL has: a schema migrated by version under a lock, and a URL to read.
@Suite struct PostgresSchemaTests {
    @Test("migrating twice changes nothing; a database from a newer build is refused, not changed")
    func versions() async throws {
        try await withPostgres { cluster in
            let url = try cluster.createDatabase()
            let location = try PostgresLocation(url: url)
            for _ in 0..<2 {
                let version = try await PostgresMonitoringStore.with(location, clock: TestCohort.clock) {
                    try await $0.schemaVersion()
                }
                #expect(version == PostgresMonitoringStore.currentSchemaVersion)
            }
            try cluster.psql(
                location.database, "INSERT INTO schema_migration (version, name) VALUES (99, 'from the future')")
            let error = await #expect(throws: StoreError.self) {
                try await PostgresMonitoringStore.open(location, clock: TestCohort.clock)
            }
            #expect(
                error?.reason
                    == "the database is at schema version 99 and this build knows \(PostgresMonitoringStore.currentSchemaVersion): upgrade tele-ingest"
            )
            #expect(error?.code == .schemaMismatch)
        }
    }

    @Test(
        "instants go to milliseconds since 1970 and back exactly: before 1970, at it, in this century with odd milliseconds, far ahead; both conversions inlined into the statements"
    )
    func epochMilliseconds() async throws {
        try await withPostgres { cluster in
            let location = try PostgresLocation(url: try cluster.createDatabase())
            _ = try await PostgresMonitoringStore.with(location, clock: TestCohort.clock) {
                try await $0.schemaVersion()
            }
            let milliseconds: [Int64] = [
                -86_400_001, -1, 0, 1, 499, 500, 999, 1_796_112_000_123, 1_796_112_000_500, 1_798_761_599_999,
                4_102_444_800_001, 253_402_300_799_999,
            ]
            let list = milliseconds.map(String.init).joined(separator: ",")
            let wrong = try cluster.psql(
                location.database,
                "SELECT ms FROM unnest(ARRAY[\(list)]::bigint[]) AS ms WHERE epoch_ms(instant(ms)) <> ms")
            #expect(wrong.isEmpty, "instants that did not come back: \(wrong)")
            // 09:00:00.123 in Copenhagen on Tuesday 1 December 2026.
            let stamp = try cluster.psql(location.database, "SELECT epoch_ms(timestamptz '2026-12-01 09:00:00.123+01')")
            #expect(stamp.trimmingCharacters(in: .whitespacesAndNewlines) == "1796112000123")
            // Both are inlined into the statements that use them (schema v16), not called per value.
            let plan = try cluster.psql(
                location.database,
                "EXPLAIN (VERBOSE, COSTS OFF) SELECT epoch_ms(instant(ms)) FROM unnest(ARRAY[\(list)]::bigint[]) AS ms")
            #expect(plan.contains("date_part") && plan.contains("'00:00:00.001'::interval"), "not inlined: \(plan)")
            #expect(!plan.contains("epoch_ms(") && !plan.contains("instant("), "not inlined: \(plan)")
        }
    }

    @Test(
        "database.url is read with its parts; what is not a PostgreSQL URL is refused, naming what was expected",
        arguments: [
            ("postgresql://tele:s%40cret@db.example:5433/monitoring?sslmode=require", nil),
            ("postgres://tele@127.0.0.1/monitoring", nil),
            ("mysql://tele@127.0.0.1/monitoring", "expected postgresql://USER@HOST:PORT/DATABASE"),
            ("postgresql://127.0.0.1/monitoring", "a host and a user are required"),
            ("postgresql://tele@127.0.0.1", "a database name is required"),
            ("postgresql://tele@127.0.0.1/monitoring?sslmode=maybe", "sslmode: expected disable, prefer or require"),
        ] as [(String, String?)])
    func location(url: String, refusal: String?) throws {
        guard let refusal else {
            let location = try PostgresLocation(url: url)
            #expect(location.user == "tele" && location.database == "monitoring")
            #expect(!location.description.contains("cret"), "no password in what is printed or logged")
            return
        }
        let error = #expect(throws: StoreError.self) { try PostgresLocation(url: url) }
        #expect(error?.reason.hasPrefix(refusal) == true, "\(error?.reason ?? "")")
    }

    @Test(
        "tele-ingest on PostgreSQL: migrate, patients, devices, readings, thresholds, flags, quarantine, reprocess and import work; backup points to pg_dump"
    )
    func commandLine() async throws {
        try await withPostgres { cluster in
            try await withTemporaryDirectory { directory in
                let url = try cluster.createDatabase()
                func run(_ arguments: [String]) throws -> (Int32, String) {
                    try teleIngest(arguments + ["--database-url", url], in: directory)
                }
                let (migrated, version) = try run(["migrate"])
                #expect(migrated == 0, "\(version)")
                #expect(version.contains("PostgreSQL schema version \(PostgresMonitoringStore.currentSchemaVersion)"))
                #expect(!version.contains("sslmode"), "the location is printed without its options or password")
                #expect(!version.contains("PostgresClient.run()"), "the pool runs before the first lease: \(version)")

                let roster = directory.appendingPathComponent("roster.json")
                try PostgresOperationsTests.roster().write(to: roster)
                let (imported, added) = try run(["patients", "import", roster.path])
                #expect(imported == 0 && added.contains("added 1 patients and 1 pairings"), "\(added)")
                let (_, listed) = try run(["patients", "list"])
                #expect(listed.contains("P-0001") && listed.contains("000150-****") && !listed.contains("1001"))
                let (_, devices) = try run(["devices", "list", "--json"])
                #expect(devices.contains("HV10-00001") && devices.contains("P-0001"))

                let (sqlite, schema) = try teleIngest(
                    ["migrate", "--db", directory.appendingPathComponent("t.sqlite").path], in: directory)
                #expect(
                    sqlite == 0
                        && schema.contains("SQLite schema version \(Schema.migrator.migrations.last ?? "?")"),
                    "\(schema)")

                let (read, readings) = try run(["readings", "--patient", "P-0001"])
                #expect(read == 0 && readings.contains("no readings"), "\(readings)")
                let (set, setting) = try run([
                    "thresholds", "dry-weight", "--patient", "P-0001", "--kg", "78.5", "--by", "Test Cardiologist",
                    "--reason", "after the admission",
                ])
                #expect(set == 0 && setting.contains("recorded for P-0001"), "\(setting)")
                let (_, settings) = try run(["thresholds", "list", "--patient", "P-0001"])
                #expect(
                    settings.contains("dry weight 78.5 kg") && settings.contains("after the admission"), "\(settings)")
                let (_, flags) = try run(["flags"])
                #expect(flags.contains("no flags"), "\(flags)")
                let (_, quarantine) = try run(["quarantine"])
                #expect(quarantine.contains("quarantine is empty"), "\(quarantine)")

                let (reprocessed, reprocess) = try run(["reprocess"])
                #expect(reprocessed == 0 && reprocess.contains("reprocessed 0 quarantined messages"), "\(reprocess)")

                let csv = directory.appendingPathComponent("history.csv")
                let morning = TestCohort.now.addingTimeInterval(-3 * 3_600).formatted(.iso8601)
                let evening = TestCohort.now.addingTimeInterval(-15 * 3_600).formatted(.iso8601)
                try Data(
                    """
                    serial,kind,value,unit,measured_at
                    HV10-00001,weight,81.2,kg,\(evening)
                    HV10-00001,weight,81.0,kg,\(morning)
                    HV10-99999,weight,70.0,kg,\(morning)

                    """.utf8
                ).write(to: csv)
                let (importStatus, report) = try run(["import", csv.path])
                #expect(
                    importStatus == 0 && report.contains("imported 3 rows: 2 stored, 0 already stored, 1 quarantined"),
                    "\(report)")
                #expect(report.contains("line 4: unknown_device"), "\(report)")
                let (_, again) = try run(["import", csv.path])
                #expect(again.contains("imported 3 rows: 0 stored, 2 already stored, 1 quarantined"), "\(again)")
                let (_, stored) = try run(["readings", "--patient", "P-0001"])
                #expect(stored.contains("81.2 kg") && stored.contains("81.0 kg"), "\(stored)")

                let (noBackup, advice) = try run(["backup", directory.appendingPathComponent("copy").path])
                #expect(noBackup != 0 && advice.contains("pg_dump"), "\(advice)")
            }
        }
    }
}
