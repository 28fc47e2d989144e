import FollowUp
import Foundation
import MonitoringRecords
import ReadingIntake
import StoreInterface
import Testing
import ThresholdRules

@testable import TeleIngest

/// One behaviour on every backend for the console: the same two months of readings through the
/// rules, then a nurse's and a cardiologist's week at the console — worklist, patient view,
/// acknowledgements, a note, a review, an escalation and its answer, and every refusal on the
/// way — give the same worklist, the same patient record and the same audit log on SQLite and
/// on PostgreSQL.
@Suite struct FollowUpConformanceTests {
    /// What one backend made of the week, in comparable form.
    struct Week: Equatable {
        var worklistBefore: [WorklistEntry]
        var worklistAfter: [WorklistEntry]
        var record: Data
        var refusals: [String]
        var audit: [String]
        var pendingAfterEscalation: Int64?
        /// Every flag at the end, with who closed it and why.
        var flags: [PatientFlag]
    }

    /// Runs `body` on `backend` after two months of the test cohort's readings (with P-0002's
    /// pressure monitor, `ReadingIntakeConformanceTests.twoMonths`) went through the shipped
    /// rules, received at `receivedAt`: the start every follow-up conformance test shares.
    static func withTwoMonths<T>(
        on backend: Backend, receivedAt: Date,
        _ body: (IntakeUnderTest, RuleSet, TimeZone) async throws -> T
    ) async throws -> T {
        let ruleSet = try RuleFile.load(from: Paths.packageRoot.appendingPathComponent("rules/heart-failure.yaml"))
        let zone = TimeZone(identifier: "Europe/Copenhagen")!
        let rows = ReadingIntakeConformanceTests.twoMonths().enumerated().map {
            ("import/two-months.csv/line/\($0.offset + 2)", Data($0.element.utf8))
        }
        return try await withIntake(backend, rules: RuleEngine(ruleSet: ruleSet, defaultZone: zone)) { intake in
            try await ReadingIntakeConformanceTests.register(intake.registry)
            try await intake.registry.pair(serial: "BP7-0099", patientID: "P-0002", from: TestCohort.pairedFrom)
            try await intake.journal(.import, rows, receivedAt)
            _ = try await intake.processAll()
            return try await body(intake, ruleSet, zone)
        }
    }

    static func week(on backend: Backend) async throws -> Week {
        try await withTwoMonths(on: backend, receivedAt: TestCohort.now.addingTimeInterval(-3_600)) {
            intake, ruleSet, zone in

            let hotline = HotlineSchedule(name: "Heart-failure hotline (test)", phone: "the test line")
            func session(_ clinician: Clinician) -> FollowUpSession {
                FollowUpSession(
                    store: intake.followUp, clinician: clinician, ruleSet: ruleSet, timeZone: zone, hotline: hotline,
                    now: { TestCohort.now })
            }
            let nurse = session(ConsoleFixture.nurse)
            let cardiologist = session(ConsoleFixture.cardiologist)
            var refusals: [String] = []
            func refused(_ action: () async throws -> Void) async {
                do {
                    try await action()
                    refusals.append("not refused")
                } catch let error as StoreError {
                    refusals.append("\(error.code): \(error)")
                } catch {
                    refusals.append("\(error)")
                }
            }

            let before = try await nurse.worklist()
            let overview = try await nurse.overview(patientID: "P-0002")
            let pressure = try #require(overview.openFlags.first { $0.ruleID == "systolic-range" })
            if pressure.severity == .red {
                await refused { try await nurse.acknowledge(flagID: pressure.id, comment: " ") }
            }
            try await nurse.acknowledge(flagID: pressure.id, comment: "Called: no symptoms, measured again")
            await refused { try await nurse.acknowledge(flagID: pressure.id, comment: "again") }
            await refused { try await nurse.note(patientID: "P-0002", contact: .phone, text: "  ") }
            try await nurse.note(patientID: "P-0001", contact: .phone, text: "Breathless on the stairs since Sunday.")
            try await nurse.review(patientID: "P-0002")
            await refused { try await nurse.review(patientID: "P-0002") }
            await refused { try await nurse.review(patientID: "P-NOBODY") }

            let brief = EscalationBrief(
                reason: "Weight up 2.6 kg in 3 days, pulse up.", recommendation: "Please consider extra diuretic.")
            let escalation = try await nurse.escalate(patientID: "P-0001", brief: brief).escalation
            await refused { _ = try await nurse.escalate(patientID: "P-0001", brief: brief) }
            let pending = try await nurse.worklist().entries.first { $0.patientID == "P-0001" }
            await refused {
                try await nurse.answer(
                    escalationID: escalation.id, decision: .noChange, medicationChange: nil, comment: nil,
                    nextReview: nil, settings: [])
            }
            await refused {
                try await cardiologist.answer(
                    escalationID: escalation.id, decision: .medicationChanged, medicationChange: " ", comment: nil,
                    nextReview: nil, settings: [])
            }
            try await cardiologist.answer(
                escalationID: escalation.id, decision: .medicationChanged,
                medicationChange: "furosemide 40 mg → 80 mg daily for 3 days", comment: "Call again Friday",
                nextReview: "2026-12-04", settings: [.dryWeight(78.5)])
            await refused {
                try await cardiologist.answer(
                    escalationID: escalation.id, decision: .noChange, medicationChange: nil, comment: nil,
                    nextReview: nil, settings: [])
            }
            let after = try await nurse.worklist()
            let record = try #require(
                try await intake.followUp.patientRecord(
                    id: "P-0001", since: TestCohort.now.addingTimeInterval(-31 * 86_400)))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let audit = try await intake.followUp.auditLog(patientID: nil, limit: nil).map {
                "\($0.at.formatted(.iso8601)) | \($0.user) | \($0.role) | \($0.action.rawValue) | \($0.patientID ?? "-") | \($0.detail)"
            }
            return Week(
                worklistBefore: before.entries, worklistAfter: after.entries, record: try encoder.encode(record),
                refusals: refusals, audit: audit, pendingAfterEscalation: pending?.pendingEscalationID,
                flags: try await intake.flags())
        }
    }

    @Test(
        "a week at the console gives the same worklist, patient record, refusals and audit log on SQLite and PostgreSQL"
    )
    func sameWeek() async throws {
        let sqlite = try await Self.week(on: .sqlite)
        let postgres = try await Self.week(on: .postgresql)
        #expect(postgres.worklistBefore == sqlite.worklistBefore)
        #expect(postgres.worklistAfter == sqlite.worklistAfter)
        #expect(
            postgres.record == sqlite.record,
            "\(String(decoding: postgres.record, as: UTF8.self))\n≠\n\(String(decoding: sqlite.record, as: UTF8.self))")
        #expect(postgres.refusals == sqlite.refusals)
        #expect(postgres.audit == sqlite.audit)
        #expect(postgres.pendingAfterEscalation == sqlite.pendingAfterEscalation)
        #expect(postgres.flags == sqlite.flags)

        // What the week is, on either backend.
        #expect(sqlite.worklistBefore.first?.patientID == "P-0001", "the red patient first")
        #expect(sqlite.refusals.allSatisfy { $0 != "not refused" }, "\(sqlite.refusals)")
        #expect(sqlite.refusals.contains { $0.hasPrefix("conflict") && $0.contains("already reviewed by Test Nurse") })
        #expect(sqlite.refusals.contains { $0.hasPrefix("notAllowed") && $0.contains("only a cardiologist answers") })
        #expect(sqlite.refusals.contains { $0.contains("answered already by Test Cardiologist") })
        #expect(sqlite.pendingAfterEscalation != nil, "the worklist shows the escalation waiting for its answer")
        let record = try JSONDecoder().decode(PatientRecord.self, from: sqlite.record)
        #expect(record.escalations.first?.answer?.settingIDs.count == 1)
        #expect(record.flags.filter { $0.state == .open || $0.state == .escalated }.isEmpty)
        #expect(
            sqlite.flags.contains {
                $0.patientID == "P-0002" && $0.closedBy == "Test Nurse"
                    && $0.closeComment == "Called: no symptoms, measured again"
            })
        #expect(record.notes.map(\.text) == ["Breathless on the stairs since Sunday."])
        let actions: [String] = sqlite.audit.map { $0.components(separatedBy: " | ")[3] }
        let acted = actions.filter { $0 != "worklist.view" && $0 != "patient.view" }
        #expect(
            acted == [
                "flag.acknowledge", "note.write", "patient.review", "escalation.create", "refused",
                "threshold.change", "escalation.answer",
            ], "\(sqlite.audit)")
    }
}

extension FollowUpConformanceTests {
    @Test(
        "nurse-console on PostgreSQL: the worklist, a note, a review and the audit log through --database-url; the person is in the log"
    )
    func consoleCommandLine() async throws {
        try await withPostgres { cluster in
            try await withTemporaryDirectory { directory in
                let url = try cluster.createDatabase()
                let roster = directory.appendingPathComponent("roster.json")
                try PostgresOperationsTests.roster().write(to: roster)
                #expect(
                    try teleIngest(["patients", "import", roster.path, "--database-url", url], in: directory).0 == 0)
                func console(_ arguments: [String]) throws -> (Int32, String) {
                    try nurseConsole(
                        arguments + ["--database-url", url, "--user", "Test Nurse", "--role", "nurse"], in: directory)
                }
                let (listed, worklist) = try console(["worklist"])
                #expect(listed == 0 && worklist.contains("P-0001"), "\(worklist)")
                let (noted, note) = try console(["note", "P-0001", "--kind", "phone", "--text", "Feels well."])
                #expect(noted == 0 && note.contains("added to P-0001"), "\(note)")
                #expect(try console(["review", "P-0001"]).0 == 0)
                let (again, refusal) = try console(["review", "P-0001"])
                #expect(again != 0 && refusal.contains("already reviewed by Test Nurse"), "\(refusal)")
                let (shown, audit) = try console(["audit", "--patient", "P-0001"])
                #expect(shown == 0, "\(audit)")
                for action in ["note.write", "patient.review"] {
                    #expect(audit.contains(action) && audit.contains("Test Nurse"), "\(audit)")
                }
            }
        }
    }
}
