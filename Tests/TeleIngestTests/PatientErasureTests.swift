import Foundation
import GRDB
import MonitoringRecords
import PostgresStore
import ReadingIntake
import StoreInterface
import Testing
import ThresholdRules

@testable import TeleIngest

/// Erasing one patient's data (docs/SECURITY.md, keeping and forgetting): only when the health
/// record's retention is over or the registration was a mistake nobody acted on; everything on
/// the patient goes but the audit entries, which keep who did what and when without the detail.
@Suite struct PatientErasureTests {
    static func at(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    struct PolicyCase: Sendable, CustomTestStringConvertible {
        var name: String
        var basis: ErasureBasis
        var ended: Bool
        var newestEntry: String
        var now: String
        var clinicalActions: Int
        /// A phrase of the refusal, or `nil`: allowed.
        var refused: String?
        var testDescription: String { name }
    }

    static let policyCases: [PolicyCase] = [
        PolicyCase(
            name: "still monitored", basis: .retentionOver, ended: false, newestEntry: "2010-03-01T10:00:00Z",
            now: "2026-12-01T10:00:00Z", clinicalActions: 3, refused: "monitoring has not ended"),
        PolicyCase(
            name: "a day short of ten years", basis: .retentionOver, ended: true, newestEntry: "2016-12-02T10:00:00Z",
            now: "2026-12-01T10:00:00Z", clinicalActions: 3, refused: "must be kept until 2026-12-02"),
        PolicyCase(
            name: "ten years to the instant", basis: .retentionOver, ended: true, newestEntry: "2016-12-01T10:00:00Z",
            now: "2026-12-01T10:00:00Z", clinicalActions: 3, refused: nil),
        PolicyCase(
            name: "newest entry on a leap day", basis: .retentionOver, ended: true,
            newestEntry: "2024-02-29T12:00:00Z", now: "2034-02-28T11:59:59Z", clinicalActions: 1,
            refused: "must be kept until 2034-02-28"),
        PolicyCase(
            name: "leap day plus ten years", basis: .retentionOver, ended: true, newestEntry: "2024-02-29T12:00:00Z",
            now: "2034-02-28T12:00:00Z", clinicalActions: 1, refused: nil),
        PolicyCase(
            name: "registered in error, nobody acted", basis: .registeredInError, ended: false,
            newestEntry: "2026-11-30T10:00:00Z", now: "2026-12-01T10:00:00Z", clinicalActions: 0, refused: nil),
        PolicyCase(
            name: "registered in error, but a nurse wrote a note", basis: .registeredInError, ended: true,
            newestEntry: "2026-11-30T10:00:00Z", now: "2026-12-01T10:00:00Z", clinicalActions: 1,
            refused: "part of a health record"),
    ]

    @Test("the law's conditions, in a table", arguments: policyCases)
    func policy(_ row: PolicyCase) {
        var footprint = PatientFootprint(newestEntry: Self.at(row.newestEntry))
        footprint.monitoringEnded = row.ended
        footprint.clinicalActions = row.clinicalActions
        footprint.notes = row.clinicalActions
        let refusal = ErasurePolicy(keepYears: 10).refusal(
            patientID: "P-0001", footprint: footprint, basis: row.basis, at: Self.at(row.now))
        if let phrase = row.refused {
            #expect(refusal?.contains(phrase) == true, "\(refusal ?? "allowed")")
        } else {
            #expect(refusal == nil)
        }
    }

    /// Two months through the shipped rules and the stream of the intake conformance suite (with
    /// its quarantine), a note and a dry weight on Patient One, the end of Patient One's
    /// monitoring; then the refusals, the erasure and what is left.
    static func outcome(on backend: Backend) async throws -> [String] {
        try await FollowUpConformanceTests.withTwoMonths(on: backend, receivedAt: at("2026-11-28T08:00:00Z")) {
            intake, _, _ in
            for delivery in ReadingIntakeConformanceTests.deliveries {
                try await intake.journal(.mqtt, delivery.messages, delivery.receivedAt)
                _ = try await intake.processAll()
            }
            let store = intake.followUp
            try await store.addNote(
                patientID: "P-0001", contact: .phone, text: "Feels well, no swelling.", by: ConsoleFixture.nurse,
                at: nil)
            try await store.addPersonalSetting(
                patientID: "P-0001", PersonalSetting(.dryWeight(81.0), validFrom: TestCohort.now),
                reason: "After admission", by: ConsoleFixture.cardiologist,
                ruleSet: nil, at: nil)
            var seen: [String] = []
            func attempt(_ label: String, _ body: () async throws -> Void) async {
                do {
                    try await body()
                    seen.append("\(label): done")
                } catch let error as StoreError {
                    seen.append("\(label): \(error.code) \(error.reason)")
                } catch {
                    seen.append("\(label): refused by the database")
                }
            }
            let erasure = intake.erasure
            let tenYears = ErasurePolicy(keepYears: 10)
            // Now (1 December 2026) counts as ten years after entries made up to this instant.
            let overNow = ErasurePolicy(keepYears: 0)
            await attempt("erase, still monitored") {
                try await erasure.erasePatient(
                    id: "P-0001", basis: .retentionOver, reason: "Retention over", account: "operator-test",
                    policy: overNow)
            }
            try await store.endMonitoring(
                patientID: "P-0001", reason: .completed, comment: nil, by: ConsoleFixture.nurse, at: nil)
            await attempt("erase in error") {
                try await erasure.erasePatient(
                    id: "P-0001", basis: .registeredInError, reason: "Duplicate", account: "operator-test",
                    policy: tenYears)
            }
            await attempt("erase within ten years") {
                try await erasure.erasePatient(
                    id: "P-0001", basis: .retentionOver, reason: "Retention over", account: "operator-test",
                    policy: tenYears)
            }
            await attempt("SQL delete of a note before") { try await intake.sql("DELETE FROM note") }
            let before = try #require(try await erasure.erasureFootprint(patientID: "P-0001"))
            let devices: Set<DeviceSerial> = ["HV10-00017", "SC300-A1", "BP7-0042", "HV10-77777"]
            seen.append(
                "as read apart: \(try await intake.readings("P-0001").count) readings, \(try await intake.flags().filter { $0.patientID == "P-0001" }.count) flags"
            )
            let otherReadings = try await intake.readings("P-0002")
            let quarantineBefore = try await intake.quarantine()
            let payloadsBefore = try await intake.retention.journalPayloads()
            await attempt("erase") {
                try await erasure.erasePatient(
                    id: "P-0001", basis: .retentionOver, reason: "Retention over  ", account: "operator-test",
                    policy: overNow)
            }
            seen.append(
                "held before: \(before.summary); audit \(before.auditEntries); clinical \(before.clinicalActions)")
            seen.append("patient after: \(try await store.patient(id: "P-0001").map(\.name) ?? "none")")
            seen.append("footprint after: \(try await erasure.erasureFootprint(patientID: "P-0001") == nil)")
            seen.append("readings after: \(try await intake.readings("P-0001").count)")
            seen.append("other patient's readings kept: \(try await intake.readings("P-0002") == otherReadings)")
            let quarantineAfter = try await intake.quarantine()
            seen.append("quarantine: \(quarantineBefore.count) → \(quarantineAfter.count)")
            seen.append(
                "quarantine left from the patient's devices: \(quarantineAfter.filter { $0.serial.map(devices.contains) == true && $0.serial != "HV10-77777" }.count)"
            )
            let payloads = try await intake.retention.journalPayloads()
            seen.append("payloads removed: \(payloads.removed - payloadsBefore.removed)")
            seen.append("flags left: \(try await intake.flags().filter { $0.patientID == "P-0001" }.count)")
            let audit = try await store.auditLog(patientID: "P-0001", limit: nil)
            seen += audit.map { "audit: \($0.user) \($0.action.rawValue) \($0.detail)" }
            seen += try await erasure.erasures().map {
                "erasure: \($0.patientID) \($0.basis.rawValue) by \($0.erasedBy): \($0.reason); \($0.removed.summary)"
            }
            await attempt("register the id again") {
                _ = try await intake.registry.addPatient(
                    id: "P-0001", name: "Test Patient New", cpr: nil, timeZone: "Europe/Copenhagen",
                    monitoringStart: nil)
            }
            await attempt("erase again") {
                try await erasure.erasePatient(
                    id: "P-0001", basis: .retentionOver, reason: "Again", account: "operator-test", policy: overNow)
            }
            await attempt("erase with no reason") {
                try await erasure.erasePatient(
                    id: "P-0002", basis: .registeredInError, reason: " ", account: "operator-test", policy: tenYears)
            }
            try await store.addNote(
                patientID: "P-0002", contact: .phone, text: "Called, all well.", by: ConsoleFixture.nurse, at: nil)
            await attempt("SQL delete of another patient's note") { try await intake.sql("DELETE FROM note") }
            await attempt("SQL blanking of another patient's audit entry") {
                try await intake.sql(
                    "UPDATE audit_log SET detail = '(erased with the patient''s record)' WHERE patient_id = 'P-0002'")
            }
            await attempt("SQL deleting the erasure record") { try await intake.sql("DELETE FROM patient_erasure") }
            await attempt("SQL changing an erased patient's audit entry otherwise") {
                try await intake.sql("UPDATE audit_log SET detail = 'changed' WHERE patient_id = 'P-0001'")
            }
            return seen
        }
    }

    @Test("only when the law allows; everything on the patient goes but the blanked audit entries, on both backends")
    func erasure() async throws {
        let sqlite = try await Self.outcome(on: .sqlite)
        let postgres = try await Self.outcome(on: .postgresql)
        #expect(postgres == sqlite)
        #expect(sqlite[0].hasPrefix("erase, still monitored: notAllowed") && sqlite[0].contains("has not ended"))
        #expect(
            sqlite[1].hasPrefix("erase in error: notAllowed") && sqlite[1].contains("(1 notes, 1 personal settings)"))
        #expect(sqlite[2].hasPrefix("erase within ten years: notAllowed"))
        #expect(sqlite[2].contains("must be kept until 2036-12-01"), "\(sqlite[2])")
        #expect(sqlite[3] == "SQL delete of a note before: refused by the database")
        #expect(sqlite[5] == "erase: done")
        // What the erasure counted is what the store showed apart, and what went.
        let apart = try #require(sqlite[4].firstMatch(of: /as read apart: (\d+) readings, (\d+) flags/))
        #expect(Int(apart.1)! > 100 && Int(apart.2)! >= 1)
        let moved = try #require(sqlite.lazy.compactMap { $0.firstMatch(of: /quarantine: (\d+) → (\d+)/) }.first)
        let quarantined = Int(moved.1)! - Int(moved.2)!
        #expect(quarantined >= 4, "the 1970 scale, the malformed, the future and the conflicting message at least")
        #expect(
            sqlite[6].hasPrefix(
                "held before: \(apart.1) readings, \(apart.2) flags, 1 notes, 1 personal settings, 4 pairings, 1 ends of monitoring, \(quarantined) quarantined messages"
            ), "\(sqlite[6])")
        let payloads = try #require(sqlite[6].firstMatch(of: /(\d+) raw payloads/))
        #expect(sqlite.contains("payloads removed: \(payloads.1)"))
        #expect(sqlite.contains("quarantine left from the patient's devices: 0"))
        #expect(sqlite.contains("patient after: none"))
        #expect(sqlite.contains("footprint after: true"))
        #expect(sqlite.contains("readings after: 0"))
        #expect(sqlite.contains("other patient's readings kept: true"))
        let audit = sqlite.filter { $0.hasPrefix("audit: ") }
        #expect(audit.count == 4)
        #expect(audit.dropLast().allSatisfy { $0.hasSuffix("(erased with the patient's record)") }, "\(audit)")
        #expect(
            audit.last?.hasPrefix("audit: operator-test patient.erase erased (retention-over): \(apart.1) readings")
                == true)
        #expect(audit.allSatisfy { !$0.contains("After admission") && !$0.contains("note 1") })
        #expect(
            sqlite.contains {
                $0.hasPrefix("erasure: P-0001 retention-over by operator-test: Retention over; \(apart.1) readings")
            })
        #expect(
            sqlite.contains {
                $0.hasPrefix("register the id again: conflict") && $0.contains("was erased on 2026-12-01")
            })
        #expect(sqlite.contains { $0.hasPrefix("erase again: notFound") })
        #expect(sqlite.contains { $0.hasPrefix("erase with no reason: invalid give the reason") })
        for refusal in [
            "SQL delete of another patient's note", "SQL blanking of another patient's audit entry",
            "SQL deleting the erasure record", "SQL changing an erased patient's audit entry otherwise",
        ] {
            #expect(sqlite.contains("\(refusal): refused by the database"), "\(refusal)")
        }
    }

    @Test("tele-ingest patients erase: a dry run first, refused within the retention time, then erased and listed")
    func commandLine() async throws {
        try await withTemporaryDirectory { directory in
            let db = directory.appendingPathComponent("p.sqlite").path
            let store = try MonitoringStore(path: db, clock: TestCohort.clock)
            try await ReadingIntakeConformanceTests.register(store)
            try store.endMonitoring(patientID: "P-0002", reason: .moved, comment: nil, by: ConsoleFixture.nurse)
            let erase = [
                "patients", "erase", "P-0002", "--db", db, "--basis", "retention-over", "--reason", "Kept 10 years",
            ]

            let (early, refusal) = try teleIngest(erase, in: directory, now: TestCohort.now)
            #expect(early != 0 && refusal.contains("must be kept until 2036-12-01"), "\(refusal)")
            let later = Self.at("2036-12-02T09:00:00Z")
            let (dryStatus, dry) = try teleIngest(erase + ["--dry-run"], in: directory, now: later)
            #expect(dryStatus == 0 && dry.contains("would be erased") && dry.contains("monitoring ended"), "\(dry)")
            #expect(try store.patient(id: "P-0002") != nil, "a dry run changes nothing")

            let (status, output) = try teleIngest(erase, in: directory, now: later)
            #expect(status == 0 && output.contains("P-0002: erased (retention-over)"), "\(output)")
            #expect(!output.contains("Test Patient Two") && !output.contains("000202"))
            #expect(try store.patient(id: "P-0002") == nil)
            let (_, list) = try teleIngest(["patients", "erasures", "--db", db], in: directory, now: later)
            #expect(list.contains("P-0002") && list.contains("retention-over") && list.contains("Kept 10 years"))

            let config = directory.appendingPathComponent("short.yaml")
            try "records:\n  keepYears: 5\n".write(to: config, atomically: true, encoding: .utf8)
            let (bad, message) = try teleIngest(
                [
                    "patients", "erase", "P-0001", "--config", config.path, "--db", db, "--basis", "retention-over",
                    "--reason", "x",
                ], in: directory, now: later)
            #expect(bad != 0 && message.contains("records.keepYears") && message.contains("expected 10 to 100 years"))
            #expect(try store.patient(id: "P-0001") != nil)
        }
    }

    @Test(
        "every table that holds a patient's rows is erased, but the audit log and the erasure record, on both schemas")
    func everyTable() async throws {
        let erased = Set(PatientErasureRecord.erasedTables + ["audit_log", "patient_erasure"])
        try await withTemporaryDirectory { directory in
            let store = try MonitoringStore(path: directory.appendingPathComponent("s.sqlite").path)
            let tables = try store.database.read { db in
                try String.fetchAll(
                    db,
                    sql: """
                        SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) c
                        WHERE m.type = 'table' AND c.name = 'patient_id'
                        """)
            }
            #expect(Set(tables) == erased)
        }
        try await withPostgres { cluster in
            let location = try PostgresLocation(url: try cluster.createDatabase())
            try await PostgresMonitoringStore.with(location, clock: .fixed(TestCohort.now)) { _ in }
            let tables = try cluster.psql(
                location.database,
                """
                SELECT c.table_name FROM information_schema.columns c
                JOIN information_schema.tables t USING (table_schema, table_name)
                WHERE c.column_name = 'patient_id' AND c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
                """)
            #expect(Set(tables.split(separator: "\n").map(String.init)) == erased)
        }
    }
}
