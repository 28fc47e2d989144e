import Foundation
import MonitoringRecords
import StoreInterface
import Testing

@testable import TeleIngest

/// An operator corrects a patient's registration: the same checks as a new registration, each
/// replaced value kept in an append-only history, the edit audited without the values.
@Suite struct PatientEditTests {
    static func outcome(on backend: Backend) async throws -> [String] {
        try await withIntake(backend) { intake in
            try await ReadingIntakeConformanceTests.register(intake.registry)
            let store = intake.followUp
            var seen: [String] = []
            func attempt(_ what: PatientID, _ edit: PatientEdit, reason: String = "Typo at registration") async {
                do {
                    let patient = try await store.editPatient(id: what, edit, reason: reason, account: "operator-test")
                    seen.append("\(what): \(patient.name) \(patient.cpr ?? "-") \(patient.timeZone)")
                } catch {
                    seen.append("\(what): \(error)")
                }
            }
            await attempt("P-0001", PatientEdit(name: "Test Patient Uno", cpr: .some("0001010009")))
            await attempt("P-0001", PatientEdit(cpr: .some("12345")))
            await attempt("P-0001", PatientEdit(timeZone: "Mars/Olympus"))
            await attempt("P-0001", PatientEdit(name: "Test Patient Uno"))
            await attempt("P-0001", PatientEdit(name: "X"), reason: " ")
            await attempt("P-NOBODY", PatientEdit(name: "X"))
            await attempt("P-0002", PatientEdit(cpr: .some(nil), timeZone: "America/Nuuk"))
            for id: PatientID in ["P-0001", "P-0002"] {
                seen += try await store.patientChanges(id: id).map {
                    "\(id) history: \($0.change.field) \($0.change.oldValue ?? "-") → \($0.change.newValue ?? "-") by \($0.changedBy): \($0.reason)"
                }
            }
            seen += try await store.auditLog(patientID: nil, limit: nil).filter { $0.action == .patientEdited }.map {
                "audit: \($0.user) \($0.role) \($0.patientID ?? "-") \($0.detail)"
            }
            return seen
        }
    }

    @Test("a correction goes through the registration's checks and keeps the old values, on both backends")
    func editAndHistory() async throws {
        let sqlite = try await Self.outcome(on: .sqlite)
        let postgres = try await Self.outcome(on: .postgresql)
        #expect(postgres == sqlite)
        #expect(sqlite[0] == "P-0001: Test Patient Uno 000101-0009 Europe/Copenhagen")
        #expect(sqlite[1].contains("10 digits"))
        #expect(sqlite[2].contains("'Mars/Olympus' is not a time zone name"))
        #expect(sqlite[3].contains("nothing changes"))
        #expect(sqlite[4].contains("a reason is required"))
        #expect(sqlite[5].contains("no patient with id 'P-NOBODY'"))
        #expect(sqlite[6] == "P-0002: Test Patient Two - America/Nuuk")
        #expect(
            sqlite.contains(
                "P-0001 history: name Test Patient One → Test Patient Uno by operator-test: Typo at registration"))
        #expect(sqlite.contains("P-0001 history: cpr 000101-0001 → 000101-0009 by operator-test: Typo at registration"))
        #expect(sqlite.contains("P-0002 history: cpr 000202-0002 → - by operator-test: Typo at registration"))
        let audit = sqlite.filter { $0.hasPrefix("audit: ") }
        #expect(audit.count == 2)
        #expect(
            audit.allSatisfy {
                $0.contains("operator-test operator") && !$0.contains("000101") && !$0.contains("000202")
            })
        #expect(audit.first?.contains("changed name, cpr (old values in the change history)") == true)
    }

    @Test("tele-ingest patients edit and history, as an operator uses them")
    func commandLine() async throws {
        try await withTemporaryDirectory { directory in
            let db = directory.appendingPathComponent("p.sqlite").path
            let store = try MonitoringStore(path: db, clock: TestCohort.clock)
            try await ReadingIntakeConformanceTests.register(store)
            let (status, output) = try teleIngest(
                ["patients", "edit", "P-0001", "--db", db, "--name", "Test Patient Uno", "--reason", "Spelling"],
                in: directory)
            #expect(status == 0 && output.contains("registration changed"), "\(output)")
            let (refused, refusal) = try teleIngest(
                ["patients", "edit", "P-0001", "--db", db, "--cpr", "1", "--no-cpr", "--reason", "x"], in: directory)
            #expect(refused != 0 && refusal.contains("not both"))
            let (_, history) = try teleIngest(["patients", "history", "P-0001", "--db", db], in: directory)
            #expect(
                history.contains("Test Patient One") && history.contains("Test Patient Uno")
                    && history.contains("Spelling"))
            #expect(try store.auditLog(patientID: "P-0001").map(\.action) == [.patientEdited, .recordsRead])
        }
    }
}
