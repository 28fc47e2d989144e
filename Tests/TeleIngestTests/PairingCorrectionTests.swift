import DevicePayloads
import Foundation
import MonitoringRecords
import ReadingIntake
import StoreInterface
import Testing

@testable import TeleIngest

/// Pairings as real life corrects them: a kit handed out before it was paired here is back-dated
/// and what it sent meanwhile is stored from the quarantine; a device is never unpaired behind
/// readings already stored on its patient.
@Suite struct PairingCorrectionTests {
    static func outcome(on backend: Backend) async throws -> [String] {
        try await withIntake(backend) { intake in
            try await ReadingIntakeConformanceTests.register(intake.registry)
            let store = intake.followUp
            let pairedAt = TestCohort.now.addingTimeInterval(-86_400)
            try await store.pair(serial: "SC-LATE", patientID: "P-0002", from: pairedAt)
            // Two days before it was paired here, the scale was already at home and weighing.
            let early = TestCohort.now.addingTimeInterval(-2 * 86_400)
            try await intake.journal(
                .import, [("import/late.csv/line/2", Data("SC-LATE,weight,74.2,kg,\(early.formatted(.iso8601))".utf8))],
                TestCohort.now)
            _ = try await intake.processAll()
            var seen = try await intake.quarantine().filter { $0.resolvedAt == nil }.map {
                "waiting: \($0.reason.rawValue)"
            }
            func attempt(_ what: String, _ action: () async throws -> String) async {
                do {
                    seen.append("\(what): \(try await action())")
                } catch {
                    seen.append("\(what): \(error)")
                }
            }
            await attempt("later start") {
                "\(try await store.backdatePairing(serial: "SC-LATE", from: TestCohort.now, account: "operator-test"))"
            }
            await attempt("over the previous patient") {
                "\(try await store.backdatePairing(serial: "HV10-77777", from: TestCohort.pairedFrom, account: "operator-test"))"
            }
            await attempt("never paired") {
                "\(try await store.backdatePairing(serial: "XX-NONE", from: early, account: "operator-test"))"
            }
            await attempt("back-date") {
                let (pairing, waiting) = try await store.backdatePairing(
                    serial: "SC-LATE", from: early.addingTimeInterval(-3600), account: "operator-test")
                return "\(pairing.patientID) from \(pairing.validFrom.formatted(.iso8601)), \(waiting) waiting"
            }
            let stored = try await intake.reprocess().filter { $0.outcome == .stored }.count
            seen.append("reprocessed and stored: \(stored)")
            seen += try await intake.readings("P-0002").filter { $0.serial == "SC-LATE" }.map { "reading \($0.value)" }
            // Unpairing behind a stored reading would leave it on the patient: refused.
            await attempt("unpair behind a reading") {
                "\(try await store.unpair(serial: "SC-LATE", at: early.addingTimeInterval(-60)))"
            }
            seen += try await store.auditLog(patientID: "P-0002", limit: nil).filter { $0.action == .pairingBackdated }
                .map { "audit: \($0.user) \($0.role) \($0.detail)" }
            return seen
        }
    }

    @Test(
        "back-dating a pairing, reprocessing its quarantine, and no unpairing behind stored readings, on both backends")
    func backdate() async throws {
        let sqlite = try await Self.outcome(on: .sqlite)
        let postgres = try await Self.outcome(on: .postgresql)
        #expect(postgres == sqlite)
        #expect(sqlite.first == "waiting: unpaired_device", "\(sqlite)")
        #expect(sqlite.contains { $0.hasPrefix("later start: ") && $0.contains("back-dating moves the start earlier") })
        #expect(
            sqlite.contains {
                $0.hasPrefix("over the previous patient: ") && $0.contains("was with patient P-0002 until")
            }, "\(sqlite)")
        #expect(sqlite.contains { $0.hasPrefix("never paired: ") && $0.contains("never been paired") })
        #expect(sqlite.contains { $0.hasPrefix("back-date: P-0002 from ") && $0.hasSuffix("1 waiting") }, "\(sqlite)")
        #expect(sqlite.contains("reprocessed and stored: 1"))
        #expect(sqlite.contains("reading 74.2"))
        #expect(
            sqlite.contains { $0.hasPrefix("unpair behind a reading: ") && $0.contains("1 reading from this device") },
            "\(sqlite)")
        #expect(sqlite.filter { $0.hasPrefix("audit: operator-test operator pairing ") }.count == 1)
    }
}
