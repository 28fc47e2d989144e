import FollowUp
import Foundation
import MonitoringRecords
import PostgresStore
import StoreInterface
import Testing
import ThresholdRules

@testable import TeleIngest

/// Who is using it: the person comes from the account they signed in with (their PostgreSQL
/// role, or their operating-system account on SQLite), looked up in the clinician directory; a
/// nurse sees her team's patients; on PostgreSQL the database itself enforces the role and the
/// caseload, whatever SQL the session sends.
@Suite struct SignInTests {
    static let northNurse = Clinician(name: "Test Nurse North", role: .nurse, teams: ["north"])

    /// Teams north and south; P-0001 north, P-0002 south, P-NUUK without a team.
    static func caseload(_ store: any FollowUpStore) async throws {
        try await store.addTeam(Team(id: "north", name: "Test District North"))
        try await store.addTeam(Team(id: "south", name: "Test District South"))
        try await store.assignTeam(patientID: "P-0001", team: "north")
        try await store.assignTeam(patientID: "P-0002", team: "south")
    }

    static func session(_ store: any FollowUpStore, _ clinician: Clinician) -> FollowUpSession {
        FollowUpSession(
            store: store, clinician: clinician, ruleSet: nil, timeZone: ConsoleFixture.zone, hotline: HotlineSchedule(),
            now: { TestCohort.now })
    }

    /// What a nurse of team north can see and do, in comparable form.
    static func northView(on backend: Backend) async throws -> [String] {
        try await withIntake(backend) { intake in
            try await ReadingIntakeConformanceTests.register(intake.registry)
            let store = intake.followUp
            try await caseload(store)
            var seen: [String] = []
            func attempt(_ what: String, _ action: () async throws -> Void) async {
                do {
                    try await action()
                    seen.append("\(what): done")
                } catch {
                    seen.append("\(what): \(error)")
                }
            }
            await attempt("second north") { try await store.addTeam(Team(id: "north", name: "Again")) }
            await attempt("bad id") { try await store.addTeam(Team(id: "North Side", name: "Test")) }
            await attempt("unknown team") { try await store.assignTeam(patientID: "P-0001", team: "east") }
            await attempt("unknown patient") { try await store.assignTeam(patientID: "P-NOBODY", team: "north") }
            seen.append("teams: " + (try await store.teams()).map(\.id).joined(separator: ","))
            seen.append(
                "patients: " + (try await store.patients()).map { "\($0.id)=\($0.team ?? "-")" }.joined(separator: ","))

            let nurse = session(store, northNurse)
            seen.append(
                "worklist: "
                    + (try await nurse.worklist()).entries.map(\.patientID.rawValue).sorted().joined(separator: ","))
            await attempt("open P-0002") { _ = try await nurse.overview(patientID: "P-0002") }
            await attempt("note P-0002") { try await nurse.note(patientID: "P-0002", contact: .phone, text: "Hello") }
            await attempt("note P-0001") { try await nurse.note(patientID: "P-0001", contact: .phone, text: "Hello") }
            await attempt("note P-NUUK") { try await nurse.note(patientID: "P-NUUK", contact: .phone, text: "Hello") }
            let everyone = session(store, Clinician(name: "Test Cardiologist", role: .cardiologist))
            seen.append(
                "all teams: "
                    + (try await everyone.worklist()).entries.map(\.patientID.rawValue).sorted().joined(separator: ",")
            )
            seen += try await store.auditLog(patientID: "P-0002", limit: nil).map {
                "audit: \($0.user) | \($0.role) | \($0.action.rawValue) | \($0.detail)"
            }
            return seen
        }
    }

    @Test("a nurse's worklist and actions are her team's patients and those without a team, on both backends")
    func caseloadsOnBothBackends() async throws {
        let sqlite = try await Self.northView(on: .sqlite)
        let postgres = try await Self.northView(on: .postgresql)
        #expect(postgres == sqlite)
        #expect(sqlite.contains { $0.hasPrefix("second north: ") && $0.contains("exists already") })
        #expect(sqlite.contains { $0.hasPrefix("bad id: ") && $0.contains("lower-case letters") })
        #expect(sqlite.contains { $0.hasPrefix("unknown team: ") && $0.contains("no team 'east'") })
        #expect(sqlite.contains { $0.hasPrefix("unknown patient: ") && $0.contains("no patient") })
        #expect(sqlite.contains("teams: north,south"))
        #expect(sqlite.contains("patients: P-0001=north,P-0002=south,P-NUUK=-"))
        #expect(sqlite.contains("worklist: P-0001,P-NUUK"), "\(sqlite)")
        #expect(sqlite.contains("open P-0002: no patient with id 'P-0002' in your caseload (team north)"))
        #expect(sqlite.contains("note P-0002: no patient with id 'P-0002' in your caseload (team north)"))
        #expect(sqlite.contains("note P-0001: done") && sqlite.contains("note P-NUUK: done"))
        #expect(sqlite.contains("all teams: P-0001,P-0002,P-NUUK"))
        #expect(
            sqlite.filter { $0.hasPrefix("audit: Test Nurse North | nurse | refused | tried to ") }.count == 2,
            "both attempts on the other team's patient are in the log:\n\(sqlite.joined(separator: "\n"))")
    }

    @Test("on SQLite the person is the operating-system account in the directory; --user names nobody else")
    func operatingSystemAccount() async throws {
        try await withTemporaryDirectory { directory in
            let store = try MonitoringStore(
                path: directory.appendingPathComponent("s.sqlite").path, clock: TestCohort.clock)
            let account = try store.sessionAccount()
            #expect(account == NSUserName())
            // An empty directory: the demo's claim stands.
            #expect(try await store.signIn(claimed: Self.northNurse) == Self.northNurse)
            try await ReadingIntakeConformanceTests.register(store)
            try await Self.caseload(store)
            try store.saveClinician(
                try ClinicianAccount.checked(account: "someone-else", name: "Test Other", role: .nurse, teams: []))
            await #expect(throws: SignInError.self) { try await store.signIn(claimed: Self.northNurse) }
            do {
                _ = try await store.signIn(claimed: nil)
            } catch let error as SignInError {
                #expect(error.description.contains("account \(account) is not in the clinician directory"))
            }
            try store.saveClinician(
                try ClinicianAccount.checked(account: account, name: "Test Nurse North", role: .nurse, teams: ["north"])
            )
            #expect(try await store.signIn(claimed: nil) == Self.northNurse)
            let other = Clinician(name: "Test Cardiologist", role: .cardiologist)
            do {
                _ = try await store.signIn(claimed: other)
                Issue.record("a claim naming someone else was accepted")
            } catch let error as SignInError {
                #expect(error.description.contains("you are signed in as \(account) (Test Nurse North, nurse)"))
            }

            // The real programs: the operator's directory, then the nurse's console without --user.
            let db = directory.appendingPathComponent("s.sqlite").path
            let (added, addOutput) = try teleIngest(
                [
                    "clinicians", "add", "--db", db, "--account", account, "--name", "Test Nurse South", "--role",
                    "nurse",
                    "--team", "south",
                ], in: directory)
            #expect(added == 0, "\(addOutput)")
            let (_, listed) = try teleIngest(["clinicians", "list", "--db", db], in: directory)
            #expect(listed.contains("Test Nurse South") && listed.contains("someone-else"))
            let (badTeam, badOutput) = try teleIngest(
                [
                    "clinicians", "add", "--db", db, "--account", "x", "--name", "X", "--role", "nurse", "--team",
                    "west",
                ],
                in: directory)
            #expect(badTeam != 0 && badOutput.contains("no team 'west'"), "\(badOutput)")
            let (status, worklist) = try nurseConsole(["worklist", "--db", db, "--rules", "none"], in: directory)
            #expect(status == 0 && worklist.contains("P-0002") && !worklist.contains("P-0001"), "\(worklist)")
            let (claimed, claimOutput) = try nurseConsole(
                ["worklist", "--db", db, "--rules", "none", "--user", "Test Cardiologist", "--role", "cardiologist"],
                in: directory)
            #expect(claimed != 0 && claimOutput.contains("cannot name someone else"), "\(claimOutput)")
            #expect(try store.auditLog().last?.user == "Test Nurse South")

            // The operator's tool enters a written order only for someone in the directory.
            let order = [
                "thresholds", "dry-weight", "--db", db, "--patient", "P-0002", "--kg", "78.5", "--reason",
                "Letter from the clinic", "--by",
            ]
            let (unknown, unknownOutput) = try teleIngest(order + ["Dr Nobody"], in: directory)
            #expect(unknown != 0 && unknownOutput.contains("no cardiologist named 'Dr Nobody'"), "\(unknownOutput)")
            try store.saveClinician(
                try ClinicianAccount.checked(
                    account: "dr-test", name: "Test Cardiologist", role: .cardiologist, teams: []))
            let (entered, enteredOutput) = try teleIngest(order + ["Test Cardiologist"], in: directory)
            #expect(entered == 0, "\(enteredOutput)")
            let orders = try store.auditLog(patientID: "P-0002").suffix(2)
            #expect(orders.map(\.action) == [.thresholdChanged, .enteredForClinician])
            #expect(orders.first?.user == "Test Cardiologist" && orders.last?.user == account)
            #expect(orders.last?.detail.contains("entered for Test Cardiologist") == true)
        }
    }

    @Test(
        "on PostgreSQL a clinician signs in as her own role with a password; the database refuses what her role may not do"
    )
    func databaseRoles() async throws {
        try await withPostgres { cluster in
            let url = try cluster.createDatabase()
            let location = try PostgresLocation(url: url)
            let suffix = String(location.database.suffix(8))
            let (nurseRole, cardiologistRole) = ("nurse_north_\(suffix)", "cardiologist_\(suffix)")
            let (nursePassword, cardiologistPassword) = ("test-password-north", "test-password-heart")
            try await PostgresMonitoringStore.with(location, clock: TestCohort.clock) { store in
                try await ReadingIntakeConformanceTests.register(store)
                try await Self.caseload(store)
                try cluster.psql(
                    location.database,
                    """
                    CREATE ROLE \(nurseRole) LOGIN PASSWORD '\(nursePassword)';
                    CREATE ROLE \(cardiologistRole) LOGIN PASSWORD '\(cardiologistPassword)';
                    """)
                await #expect(throws: StoreError.self) {
                    try await store.saveClinician(
                        try ClinicianAccount.checked(account: "nobody_\(suffix)", name: "X", role: .nurse, teams: []))
                }
                try await store.saveClinician(
                    try ClinicianAccount.checked(
                        account: nurseRole, name: "Test Nurse North", role: .nurse, teams: ["north"]))
                try await store.saveClinician(
                    try ClinicianAccount.checked(
                        account: cardiologistRole, name: "Test Cardiologist", role: .cardiologist, teams: []))
            }
            func asNurse(_ sql: String) throws -> String {
                try cluster.psql(location.database, sql, as: nurseRole, password: nursePassword)
            }
            func refused(_ sql: String) -> String {
                do {
                    _ = try asNurse(sql)
                    return "not refused"
                } catch {
                    return "\(error)"
                }
            }

            // By hand-written SQL, as the nurse.
            #expect(try asNurse("SELECT id FROM patient ORDER BY id") == "P-0001\nP-NUUK\n")
            #expect(try asNurse("SELECT count(*) FROM pairing WHERE patient_id = 'P-0002'") == "0\n")
            let limit = refused(
                """
                INSERT INTO personal_setting (patient_id, kind, rule_id, parameter, value, valid_from, reason, set_by,
                    set_at, open_flags)
                VALUES ('P-0001', 'limit', 'systolic-range', 'redAbove', 150, now(), 'by hand', 'x', now(), '{}')
                """)
            #expect(limit.contains("row-level security"), "\(limit)")
            #expect(refused("UPDATE personal_setting SET value = 1").contains("permission denied"))
            #expect(refused("UPDATE escalation SET decision = 'no-change'").contains("permission denied"))
            #expect(refused("SELECT count(*) FROM journal").contains("permission denied"))
            #expect(refused("UPDATE pairing SET patient_id = 'P-NUUK'").contains("permission denied"))
            #expect(refused("UPDATE flag SET severity = 'yellow'").contains("permission denied"))
            // A closed flag stays closed, whoever writes the SQL.
            try cluster.psql(
                location.database,
                """
                INSERT INTO flag (patient_id, rule_id, problem, rule_set_version, measurement, severity, state,
                    explanation, reading_ids, evidence_at, supports, opened_at, updated_at, closed_at, closed_by)
                VALUES ('P-0001', 'systolic-range', 'systolic', 1, 'systolic', 'red', 'closed', 'by hand', '', now(),
                    '', now(), now(), now(), 'Test Nurse North')
                """)
            let reopened = refused("UPDATE flag SET state = 'open', closed_at = NULL, closed_by = NULL")
            #expect(reopened.contains("from open to closed or escalated"), "\(reopened)")
            let otherTeam = refused(
                "INSERT INTO note (patient_id, contact, text, written_by, written_at) VALUES ('P-0002', 'phone', 'x', 'x', now())"
            )
            #expect(otherTeam.contains("row-level security"), "\(otherTeam)")
            _ = try asNurse(
                "INSERT INTO note (patient_id, contact, text, written_by, written_at) VALUES ('P-0001', 'phone', 'Called', 'Forged Name', now())"
            )
            #expect(try cluster.psql(location.database, "SELECT written_by FROM note") == "Test Nurse North\n")
            #expect(
                (try? cluster.psql(location.database, "SELECT 1", as: nurseRole, password: "wrong")) == nil,
                "a wrong password is refused")

            // Through the console's session, signed in as the nurse and as the cardiologist.
            var nurseLocation = location
            nurseLocation.user = nurseRole
            nurseLocation.password = nursePassword
            try await PostgresMonitoringStore.with(nurseLocation, clock: TestCohort.clock) { store in
                let nurse = try await store.signIn(claimed: nil)
                #expect(nurse == Self.northNurse)
                let session = Self.session(store, nurse)
                #expect((try await session.worklist()).entries.map(\.patientID).sorted() == ["P-0001", "P-NUUK"])
                await #expect(throws: StoreError.self) {
                    try await session.setLimit(
                        patientID: "P-0001", ruleID: "systolic-range", parameter: "redAbove", value: 150,
                        reason: "trying")
                }
                try await session.setMeasurementPlan(patientID: "P-0001", daysAWeek: 3, reason: "Mon, Wed, Fri agreed")
                // Erasing is the schema owner's: a clinician's role is told so, and nothing goes.
                let erasure = await #expect(throws: StoreError.self) {
                    try await store.erasePatient(
                        id: "P-NUUK", basis: .registeredInError, reason: "trying", account: nurseRole,
                        policy: ErasurePolicy())
                }
                #expect(
                    erasure?.reason.contains("the role that owns the schema") == true, "\(String(describing: erasure))")
                #expect(try await store.patient(id: "P-NUUK") != nil)
            }
            var cardiologistLocation = location
            cardiologistLocation.user = cardiologistRole
            cardiologistLocation.password = cardiologistPassword
            try await PostgresMonitoringStore.with(cardiologistLocation, clock: TestCohort.clock) { store in
                let session = Self.session(store, try await store.signIn(claimed: nil))
                #expect((try await session.worklist()).entries.count == 3)
                try await session.setLimit(
                    patientID: "P-0002", ruleID: "systolic-range", parameter: "redAbove", value: 170,
                    reason: "Known high pressure")
            }
            let audit = try cluster.psql(
                location.database,
                "SELECT \"user\" || ' | ' || role || ' | ' || action || ' | ' || coalesce(patient_id, '-') FROM audit_log ORDER BY id"
            )
            #expect(audit.contains("Test Nurse North | nurse | refused | P-0001"), "\(audit)")
            #expect(audit.contains("Test Nurse North | nurse | plan.change | P-0001"), "\(audit)")
            #expect(audit.contains("Test Cardiologist | cardiologist | threshold.change | P-0002"), "\(audit)")
            #expect(
                try cluster.psql(location.database, "SELECT set_by FROM personal_setting ORDER BY id")
                    == "Test Nurse North\nTest Cardiologist\n")
        }
    }
}
