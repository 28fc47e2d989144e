import Foundation
import MonitoringRecords
import PostgresNIO
import StoreInterface
import Testing

@testable import PostgresStore

/// A batch's look-ups by device and by patient are prepared statements, and PostgreSQL keeps one
/// generic plan for each, made without knowing how many keys a batch brings. Written as
/// `key = ANY(…)` or as a join with the keys, that plan scanned the device, pairing and patient
/// tables whole while they held about a thousand rows, as a site of a thousand patients has:
/// each look-up has to stay an index search per key whatever the tables hold.
@Suite struct PostgresBatchPlanTests {
    /// The plan PostgreSQL keeps for `sql` after analysing a store of a thousand patients, each
    /// with one paired scale, executed with `arguments` (psql's literals).
    static func genericPlan(of sql: String, _ arguments: String) async throws -> String {
        try await withPostgres { cluster in
            let location = try PostgresLocation(url: try cluster.createDatabase())
            _ = try await PostgresMonitoringStore.with(location, clock: TestCohort.clock) {
                try await $0.schemaVersion()
            }
            try cluster.psql(
                location.database,
                """
                INSERT INTO patient (id, name, time_zone, created_at, monitoring_start)
                    SELECT format('PLAN-%s', n), format('Plan Patient %s', n), 'Europe/Copenhagen',
                           timestamptz '2026-01-05', timestamptz '2026-01-05'
                    FROM generate_series(1, 1000) AS n;
                INSERT INTO device (serial, registered_at)
                    SELECT format('HV10-PLAN%s', n), timestamptz '2026-01-05' FROM generate_series(1, 1000) AS n;
                INSERT INTO pairing (serial, patient_id, valid_from)
                    SELECT format('HV10-PLAN%s', n), format('PLAN-%s', n), timestamptz '2026-01-05'
                    FROM generate_series(1, 1000) AS n;
                ANALYZE
                """)
            return try cluster.psql(
                location.database,
                """
                SET plan_cache_mode = force_generic_plan;
                PREPARE lookup AS \(sql);
                EXPLAIN (COSTS OFF) EXECUTE lookup(\(arguments))
                """)
        }
    }

    @Test("the device read looks up each serial and each pairing's patient by index, not by scanning a table")
    func deviceRead() async throws {
        // The serials are bound three times: for the locks, the devices and the pairings.
        let serials = "ARRAY['HV10-PLAN7', 'HV10-PLAN70', 'HV10-PLAN700']"
        let plan = try await Self.genericPlan(
            of: LockedDeviceRead.sql,
            "\(PostgresMonitoringStore.LockSpace.device.rawValue), \(serials), true, \(serials), \(serials)")
        #expect(plan.contains("device_pkey") && plan.contains("pairing_by_serial") && plan.contains("patient_pkey"))
        #expect(!plan.contains("Seq Scan"), "\(plan)")
    }

    @Test("the rules' read looks up each patient by index, not by scanning the patient table")
    func ruleInputRead() async throws {
        let plan = try await Self.genericPlan(
            of: RuleInputRead.sql,
            """
            ARRAY['PLAN-7', 'PLAN-70', 'PLAN-700'], ARRAY[true, true, true], ARRAY[0, 0, 0]::bigint[],
            ARRAY['weight', 'systolic', 'diastolic', 'pulse']
            """)
        #expect(plan.contains("patient_pkey"), "\(plan)")
        #expect(!plan.contains("Seq Scan on patient"), "\(plan)")
    }
}
