import Foundation
import GRDB
import MonitoringRecords
import StoreInterface
import Testing

@testable import TeleIngest

/// The real full-screen console in a real terminal (tmux on a private socket): keys in, the
/// pane read back, the store checked afterwards.
@Suite struct ConsoleTerminalTests {
    /// A tmux server of our own, so the test never touches a user's sessions.
    struct Tmux {
        let socket = "teleingest-test-\(UUID().uuidString.prefix(8))"
        let directory: URL
        /// The tmux session the console runs in.
        var session = "console"

        @discardableResult
        func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
            let output = directory.appendingPathComponent("tmux-\(UUID().uuidString.prefix(8)).out")
            let child = try ChildProcess(
                executable: try Paths.program("tmux").path, arguments: ["-L", socket] + arguments, output: output.path)
            let raw = child.wait()
            return ((raw >> 8) & 0xFF, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
        }

        func pane() throws -> String { try run(["capture-pane", "-p", "-t", session]).output }

        /// Starts nurse-console on `store` as "Test Nurse" in an 80×24 session named `console`;
        /// `environment` goes before it, `then` runs in the pane's shell after it exits.
        func startConsole(store: MonitoringStore, environment: String = "", arguments: [String] = [], then: String = "")
            throws
        {
            let words =
                [
                    try Paths.nurseConsoleExecutable.path, "--db", store.path, "--user", "'Test Nurse'", "--role",
                    "nurse",
                    // The rules the fixture's flags were raised by, for their titles.
                    "--rules", Paths.packageRoot.appendingPathComponent("rules/heart-failure-guideline.yaml").path,
                ] + arguments
            let command = words.joined(separator: " ")
            try run([
                "new-session", "-d", "-s", session, "-x", "80", "-y", "24",
                "env TERM=xterm-256color LANG=C.UTF-8 TELE_INGEST_NOW=\(ChildProcess.clockSetting()) \(environment) \(command)\(then.isEmpty ? "" : "; \(then)")",
            ])
        }

        func keys(_ keys: String...) throws { try run(["send-keys", "-t", session] + keys) }

        /// Types text literally (no key-name lookup).
        func type(_ text: String) throws { try run(["send-keys", "-t", session, "-l", text]) }

        var sessionExists: Bool { (try? run(["has-session", "-t", session]).status) == 0 }

        /// Waits up to 5 s for the console to quit and its session to end.
        func waitUntilQuit() async {
            for _ in 0..<100 where sessionExists { try? await Task.sleep(for: .milliseconds(50)) }
        }

        func waitFor(_ text: String) async throws -> String {
            var screen = ""
            for _ in 0..<200 {
                screen = try pane()
                if screen.contains(text) { return screen }
                try await Task.sleep(for: .milliseconds(50))
            }
            Issue.record("the console never showed '\(text)'; the pane was:\n\(screen)")
            return screen
        }

        func kill() { _ = try? run(["kill-server"]) }
    }

    @Test("open the console, move to the red patient, acknowledge the flag with a comment, quit; the store has it all")
    func acknowledgeInTheTerminal() async throws {
        try await withTemporaryDirectory { directory in
            let store = try ConsoleFixture.store(in: directory, now: TestCohort.clock.now())
            let tmux = Tmux(directory: directory)
            defer { tmux.kill() }
            try tmux.startConsole(store: store, environment: "NO_COLOR=")
            let worklist = try await tmux.waitFor("Worklist")
            let rows = worklist.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(rows.last { !$0.isEmpty }?.contains("q quit") == true)
            #expect(rows[3].hasPrefix("RED     Test Patient Red"), "red first:\n\(worklist)")
            #expect(worklist.contains("000150-****"))
            #expect(!worklist.contains("000150-1001"))

            try tmux.keys("Down")  // to the yellow patient…
            _ = try await tmux.waitFor("Test Patient Yellow · 000250-****")
            try tmux.keys("Up")  // …and back to the red one
            _ = try await tmux.waitFor("Test Patient Red · 000150-****")
            try tmux.keys("Enter")
            let patient = try await tmux.waitFor("CPR 000150-1001")
            // One weight gain seen by three rules: one flag, naming the red 3-day gain.
            #expect(patient.contains("OPEN FLAGS (1)"))
            #expect(patient.contains("weight +2.6 kg in 3 days"))
            #expect(patient.contains("also Rising weight trend (MACD)"))

            try tmux.keys("a")  // one open flag: no need to choose
            _ = try await tmux.waitFor("Comment (required for red)")
            try tmux.keys("Enter")  // empty: refused on the spot
            _ = try await tmux.waitFor("This field is required.")
            try tmux.type("Called: ankles swollen, extra furosemide as agreed")
            try tmux.keys("Enter")
            _ = try await tmux.waitFor("is closed.")
            try tmux.keys("Space")
            _ = try await tmux.waitFor("OPEN FLAGS: none")
            try tmux.keys("q")
            _ = try await tmux.waitFor("Worklist")
            try tmux.keys("q")
            await tmux.waitUntilQuit()
            #expect(!tmux.sessionExists, "the console did not quit")

            let red = try #require(try store.flags(patientID: "P-RED").first { $0.ruleID == "weight-gain-3d" })
            #expect(red.state == .closed)
            #expect(red.closedBy == "Test Nurse")
            #expect(red.closeComment == "Called: ankles swollen, extra furosemide as agreed")
            let audit = try store.auditLog()
            #expect(audit.map(\.action) == [.worklistViewed, .patientViewed, .flagAcknowledged, .worklistViewed])
            #expect(audit.allSatisfy { $0.user == "Test Nurse" && $0.role == "nurse" })
            #expect(audit.filter { $0.patientID == "P-RED" }.count == 2)
        }
    }

    @Test(
        "end a patient's monitoring in the terminal: off the worklist, read-only; reopen it from the patient's record")
    func endAndReopenInTheTerminal() async throws {
        try await withTemporaryDirectory { directory in
            let store = try ConsoleFixture.store(in: directory, now: TestCohort.clock.now())
            let tmux = Tmux(directory: directory)
            defer { tmux.kill() }
            try tmux.startConsole(store: store, environment: "NO_COLOR=")
            _ = try await tmux.waitFor("Worklist")
            try tmux.keys("Down")
            _ = try await tmux.waitFor("Test Patient Yellow · 000250-****")
            try tmux.keys("Enter")
            _ = try await tmux.waitFor("CPR 000250-1002")
            try tmux.keys("E")
            let reasons = try await tmux.waitFor("End monitoring of Test Patient Yellow: why?")
            #expect(reasons.contains("admitted") && reasons.contains("declined"))
            try tmux.keys("2")  // admitted
            _ = try await tmux.waitFor("Remark:")
            try tmux.type("Admitted to cardiology ward")
            try tmux.keys("Enter")
            let done = try await tmux.waitFor("Monitoring ended")
            #expect(done.contains("(admitted) by Test Nurse"), "\(done)")
            try tmux.keys("Space")
            let record = try await tmux.waitFor("MONITORING ENDED")
            #expect(record.contains("monitoring ended after"), "the title says the period is over:\n\(record)")
            try tmux.keys("n")  // a note on a read-only record is refused, with the way back
            try tmux.keys("1")
            try tmux.type("Called the ward")
            try tmux.keys("Enter")
            let refused = try await tmux.waitFor("Not saved")
            #expect(refused.contains("read-only"), "\(refused)")
            try tmux.keys("Space")
            try tmux.keys("q")
            let worklist = try await tmux.waitFor("Worklist")
            #expect(!worklist.contains("Test Patient Yellow"), "off the worklist:\n\(worklist)")
            try tmux.keys("q")
            await tmux.waitUntilQuit()

            let ended = try #require(try store.patient(id: "P-YELLOW")?.monitoringEnd)
            #expect(ended.reason == .admitted && ended.comment == "Admitted to cardiology ward")
            #expect(try store.flags(patientID: "P-YELLOW", state: .open).isEmpty)
            #expect(
                try store.devices().flatMap(\.pairings).filter { $0.patientID == "P-YELLOW" }.allSatisfy {
                    $0.validTo != nil
                })

            // Back, straight onto the record (it is no longer on the worklist), and reopen it.
            try tmux.startConsole(store: store, environment: "NO_COLOR=", arguments: ["--patient", "P-YELLOW"])
            _ = try await tmux.waitFor("MONITORING ENDED")
            try tmux.keys("E")
            _ = try await tmux.waitFor("Reopen the monitoring period")
            try tmux.keys("1")
            _ = try await tmux.waitFor("Monitoring reopened")
            try tmux.keys("Space")
            try tmux.keys("q")
            let back = try await tmux.waitFor("Worklist")
            #expect(back.contains("Test Patient Yellow"), "back on the worklist:\n\(back)")
            try tmux.keys("q")
            await tmux.waitUntilQuit()
            #expect(try store.patient(id: "P-YELLOW")?.monitoringEnd == nil)
            let actions = try store.auditLog(patientID: "P-YELLOW").map(\.action)
            #expect(actions.contains(.monitoringEnded) && actions.contains(.monitoringReopened))
            #expect(actions.contains(.refused) == false, "a read-only refusal is not a role violation")
        }
    }

    @Test("signed in by the account: the full-screen worklist is the nurse's team and the patients without one")
    func caseloadInTheTerminal() async throws {
        try await withTemporaryDirectory { directory in
            let store = try ConsoleFixture.store(in: directory, now: TestCohort.clock.now())
            try store.addTeam(Team(id: "north", name: "Test District North"))
            try store.addTeam(Team(id: "south", name: "Test District South"))
            try store.assignTeam(patientID: "P-RED", team: "north")
            try store.assignTeam(patientID: "P-YELLOW", team: "south")
            try store.saveClinician(
                try ClinicianAccount.checked(
                    account: try store.sessionAccount(), name: "Test Nurse", role: .nurse, teams: ["north"]))
            let tmux = Tmux(directory: directory)
            defer { tmux.kill() }
            try tmux.startConsole(store: store, environment: "NO_COLOR=")
            let worklist = try await tmux.waitFor("Worklist")
            #expect(worklist.contains("Test Patient Red") && worklist.contains("Test Patient Stable"), "\(worklist)")
            #expect(!worklist.contains("Test Patient Yellow"), "another team's patient:\n\(worklist)")
            #expect(worklist.contains("(3 of 3)"))
            try tmux.keys("q")
            await tmux.waitUntilQuit()
        }
    }

    @Test("SIGTERM ends the console with the terminal restored (line editing and echo back on)")
    func sigtermRestoresTheTerminal() async throws {
        try await withTemporaryDirectory { directory in
            let store = try ConsoleFixture.store(in: directory, now: TestCohort.clock.now())
            let tmux = Tmux(directory: directory)
            defer { tmux.kill() }
            let after = directory.appendingPathComponent("stty-after.txt").path
            try tmux.startConsole(store: store, then: "echo exit=$? > \(after); stty -a >> \(after); sleep 30")
            _ = try await tmux.waitFor("Worklist")
            // The pane's shell is the console's parent: signal its child only (other tests may run
            // nurse-console at the same time).
            let shell = try tmux.run(["list-panes", "-t", "console", "-F", "#{pane_pid}"]).output
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let pkill = try ChildProcess(
                executable: try Paths.program("pkill").path, arguments: ["-TERM", "-P", shell],
                output: directory.appendingPathComponent("pkill.out").path)
            #expect(pkill.wait() == 0)
            #expect(
                try await eventually {
                    FileManager.default.fileExists(atPath: after)
                        && ((try? String(contentsOfFile: after, encoding: .utf8))?.contains("icanon") ?? false)
                })
            let settings = try String(contentsOfFile: after, encoding: .utf8)
            #expect(settings.hasPrefix("exit=0"))
            let words = settings.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == ";" })
            #expect(words.contains("icanon") && words.contains("echo"), "\(settings)")
        }
    }
}
