import DevicePayloads
import FollowUp
import Foundation
import MonitoringRecords
import ReadingIntake
import StoreInterface
import Testing
import ThresholdRules

@testable import TeleIngest

/// The end of a patient's monitoring period, the same on every backend: the devices are unpaired
/// at the end, the open flags closed with the reason, the patient leaves the worklist and their
/// record becomes read-only; a reading measured afterwards is quarantined, not lost; reopening
/// puts the patient back on the list.
@Suite struct MonitoringPeriodConformanceTests {
    /// What one backend made of it, in comparable form.
    struct Outcome: Equatable {
        var listedBefore: [PatientID]
        var listedAfterEnd: [PatientID]
        var endedCount: Int
        var end: MonitoringEnd?
        var flagsOfPatientTwo: [String]
        var pairingsOfPatientTwo: [String]
        var quarantinedAfterEnd: [String]
        /// A reading measured before the end that arrives after it: stored, but it opens no flag.
        var lateReadingStored: Bool
        var openFlagsAfterLateReading: Int
        var refusals: [String]
        var listedAfterReopen: [PatientID]
        var endAfterReopen: MonitoringEnd?
        var audit: [String]
    }

    static let ended = TestCohort.now.addingTimeInterval(-2 * 3600)

    static func outcome(on backend: Backend) async throws -> Outcome {
        try await FollowUpConformanceTests.withTwoMonths(
            on: backend, receivedAt: TestCohort.now.addingTimeInterval(-3 * 3600)
        ) { intake, ruleSet, zone in

            var clock = Self.ended
            func session(_ clinician: Clinician) -> FollowUpSession {
                FollowUpSession(
                    store: intake.followUp, clinician: clinician, ruleSet: ruleSet, timeZone: zone,
                    hotline: HotlineSchedule(), now: { [clock] in clock })
            }
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
            let nurse = session(ConsoleFixture.nurse)
            let before = try await nurse.worklist().entries.map(\.patientID)
            try await nurse.endMonitoring(patientID: "P-0002", reason: .admitted, comment: "  Admitted to cardiology. ")
            let afterEnd = try await nurse.worklist()
            let patientTwo = try #require(try await intake.followUp.patient(id: "P-0002"))

            // A reading the monitor sends after the end is quarantined: the device is no longer the patient's.
            let late = (
                "import/late.csv/line/2",
                Data("BP7-0099,systolic,151,mmHg,\((Self.ended + 1800).formatted(.iso8601))".utf8)
            )
            try await intake.journal(.import, [late], TestCohort.now.addingTimeInterval(-600))
            _ = try await intake.processAll()
            let quarantined = try await intake.quarantine().filter { $0.topic == late.0 }.map {
                "\($0.reason.rawValue): \($0.message)"
            }
            let measuredBeforeEnd = (
                "import/late.csv/line/3",
                Data("BP7-0099,systolic,188,mmHg,\((Self.ended - 1800).formatted(.iso8601))".utf8)
            )
            try await intake.journal(.import, [measuredBeforeEnd], TestCohort.now.addingTimeInterval(-500))
            _ = try await intake.processAll()
            let lateStored = try await intake.readings("P-0002").contains { $0.value == 188 }
            let openAfterLate = try await intake.followUp.flags(patientID: "P-0002", state: .open).count

            await refused { try await nurse.note(patientID: "P-0002", contact: .phone, text: "Called the ward.") }
            await refused { try await nurse.review(patientID: "P-0002") }
            await refused {
                _ = try await nurse.escalate(
                    patientID: "P-0002", brief: EscalationBrief(reason: "Pressure high", recommendation: "Look"))
            }
            await refused { try await intake.followUp.pair(serial: "BP7-0100", patientID: "P-0002", from: nil) }
            await refused { try await nurse.endMonitoring(patientID: "P-0002", reason: .completed, comment: nil) }
            await refused { try await nurse.reopenMonitoring(patientID: "P-0001") }
            await refused { try await nurse.endMonitoring(patientID: "P-NOBODY", reason: .moved, comment: nil) }
            await refused {
                try await intake.followUp.endMonitoring(
                    patientID: "P-0001", reason: .completed, comment: nil, by: ConsoleFixture.nurse,
                    at: TestCohort.pairedFrom.addingTimeInterval(-86_400))
            }

            clock = TestCohort.now
            let reopened = session(ConsoleFixture.nurse)
            let lifted = try await reopened.reopenMonitoring(patientID: "P-0002")
            let afterReopen = try await reopened.worklist().entries.map(\.patientID)
            let flags = try await intake.followUp.flags(patientID: "P-0002", state: nil).map {
                "\($0.ruleID) \($0.state.rawValue) \($0.closedBy ?? "-") \($0.closeComment ?? "-")"
            }
            let pairings = try await intake.followUp.devices().flatMap(\.pairings).filter { $0.patientID == "P-0002" }
                .map { "\($0.serial) until \($0.validTo?.formatted(.iso8601) ?? "open")" }.sorted()
            let audit = try await intake.followUp.auditLog(patientID: "P-0002", limit: nil).filter {
                $0.action == .monitoringEnded || $0.action == .monitoringReopened
            }.map { "\($0.at.formatted(.iso8601)) | \($0.user) | \($0.action.rawValue) | \($0.detail)" }
            #expect(lifted == patientTwo.monitoringEnd)
            return Outcome(
                listedBefore: before, listedAfterEnd: afterEnd.entries.map(\.patientID), endedCount: afterEnd.ended,
                end: patientTwo.monitoringEnd, flagsOfPatientTwo: flags, pairingsOfPatientTwo: pairings,
                quarantinedAfterEnd: quarantined, lateReadingStored: lateStored,
                openFlagsAfterLateReading: openAfterLate, refusals: refusals, listedAfterReopen: afterReopen,
                endAfterReopen: try await intake.followUp.patient(id: "P-0002")?.monitoringEnd, audit: audit)
        }
    }

    @Test(
        "ending monitoring unpairs, closes open flags, takes the patient off the worklist and is reopened, on both backends"
    )
    func endAndReopen() async throws {
        let sqlite = try await Self.outcome(on: .sqlite)
        let postgres = try await Self.outcome(on: .postgresql)
        #expect(postgres == sqlite)

        #expect(sqlite.listedBefore.contains("P-0002"))
        #expect(!sqlite.listedAfterEnd.contains("P-0002") && sqlite.listedAfterEnd.contains("P-0001"))
        #expect(sqlite.endedCount == 1)
        #expect(
            sqlite.end
                == MonitoringEnd(
                    reason: .admitted, comment: "Admitted to cardiology.", endedBy: ConsoleFixture.nurse.name,
                    endedAt: Self.ended))
        // The open flags were closed with the reason; none is left open.
        #expect(!sqlite.flagsOfPatientTwo.isEmpty)
        #expect(sqlite.flagsOfPatientTwo.allSatisfy { !$0.contains(" open ") }, "\(sqlite.flagsOfPatientTwo)")
        #expect(
            sqlite.flagsOfPatientTwo.contains {
                $0.contains("closed \(ConsoleFixture.nurse.name) monitoring ended (admitted)")
            },
            "\(sqlite.flagsOfPatientTwo)")
        #expect(sqlite.pairingsOfPatientTwo.contains("BP7-0099 until \(Self.ended.formatted(.iso8601))"))
        #expect(!sqlite.pairingsOfPatientTwo.contains { $0.hasSuffix("open") })
        #expect(
            sqlite.quarantinedAfterEnd.count == 1 && sqlite.quarantinedAfterEnd[0].contains("not paired"),
            "\(sqlite.quarantinedAfterEnd)")

        #expect(sqlite.lateReadingStored, "a reading from before the end belongs to the patient")
        #expect(sqlite.openFlagsAfterLateReading == 0, "but the ended record opens no flag")
        #expect(sqlite.refusals.count == 8)
        #expect(sqlite.refusals.allSatisfy { $0 != "not refused" }, "\(sqlite.refusals)")
        let readOnly = sqlite.refusals.prefix(5)
        #expect(
            readOnly.allSatisfy {
                $0.hasPrefix("conflict") && $0.contains("monitoring ended") && $0.contains("(admitted)")
            },
            "\(readOnly)")
        #expect(sqlite.refusals[5].hasPrefix("conflict") && sqlite.refusals[5].contains("no end to reopen"))
        #expect(sqlite.refusals[6].hasPrefix("notFound"))
        #expect(
            sqlite.refusals[7].hasPrefix("invalid") && sqlite.refusals[7].contains("must come after monitoring began"))

        #expect(sqlite.listedAfterReopen.contains("P-0002"))
        #expect(sqlite.endAfterReopen == nil)
        #expect(sqlite.audit.count == 2, "\(sqlite.audit)")
        #expect(
            sqlite.audit.contains {
                $0.contains("monitoring.end | admitted; devices unpaired: BP7-0099; flags closed: ")
            })
        #expect(sqlite.audit.contains { $0.contains("monitoring.reopen | period ended") })
    }
}
