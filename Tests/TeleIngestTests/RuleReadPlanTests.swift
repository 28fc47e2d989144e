import Foundation
import GRDB
import Testing

@testable import TeleIngest

/// The rules read each patient's recent readings and closed evidence in every batch. Those
/// reads must be index searches that the index alone answers: a walk through the patient's
/// whole history, or through every patient's closed flags, grows with the years the store
/// holds (docs/PERFORMANCE.md).
@Suite struct RuleReadPlanTests {
    private func plan(_ sql: String, _ arguments: StatementArguments, in store: MonitoringStore) throws -> String {
        try store.database.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments)
                .map { $0["detail"] as String }.joined(separator: "\n")
        }
    }

    @Test("recent readings: a search per kind from the instant on, in reading_history alone")
    func recentReadings() async throws {
        try await withTemporaryDirectory { directory in
            let store = try MonitoringStore(path: directory.appendingPathComponent("t.sqlite").path)
            let plan = try plan(MonitoringStore.recentReadingsQuery, ["P-0001", 0], in: store)
            #expect(
                plan.contains("COVERING INDEX reading_history (patient_id=? AND kind=? AND measured_at>?)"), "\(plan)")
        }
    }

    @Test("closed evidence: the patient's closed flags only, in flag_by_patient alone")
    func closedEvidence() async throws {
        try await withTemporaryDirectory { directory in
            let store = try MonitoringStore(path: directory.appendingPathComponent("t.sqlite").path)
            let plan = try plan(MonitoringStore.closedEvidenceQuery, ["P-0001"], in: store)
            #expect(plan.contains("COVERING INDEX flag_by_patient (patient_id=? AND state=?)"), "\(plan)")
        }
    }
}
