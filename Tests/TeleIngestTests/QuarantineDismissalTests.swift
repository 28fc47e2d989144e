import DevicePayloads
import Foundation
import MonitoringRecords
import ReadingIntake
import StoreInterface
import Testing

@testable import TeleIngest

/// An operator sets a quarantined message aside for good, with a reason: the same on every backend.
@Suite struct QuarantineDismissalTests {
    @Test(
        "a dismissed entry leaves the waiting list and reprocessing, with who and why in the record",
        arguments: Backend.allCases)
    func dismiss(backend: Backend) async throws {
        try await withIntake(backend) { intake in
            try await ReadingIntakeConformanceTests.register(intake.registry)
            let row = "XX-INSTALLER-TEST,weight,71.0,kg,\(TestCohort.now.addingTimeInterval(-600).formatted(.iso8601))"
            try await intake.journal(.import, [("import/install.csv/line/2", Data(row.utf8))], TestCohort.now)
            _ = try await intake.processAll()
            let entry = try #require(try await intake.quarantine().first { $0.resolvedAt == nil })
            #expect(entry.reason == .unknownDevice)
            let store = try #require(intake.followUp as? any FollowUpStore & MessageQuarantine)

            await #expect(throws: StoreError.self) {
                try await store.dismissQuarantine(id: entry.id, reason: "  ", account: "operator-test")
            }
            let resolution = try await store.dismissQuarantine(
                id: entry.id, reason: "Installer's test scale", account: "operator-test")
            #expect(resolution == "dismissed by operator-test: Installer's test scale")
            do {
                try await store.dismissQuarantine(id: entry.id, reason: "again", account: "operator-test")
                Issue.record("dismissed twice")
            } catch let error as StoreError {
                #expect(
                    error.code == .conflict && error.reason.contains("resolved already: dismissed by operator-test"))
            }
            do {
                try await store.dismissQuarantine(id: 999_999, reason: "x", account: "operator-test")
                Issue.record("an unknown entry was dismissed")
            } catch let error as StoreError {
                #expect(error.code == .notFound)
            }
            #expect(try await store.quarantine(includeResolved: false).isEmpty)
            #expect(try await intake.reprocess().isEmpty, "reprocessing no longer tries it")
            let audit = try await store.auditLog(patientID: nil, limit: nil).filter {
                $0.action == .quarantineDismissed
            }
            #expect(audit.map(\.user) == ["operator-test"] && audit.map(\.role) == ["operator"])
            #expect(audit.first?.detail == "entry \(entry.id): \(resolution)")
        }
    }
}
