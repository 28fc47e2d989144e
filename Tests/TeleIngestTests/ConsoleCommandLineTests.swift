import FollowUp
import Foundation
import MonitoringRecords
import StoreInterface
import Testing
import ThresholdRules

@testable import TeleIngest

/// The scriptable `nurse-console` subcommands of the real binary, on a store that `tele-ingest
/// import` filled with a month of readings (the wall clock is "now" here, as for a user).
@Suite struct ConsoleCommandLineTests {
    @Test("worklist, patient, ack, note, review, escalate, brief, respond and audit, as a nurse and a cardiologist")
    func followUpWeek() async throws {
        try await withTemporaryDirectory { directory in
            let db = directory.appendingPathComponent("console.sqlite").path
            let config = directory.appendingPathComponent("console.yaml")
            try """
            database:
              path: \(db)
            rules:
              file: \(Paths.packageRoot.appendingPathComponent("rules/heart-failure-guideline.yaml").path)
            console:
              user: { name: Test Nurse, role: nurse }
              hotline:
                name: Heart-failure hotline (test)
                phone: the test line
            """.write(to: config, atomically: true, encoding: .utf8)
            func admin(_ arguments: String...) throws -> String {
                let (status, output) = try teleIngest(Array(arguments) + ["--config", config.path], in: directory)
                #expect(status == 0, "tele-ingest \(arguments.joined(separator: " ")) failed:\n\(output)")
                return output
            }
            func console(
                _ arguments: [String], as role: String? = nil, succeeds: Bool = true, at now: Date? = nil
            ) throws -> String {
                let who = role.map { ["--user", "Test \($0.capitalized)", "--role", $0] } ?? []
                let (status, output) = try nurseConsole(
                    arguments + ["--config", config.path] + who, in: directory, now: now)
                #expect((status == 0) == succeeds, "nurse-console \(arguments.joined(separator: " ")):\n\(output)")
                return output
            }
            let now = TestCohort.clock.now()
            let start = now.addingTimeInterval(-40 * 86_400).formatted(.iso8601)
            for patient in ConsoleFixture.patients {
                _ = try admin(
                    "patients", "add", "--id", patient.id.rawValue, "--name", patient.name, "--cpr", patient.cpr,
                    "--monitoring-start", start)
                _ = try admin(
                    "devices", "pair", "--serial", patient.serial.rawValue, "--patient", patient.id.rawValue, "--from",
                    start)
            }
            let csv = directory.appendingPathComponent("month.csv")
            try ConsoleFixture.csv(now: now).write(to: csv, atomically: true, encoding: .utf8)
            #expect(try admin("import", csv.path).contains("0 quarantined"))

            // The worklist of the week of the last readings: red before yellow before stable (no
            // missing-data check ran here). Exact adherence figures are tested on a fixed clock.
            let week = ISOWeek(containing: ConsoleFixture.lastDay(now: now)).description
            let list = try JSONDecoder.iso8601.decode(
                Worklist.self, from: Data(try console(["worklist", "--week", week, "--json"]).utf8))
            #expect(list.entries.map(\.patientID).prefix(2) == ["P-RED", "P-YELLOW"])
            #expect(list.entries.first?.triage == .red)
            #expect(list.entries.last?.triage == .stable)
            let stable = try #require(list.entries.first { $0.patientID == "P-STABLE" })
            #expect(stable.adherence.measuredDays >= stable.adherence.elapsedDays - 1)  // today may not have begun
            #expect(stable.adherence.meetsPlan)
            let table = try console(["worklist"])
            #expect(table.contains("000150-****"))
            #expect(!table.contains("000150-1001"), "the worklist shows CPR numbers masked")
            #expect(try console(["worklist", "--flagged"]).contains("Test Patient Stable") == false)

            // The patient view shows the full CPR and is itself audited.
            let view = try console(["patient", "P-RED"])
            #expect(view.contains("CPR 000150-1001"))
            #expect(view.contains("weight +2.6 kg in 3 days"))
            let record = try JSONDecoder.iso8601.decode(
                PatientRecord.self,
                from: try JSONSerialization.data(
                    withJSONObject: (try JSONSerialization.jsonObject(
                        with: Data(try console(["patient", "P-RED", "--json"]).utf8)) as! [String: Any])["record"]!))
            let red = try #require(record.flags.first { $0.severity == .red && $0.state == .open })

            // Acknowledge: a red flag needs a comment.
            #expect(try console(["ack", String(red.id)], succeeds: false).contains("a red flag needs a comment"))
            _ = try console(["ack", String(red.id), "--comment", "Called: feels well, extra furosemide agreed"])
            _ = try console(["note", "P-RED", "--kind", "phone", "--text", "Ankles swollen since Tuesday."])
            _ = try console(["review", "P-RED"])
            #expect(try console(["review", "P-RED"], succeeds: false).contains("already reviewed by Test Nurse"))

            // Escalate, print the brief, answer as a cardiologist (a nurse may not).
            let escalated = try console(
                ["escalate", "P-YELLOW", "--reason", "Systolic 86 today, dizzy when standing up."])
            #expect(escalated.contains("S — Situation"))
            #expect(escalated.contains("systolic BP 86 mmHg"))
            let escalationID = try #require(
                escalated.split(separator: "\n").last { $0.hasPrefix("recorded as escalation") }?
                    .split(separator: " ")[3].split(separator: ";").first.flatMap { Int($0) })
            #expect(try console(["escalation", "brief", String(escalationID)]).contains("Systolic 86 today"))
            #expect(
                try console(["respond", String(escalationID), "--decision", "no-change"], succeeds: false)
                    .contains("only a cardiologist"))
            _ = try console(
                [
                    "respond", String(escalationID), "--decision", "thresholds-changed", "--limit",
                    "systolic-range.yellowBelow=82", "--next-review", "2026-12-04",
                ],
                as: "cardiologist")
            #expect(
                try console(["escalation", "list", "--patient", "P-YELLOW"]).contains("personal thresholds changed"))

            // The nurse agrees a measurement plan with a patient; the patient view shows it.
            #expect(
                try console(["plan", "P-STABLE", "--days-a-week", "9", "--reason", "typo"], succeeds: false)
                    .contains("expected 1 to 7, found 9"))
            #expect(
                try console(["plan", "P-STABLE", "--days-a-week", "3", "--reason", "Mon, Wed, Fri agreed"])
                    .contains(
                        "P-STABLE: measurement plan 3 days a week from now on (daily for 14 days, then 3 days a week)"))
            // Each program's clock starts at the tests' clock: look a minute later, when it is in force.
            #expect(
                try console(["patient", "P-STABLE"], at: TestCohort.clock.now().addingTimeInterval(60))
                    .contains("plan: daily for 14 days, then 3 days a week"))

            // A cardiologist sets a personal limit outside an escalation; a nurse may not.
            #expect(
                try console(["limit", "P-STABLE", "systolic-range.yellowAbove=150", "--reason", "r"], succeeds: false)
                    .contains("only a cardiologist changes thresholds"))
            #expect(
                try console(
                    ["limit", "P-STABLE", "systolic-range=150", "--reason", "r"], as: "cardiologist", succeeds: false
                )
                .contains("the setting expects RULE.PARAMETER=VALUE"))
            #expect(
                try console(
                    [
                        "limit", "P-STABLE", "systolic-range.yellowAbove=150", "--reason",
                        "Treated hypertension, agreed",
                    ],
                    as: "cardiologist"
                ).contains("P-STABLE: systolic-range.yellowAbove = 150.0 from now on, set by Test Cardiologist"))
            #expect(
                try console(
                    ["limit", "P-QUIET", "systolic-range.yellowAbove=default", "--reason", "Back to the rule set"],
                    as: "cardiologist"
                ).contains("P-QUIET: systolic-range.yellowAbove = default from now on"))

            // Everything is in the audit log, with who and which patient.
            let audit = try JSONDecoder.iso8601.decode(
                [AuditEntry].self, from: Data(try console(["audit", "--json"]).utf8))
            let red_ = audit.filter { $0.patientID == "P-RED" }.map(\.action)
            #expect(
                red_ == [.patientViewed, .patientViewed, .flagAcknowledged, .noteWritten, .patientReviewed])
            let yellow = audit.filter { $0.patientID == "P-YELLOW" }
            #expect(
                yellow.map(\.action) == [
                    .escalated, .briefViewed, .refused, .thresholdChanged, .escalationAnswered, .patientViewed,
                ])
            #expect(yellow.filter { $0.action == .escalationAnswered }.map(\.user) == ["Test Cardiologist"])
            // The nurse's attempts to answer and to set a limit are in the log under her name.
            let refused = audit.filter { $0.action == .refused }
            #expect(refused.map(\.role) == ["nurse", "nurse"], "\(refused)")
            #expect(refused.map(\.patientID) == ["P-YELLOW", "P-STABLE"])
            #expect(
                refused.allSatisfy { $0.detail.hasPrefix("tried to ") && $0.detail.contains("only a cardiologist") })
            #expect(audit.contains { $0.action == .worklistViewed && $0.patientID == nil })
            #expect(
                audit.filter { $0.patientID == "P-STABLE" }.map(\.action) == [
                    .measurementPlanChanged, .patientViewed, .refused, .thresholdChanged,
                ])
            #expect(try console(["audit", "--patient", "P-RED"]).contains("flag.acknowledge"))

            // The end of monitoring: P-QUIET declines to go on; off the list, counted, read-only.
            let ended = try console(["end", "P-QUIET", "--reason", "declined", "--comment", "Does not want to measure"])
            #expect(
                ended.contains("P-QUIET: monitoring ended") && ended.contains("(declined) by Test Nurse"), "\(ended)")
            let shortList = try console(["worklist", "--week", week])
            #expect(!shortList.contains("P-QUIET") && shortList.contains("1 patient whose monitoring ended not listed"))
            #expect(try admin("patients", "list").contains("declined 20"))
            let refusedNote = try console(
                ["note", "P-QUIET", "--kind", "phone", "--text", "Tried to call"], succeeds: false)
            #expect(refusedNote.contains("read-only until the period is reopened"), "\(refusedNote)")
            #expect(try console(["end", "P-QUIET", "--reason", "bogus"], succeeds: false).contains("bogus"))
            let reopened = try console(["reopen", "P-QUIET"])
            #expect(reopened.contains("monitoring reopened") && reopened.contains("tele-ingest devices pair"))
            #expect(try console(["worklist", "--week", week]).contains("P-QUIET"))

            // What the operator's tools print is audited too, and so is a drafted brief (full CPR).
            _ = try admin("readings", "--patient", "P-RED", "--json")
            _ = try admin("flags", "list", "--patient", "P-RED")
            _ = try admin("quarantine", "--json")
            let draft = try console(["escalate", "P-STABLE", "--reason", "Checking the brief", "--dry-run"])
            #expect(draft.contains("000450-1004"), "the draft shows the full CPR number")
            let later = try JSONDecoder.iso8601.decode(
                [AuditEntry].self, from: Data(try console(["audit", "--json"]).utf8))
            let operatorReads = later.filter { $0.role == "operator" }
            #expect(operatorReads.map(\.action) == [.recordsRead, .recordsRead, .recordsRead], "\(operatorReads)")
            #expect(operatorReads.allSatisfy { $0.user == NSUserName() }, "under the operating-system account")
            #expect(operatorReads.first?.detail.hasPrefix("tele-ingest readings --json: ") == true)
            #expect(operatorReads.last?.detail.contains("raw payloads") == true)
            #expect(
                later.contains { $0.action == .briefDrafted && $0.patientID == "P-STABLE" && $0.user == "Test Nurse" })
        }
    }

    @Test("the shipped example configuration loads for the console too")
    func shippedConfiguration() throws {
        let configuration = try ConsoleConfiguration.load(
            file: Paths.packageRoot.appendingPathComponent("deploy/tele-ingest.yaml"))
        #expect(configuration.hotline.hoursText == "Mon–Fri 08:00–15:00")
        #expect(configuration.timeZone.identifier == "Europe/Copenhagen")
        #expect(configuration.hotline.acuteInstruction.contains("112"))
        #expect(configuration.user == nil)
        #expect(configuration.limits.escalationAnswer == 24 * 3600)
        #expect(configuration.limits.flags == OverduePolicy(redWorkingDays: 1, yellowWorkingDays: 5))
    }

    @Test("the console refuses to run for nobody, on a missing database, or with a bad console section")
    func refusals() async throws {
        try await withTemporaryDirectory { directory in
            let missing = directory.appendingPathComponent("none.sqlite").path
            let empty = directory.appendingPathComponent("empty.sqlite").path
            _ = try MonitoringStore(path: empty, clock: TestCohort.clock)
            var (status, output) = try nurseConsole(["worklist", "--db", empty], in: directory)
            #expect(status != 0)
            #expect(output.contains("who is using the console?"))
            (status, output) = try nurseConsole(
                ["worklist", "--db", missing, "--user", "Test Nurse", "--role", "nurse"], in: directory)
            #expect(output.contains("no database at \(missing)"))
            let config = directory.appendingPathComponent("bad.yaml")
            try """
            console:
              user: { name: Test Nurse, role: porter }
              escalationAnswerHours: 0
              hotline:
                opens: "8 o'clock"
                days: [Mon, Funday]
            """.write(to: config, atomically: true, encoding: .utf8)
            (status, output) = try nurseConsole(["worklist", "--config", config.path], in: directory)
            #expect(status != 0)
            #expect(output.contains("\(config.path): field 'console.user'"))
            #expect(output.contains("field 'console.hotline.opens': expected a time like 08:00, found '8 o'clock'"))
            #expect(output.contains("found 'Funday'"))
            #expect(output.contains("field 'console.escalationAnswerHours': expected a number of hours above 0"))
            (status, output) = try nurseConsole(
                ["--db", missing, "--user", "Test Nurse", "--role", "nurse"], in: directory)
            #expect(status != 0)
            #expect(output.contains("needs a terminal") || output.contains("no database"))
        }
    }
}
