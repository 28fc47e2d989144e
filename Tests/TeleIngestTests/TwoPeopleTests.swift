import FollowUp
import Foundation
import MonitoringRecords
import StoreInterface
import Testing
import ThresholdRules

@testable import TeleIngest

/// Two people at once: an action on a flag that changed since the screen showed it is refused
/// with what changed, and open screens read the store again on a key and on a timer.
@Suite struct TwoPeopleTests {
    @Test("a flag that new evidence changed since it was shown is not closed blind: the refusal says what changed")
    func changedSinceShown() async throws {
        try await withTemporaryDirectory { directory in
            let store = try ConsoleFixture.store(in: directory)
            let nurse = try ConsoleFixture.session(store)
            let shown = try #require(
                try await nurse.overview(patientID: "P-YELLOW").openFlags.first { $0.ruleID == "systolic-range" })
            #expect(shown.severity == .yellow)
            // While the nurse reads, the patient measures again: 76 mmHg is below the red limit (80).
            let later = ConsoleFixture.friday.addingTimeInterval(-1800)
            try ConsoleFixture.importRows(
                ["SC-YELLOW,systolic,76,mmHg,\(later.formatted(.iso8601))"], into: store, now: ConsoleFixture.friday)
            do {
                try await nurse.acknowledge(flagID: shown.id, comment: "Called: feels fine", shown: shown)
                Issue.record("a flag that changed since it was shown was closed")
            } catch let error as StoreError {
                #expect(error.code == .conflict)
                #expect(error.reason.contains("changed since it was shown"), "\(error)")
                #expect(error.reason.contains("now red (was yellow)"), "\(error)")
                #expect(error.reason.contains("76"), "the new evidence in numbers: \(error)")
            }
            // Looked at again, it can be closed.
            let again = try #require(
                try await nurse.overview(patientID: "P-YELLOW").openFlags.first { $0.id == shown.id })
            let closed = try await nurse.acknowledge(
                flagID: shown.id, comment: "Called: measured again, 104", shown: again)
            #expect(closed.state == .closed)
        }
    }

    @Test("two consoles on one flag: the second is refused naming who closed it, and its screen catches up by itself")
    func twoConsoles() async throws {
        try await withTemporaryDirectory { directory in
            let store = try ConsoleFixture.store(in: directory, now: TestCohort.clock.now())
            let first = ConsoleTerminalTests.Tmux(directory: directory, session: "first")
            let second = ConsoleTerminalTests.Tmux(directory: directory, session: "second")
            defer {
                first.kill()
                second.kill()
            }
            try first.startConsole(store: store, environment: "NO_COLOR=")
            try second.startConsole(store: store, environment: "NO_COLOR=", arguments: ["--refresh-seconds", "1"])
            for console in [first, second] {
                _ = try await console.waitFor("Worklist")
                try console.keys("Enter")  // the red patient, first on the list
                _ = try await console.waitFor("OPEN FLAGS (1)")
                try console.keys("a")
                _ = try await console.waitFor("Comment (required for red)")
            }
            try first.type("Called: extra furosemide as agreed")
            try first.keys("Enter")
            _ = try await first.waitFor("is closed.")

            try second.type("Called as well")
            try second.keys("Enter")
            let refused = try await second.waitFor("Not saved")
            #expect(refused.contains("closed already by Test Nurse"), "\(refused)")
            try second.keys("Space")
            // No key pressed: the timer reads the record again.
            _ = try await second.waitFor("OPEN FLAGS: none")

            let red = try #require(try store.flags(patientID: "P-RED").first { $0.ruleID == "weight-gain-3d" })
            #expect(red.closeComment == "Called: extra furosemide as agreed")
            #expect(try store.auditLog(patientID: "P-RED").filter { $0.action == .flagAcknowledged }.count == 1)
        }
    }
}
