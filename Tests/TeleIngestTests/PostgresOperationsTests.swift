import Foundation
import MonitoringRecords
import PostgresStore
import StoreInterface
import Testing

/// What docs/POSTGRESQL.md tells an operator to do, done with Debian's PostgreSQL programs on
/// private clusters: a logical backup restored, and a streaming-replication standby that
/// follows the primary and can be read.
@Suite struct PostgresOperationsTests {
    static func roster() -> Roster {
        Roster(patients: [
            Roster.Patient(
                id: "P-0001", name: "Test Patient One", cpr: "000150-1001",
                monitoringStart: TestCohort.now.addingTimeInterval(-86_400), serials: ["HV10-00001"])
        ])
    }

    @Test("pg_dump -Fc restored with pg_restore: the same patients and pairings, the audit log still append-only")
    func dumpAndRestore() async throws {
        try await withPostgres { cluster in
            try await withTemporaryDirectory { directory in
                let url = try cluster.createDatabase()
                let roster = directory.appendingPathComponent("roster.json")
                try Self.roster().write(to: roster)
                #expect(
                    try teleIngest(["patients", "import", roster.path, "--database-url", url], in: directory).0 == 0)
                let database = String(url.split(separator: "/").last!.split(separator: "?").first!)
                // An audit entry, so that a refused change has a row to refuse.
                try cluster.psql(
                    database,
                    "INSERT INTO audit_log (at, \"user\", role, action, patient_id, detail) VALUES (now(), 'nurse.test', 'nurse', 'note.add', 'P-0001', 'test')"
                )
                let dump = cluster.folder.appendingPathComponent("\(database).pgc").path
                try cluster.client("pg_dump", ["-Fc", "-f", dump, database])
                let copyName = "\(database)_restored"
                try cluster.client("createdb", [copyName])
                try cluster.client("pg_restore", ["--exit-on-error", "-d", copyName, dump])

                let restored = cluster.url(copyName)
                let (migrated, version) = try teleIngest(["migrate", "--database-url", restored], in: directory)
                #expect(
                    migrated == 0 && version.contains("schema version \(PostgresMonitoringStore.currentSchemaVersion)"),
                    "\(version)")
                let original = try teleIngest(["devices", "list", "--json", "--database-url", url], in: directory)
                let copy = try teleIngest(["devices", "list", "--json", "--database-url", restored], in: directory)
                #expect(copy.0 == 0 && copy.1 == original.1 && copy.1.contains("HV10-00001"), "\(copy.1)")
                #expect(throws: TestSetupError.self, "the restored audit log refuses changes") {
                    try cluster.psql(copyName, "DELETE FROM audit_log")
                }
                #expect(try cluster.psql(copyName, "SELECT count(*) FROM audit_log") == "1\n")
            }
        }
    }

    @Test(
        "a standby made with pg_basebackup -R follows the primary: registrations appear on it, it opens read-only, writes are refused naming the primary"
    )
    func streamingStandby() async throws {
        try await withOwnPostgres { primary in
            try await withTemporaryDirectory { directory in
                let url = try primary.createDatabase()
                let database = String(url.split(separator: "/").last!.split(separator: "?").first!)
                #expect(try teleIngest(["migrate", "--database-url", url], in: directory).0 == 0)
                let standby = try PostgresCluster(standbyOf: primary)
                defer { standby.stop() }
                try standby.start()
                let follower = standby.url(database)

                let roster = directory.appendingPathComponent("roster.json")
                try Self.roster().write(to: roster)
                #expect(
                    try teleIngest(["patients", "import", roster.path, "--database-url", url], in: directory).0 == 0)
                var listed = ""
                let arrived = try await eventually(timeout: .seconds(30)) {
                    listed = try teleIngest(["patients", "list", "--database-url", follower], in: directory).1
                    return listed.contains("P-0001")
                }
                #expect(arrived, "the registration reached the standby: \(listed)")

                let (refused, why) = try teleIngest(
                    ["patients", "add", "--id", "P-0002", "--name", "Test Patient Two", "--database-url", follower],
                    in: directory)
                #expect(refused != 0 && why.contains("read-only") && why.contains("write to the primary"), "\(why)")
                let standbyStore = try await PostgresMonitoringStore.open(
                    PostgresLocation(url: follower), clock: TestCohort.clock)
                let error = await #expect(throws: StoreError.self) {
                    try await standbyStore.addPatient(
                        id: "P-0003", name: "Test Patient Three", cpr: nil, timeZone: "Europe/Copenhagen",
                        monitoringStart: nil)
                }
                await standbyStore.close()
                #expect(error?.code == .readOnly)
                #expect(error?.underlying != nil, "the server's own error is kept")
            }
        }
    }
}
