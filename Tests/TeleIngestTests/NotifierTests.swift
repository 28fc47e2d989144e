import FollowUp
import Foundation
import GRDB
import MonitoringRecords
import ServiceConfiguration
import SiteNotification
import StoreInterface
import Testing
import ThresholdRules

@testable import TeleIngest

/// The site's notifier: a command run once per event — a red flag overdue, an escalation outside
/// hotline hours — with the patient's id and the flag's or escalation's id, and nothing personal.
@Suite struct NotifierTests {
    /// A notifier script that appends its arguments to `calls.txt` and its environment to
    /// `environment.txt`, exiting with `status`.
    static func script(in directory: URL, status: Int = 0) throws -> SiteNotifier {
        let url = directory.appendingPathComponent("notify-\(status).sh")
        try """
        #!/bin/sh
        echo "$@" >> "\(directory.path)/calls.txt"
        env >> "\(directory.path)/environment.txt"
        exit \(status)
        """.write(to: url, atomically: true, encoding: .utf8)
        chmod(url.path, 0o755)
        return SiteNotifier(command: url.path)
    }

    static func calls(in directory: URL) -> [String] {
        ((try? String(contentsOf: directory.appendingPathComponent("calls.txt"), encoding: .utf8)) ?? "")
            .split(separator: "\n").map(String.init)
    }

    @Test(
        "an event is claimed once on every backend; a claim given back can be taken again", arguments: Backend.allCases)
    func claimsOnce(backend: Backend) async throws {
        try await withIntake(backend) { intake in
            try await ReadingIntakeConformanceTests.register(intake.registry)
            let store = intake.followUp
            #expect(
                try await store.claimNotification(
                    kind: "red-flag-overdue", reference: 7, patientID: "P-0001", at: TestCohort.now))
            #expect(
                !(try await store.claimNotification(
                    kind: "red-flag-overdue", reference: 7, patientID: "P-0001", at: TestCohort.now)))
            #expect(
                try await store.claimNotification(
                    kind: "escalation-after-hours", reference: 7, patientID: "P-0001", at: TestCohort.now))
            try await store.releaseNotification(kind: "red-flag-overdue", reference: 7)
            #expect(
                try await store.claimNotification(
                    kind: "red-flag-overdue", reference: 7, patientID: "P-0001", at: TestCohort.now))
        }
    }

    @Test(
        "an escalation outside hotline hours calls the notifier with the patient's id and the escalation's, nothing personal"
    )
    func escalationAfterHours() async throws {
        try await withTemporaryDirectory { directory in
            let store = try ConsoleFixture.store(in: directory)
            let notifier = try Self.script(in: directory)
            func session(at now: Date) throws -> FollowUpSession {
                FollowUpSession(
                    store: store, clinician: ConsoleFixture.nurse, ruleSet: try ConsoleFixture.ruleSet(),
                    timeZone: ConsoleFixture.zone, hotline: HotlineSchedule(), notifier: notifier, now: { now })
            }
            // Friday 10:00: the hotline is open, nobody else is called.
            let open = try await session(at: ConsoleFixture.friday).escalate(
                patientID: "P-YELLOW", brief: EscalationBrief(reason: "Pressure 86", recommendation: "Look"))
            #expect(Self.calls(in: directory).isEmpty)
            #expect(!open.notice.contains { $0.contains("notifier") })
            // Friday 18:00: closed.
            let evening = ConsoleFixture.friday.addingTimeInterval(8 * 3600)
            let closed = try await session(at: evening).escalate(
                patientID: "P-RED",
                brief: EscalationBrief(reason: "Weight +2.6 kg in 3 days", recommendation: "Diuretic?"))
            #expect(Self.calls(in: directory) == ["escalation-after-hours P-RED \(closed.escalation.id)"])
            #expect(closed.notice.contains { $0.contains("The on-call notifier was called") })
            let environment = try String(
                contentsOf: directory.appendingPathComponent("environment.txt"), encoding: .utf8)
            for personal in ["Test Patient Red", "000150", "1001"] {
                #expect(!environment.contains(personal) && !Self.calls(in: directory).joined().contains(personal))
            }
            #expect(!environment.contains("TELE_INGEST"), "the environment is PATH only:\n\(environment)")
        }
    }

    @Test("a red flag nobody acknowledged in time is sent once; a failed notifier is tried again at the next check")
    func overdueRedFlags() async throws {
        try await withTemporaryDirectory { directory in
            let store = try ConsoleFixture.store(in: directory)
            let red = try #require(try store.flags(patientID: "P-RED", state: .open).first { $0.severity == .red })
            let policy = OverduePolicy(redWorkingDays: 1, yellowWorkingDays: 5)
            let monday = ConsoleFixture.friday.addingTimeInterval(3 * 86_400)
            let tuesday = monday.addingTimeInterval(86_400)
            let working = try Self.script(in: directory)
            // Monday: one working day since Friday — not overdue yet.
            #expect(
                try await working.notifyOverdueRedFlags(
                    store: store, policy: policy, defaultZone: ConsoleFixture.zone, now: monday
                ).isEmpty)
            // Tuesday, the gateway down: refused, and given back.
            let failing = try Self.script(in: directory, status: 3)
            await #expect(throws: NotifierError.self) {
                try await failing.notifyOverdueRedFlags(
                    store: store, policy: policy, defaultZone: ConsoleFixture.zone, now: tuesday)
            }
            let sent = try await working.notifyOverdueRedFlags(
                store: store, policy: policy, defaultZone: ConsoleFixture.zone, now: tuesday)
            #expect(sent == [.redFlagOverdue(flagID: red.id, patientID: "P-RED")])
            #expect(
                try await working.notifyOverdueRedFlags(
                    store: store, policy: policy, defaultZone: ConsoleFixture.zone,
                    now: tuesday.addingTimeInterval(3600)
                ).isEmpty, "once per flag")
            #expect(
                Self.calls(in: directory) == ["red-flag-overdue P-RED \(red.id)", "red-flag-overdue P-RED \(red.id)"])
        }
    }

    @Test("a script still held open for writing when the event comes (ETXTBSY) is started once it is closed")
    func busyScript() async throws {
        try await withTemporaryDirectory { directory in
            let store = try ConsoleFixture.store(in: directory)
            let notifier = try Self.script(in: directory)
            // Another process (here: this one) still has the file open for writing.
            let writer = open(notifier.command, O_WRONLY | O_APPEND | O_CLOEXEC)
            try #require(writer >= 0)
            let closer = Task {
                try await Task.sleep(for: .milliseconds(60))
                close(writer)
            }
            let sent = try await notifier.send(
                .escalationAfterHours(escalationID: 2, patientID: "P-RED"), ledger: store, at: ConsoleFixture.friday)
            try await closer.value
            #expect(sent)
            #expect(Self.calls(in: directory) == ["escalation-after-hours P-RED 2"])
        }
    }

    @Test("a gateway that hangs is killed after the timeout, and the event is tried again later")
    func hangingGateway() async throws {
        try await withTemporaryDirectory { directory in
            let store = try ConsoleFixture.store(in: directory)
            let url = directory.appendingPathComponent("hang.sh")
            try "#!/bin/sh\nexec sleep 30\n".write(to: url, atomically: true, encoding: .utf8)
            chmod(url.path, 0o755)
            let hanging = SiteNotifier(command: url.path, timeout: .milliseconds(300))
            do {
                try await hanging.send(
                    .escalationAfterHours(escalationID: 1, patientID: "P-RED"), ledger: store, at: ConsoleFixture.friday
                )
                Issue.record("a hanging gateway counted as sent")
            } catch let error as NotifierError {
                #expect(error.description.contains("did not finish"), "\(error)")
            }
            #expect(
                try store.claimNotification(
                    kind: "escalation-after-hours", reference: 1, patientID: "P-RED", at: ConsoleFixture.friday),
                "the claim was given back")
        }
    }

    @Test("the running service sends a red flag overdue through the notifier, once, at its missing-data check")
    func runningService() async throws {
        try await withBroker { broker in
            try await withTemporaryDirectory { directory in
                let notifier = try Self.script(in: directory)
                try await withIngestService(
                    broker: broker, directory: directory, configure: { $0.notifyCommand = notifier.command },
                    prepare: { store in
                        // A red flag nobody acknowledged for six days (no device: the missing-data
                        // rules leave the patient alone).
                        try store.addPatient(id: "P-LATE", name: "Test Patient Late")
                        let opened = TestCohort.now.addingTimeInterval(-6 * 86_400).millisecondsSince1970
                        try store.database.write { db in
                            try db.execute(
                                sql: """
                                    INSERT INTO flag (patient_id, rule_id, problem, rule_set_version, measurement, severity,
                                        state, explanation, reading_ids, evidence_at, supports, opened_at, updated_at)
                                    VALUES ('P-LATE', 'weight-gain-3d', 'weight-gain', 1, 'weight', 'red', 'open', 'by hand',
                                        '', ?, '', ?, ?)
                                    """,
                                arguments: [opened, opened, opened])
                        }
                    }
                ) { _ in
                    #expect(await eventually { Self.calls(in: directory) == ["red-flag-overdue P-LATE 1"] })
                }
                #expect(Self.calls(in: directory) == ["red-flag-overdue P-LATE 1"], "once")
            }
        }
    }

    @Test("notify.command must be an executable file: the configuration names the field")
    func configuration() async throws {
        try await withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("notify.yaml")
            try "notify:\n  command: ./no-such-gateway\n".write(to: url, atomically: true, encoding: .utf8)
            do {
                _ = try IngestConfiguration.load(file: url)
                Issue.record("a missing notifier was accepted")
            } catch {
                #expect("\(error)".contains("notify.command"), "\(error)")
                #expect("\(error)".contains("no-such-gateway"))
            }
            _ = try Self.script(in: directory)
            try "notify:\n  command: notify-0.sh\n".write(to: url, atomically: true, encoding: .utf8)
            #expect(
                try IngestConfiguration.load(file: url).notifyCommand
                    == directory.appendingPathComponent("notify-0.sh").path)
        }
    }
}
