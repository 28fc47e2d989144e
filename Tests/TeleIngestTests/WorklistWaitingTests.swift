import ConsoleScreens
import FollowUp
import Foundation
import MonitoringRecords
import StoreInterface
import TerminalUI
import Testing
import ThresholdRules
import Vitals

/// Nothing waits unseen: an unacknowledged flag past its working days and an escalation without
/// the hotline's answer past its hours come first in their triage group and say so; a patient
/// whose monitoring ended is not on the list but counted.
@Suite struct WorklistWaitingTests {
    static let zone = TimeZone(identifier: "Europe/Copenhagen")!
    static func at(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }
    /// Tuesday 24 November 2026, 10:00 in Copenhagen.
    static let tuesday = at("2026-11-24T10:00:00+01:00")

    static func line(_ id: PatientID, _ flags: [(Severity, opened: String, escalated: Bool)], ended: Bool = false)
        -> WorklistSnapshot.Line
    {
        let start = at("2026-10-01T08:00:00+02:00")
        return WorklistSnapshot.Line(
            patient: Patient(
                id: id, name: "Test Patient \(id)", createdAt: start, monitoringStart: start,
                monitoringEnd: ended
                    ? MonitoringEnd(
                        reason: .completed, comment: nil, endedBy: "Test Nurse", endedAt: at("2026-11-23T09:00:00Z"))
                    : nil),
            openFlags: flags.enumerated().map { index, flag in
                WorklistSnapshot.OpenFlag(
                    id: Int64(id.rawValue.utf8.reduce(0) { $0 + Int($1) }) * 10 + Int64(index),
                    ruleID: "systolic-range",
                    measurement: .systolic,
                    severity: flag.0, escalated: flag.escalated, explanation: "systolic 190 mmHg > red 180",
                    openedAt: at(flag.opened))
            })
    }

    static func worklist(
        _ lines: [WorklistSnapshot.Line], pending: [PatientID: String] = [:], nextReviews: [PatientID: String] = [:],
        reviewedWeeks: [PatientID: String] = [:]
    ) -> Worklist {
        let escalations = Dictionary(
            uniqueKeysWithValues: pending.enumerated().map {
                (
                    $0.element.key,
                    WorklistSnapshot.PendingEscalation(id: Int64($0.offset + 1), escalatedAt: at($0.element.value))
                )
            })
        var snapshot = WorklistSnapshot(lines: lines, reviews: [:], pendingEscalations: escalations)
        snapshot.nextReviews = nextReviews
        snapshot.lastReviewedWeeks = reviewedWeeks
        return Worklist(
            snapshot: snapshot,
            week: ISOWeek(containing: tuesday, in: zone), now: tuesday, defaultZone: zone, ruleSet: nil,
            limits: WaitingLimits(
                flags: OverduePolicy(redWorkingDays: 1, yellowWorkingDays: 5), escalationAnswer: 24 * 3600))
    }

    @Test(
        "a flag is overdue after its severity's working days, counted Monday to Friday in the patient's zone",
        arguments: [
            // Red: one working day. Opened Friday: Monday is the first working day, Tuesday the second.
            (Severity.red, "2026-11-20T09:00:00+01:00", true),
            (.red, "2026-11-23T09:00:00+01:00", false),  // Monday: one working day by Tuesday
            (.red, "2026-11-24T07:00:00+01:00", false),  // today
            // Yellow: five working days.
            (.yellow, "2026-11-16T09:00:00+01:00", true),  // last Monday: six working days by Tuesday
            (.yellow, "2026-11-17T09:00:00+01:00", false),  // last Tuesday: five
        ])
    func overdueFlag(severity: Severity, opened: String, overdue: Bool) {
        let list = Self.worklist([Self.line("P-A", [(severity, opened, false)])])
        let entry = list.entries[0]
        #expect(entry.flags[0].overdue == overdue)
        #expect(entry.needsChasing == overdue)
        #expect((entry.overdueText(now: Self.tuesday) != nil) == overdue)
    }

    @Test("an escalated flag waits for the hotline, not the nurse: it is never overdue itself")
    func escalatedFlagNotOverdue() {
        let list = Self.worklist(
            [Self.line("P-A", [(.red, "2026-11-16T09:00:00+01:00", true)])],
            pending: ["P-A": "2026-11-24T08:00:00+01:00"])
        #expect(list.entries[0].flags[0].overdue == false)
        #expect(list.entries[0].escalationOverdue == false, "two hours without an answer is within 24 h")
        #expect(list.entries[0].needsChasing == false)
    }

    @Test("an escalation unanswered past the limit comes back to the nurse: first in its group, saying for how long")
    func unansweredEscalationComesBack() throws {
        // Both yellow. P-OLDER's flag waited longer, but P-ESC's escalation has had no answer for 26 h.
        let list = Self.worklist(
            [
                Self.line("P-OLDER", [(.yellow, "2026-11-19T09:00:00+01:00", false)]),
                Self.line("P-ESC", [(.yellow, "2026-11-20T09:00:00+01:00", true)]),
            ],
            pending: ["P-ESC": "2026-11-23T08:00:00+01:00"])
        #expect(list.entries.map(\.patientID) == ["P-ESC", "P-OLDER"])
        let entry = list.entries[0]
        #expect(entry.escalationOverdue)
        #expect(entry.overdueText(now: Self.tuesday) == "OVERDUE: escalation #1 unanswered for 26 h")

        // Without the escalation, the longest-waiting flag comes first again.
        let plain = Self.worklist(
            [
                Self.line("P-OLDER", [(.yellow, "2026-11-19T09:00:00+01:00", false)]),
                Self.line("P-ESC", [(.yellow, "2026-11-20T09:00:00+01:00", false)]),
            ])
        #expect(plain.entries.map(\.patientID) == ["P-OLDER", "P-ESC"])
    }

    @Test("red stays above yellow whatever is overdue; within red, the overdue patient first")
    func redFirstThenOverdue() {
        let list = Self.worklist(
            [
                Self.line("P-YELLOW-LATE", [(.yellow, "2026-11-02T09:00:00+01:00", false)]),
                Self.line("P-RED-NEW", [(.red, "2026-11-24T07:00:00+01:00", false)]),
                Self.line("P-RED-LATE", [(.red, "2026-11-20T09:00:00+01:00", false)]),
                Self.line("P-RED-ESC", [(.red, "2026-11-23T07:00:00+01:00", true)]),
            ],
            pending: ["P-RED-ESC": "2026-11-23T08:00:00+01:00"])
        #expect(list.entries.map(\.patientID) == ["P-RED-LATE", "P-RED-ESC", "P-RED-NEW", "P-YELLOW-LATE"])
        #expect(
            list.entries[0].overdueText(now: Self.tuesday) == "OVERDUE: red flag open since 2026-11-20",
            "\(list.entries[0].overdueText(now: Self.tuesday) ?? "nil")")
    }

    @Test("a patient whose monitoring ended is not on the worklist, and is counted")
    func endedPatientsLeave() {
        let list = Self.worklist([
            Self.line("P-ENDED", [(.red, "2026-11-20T09:00:00+01:00", false)], ended: true),
            Self.line("P-ON", []),
        ])
        #expect(list.entries.map(\.patientID) == ["P-ON"])
        #expect(list.ended == 1)
        #expect(list.counts[.red] == nil)
    }

    @Test(
        "a review date the cardiologist set is due from that day until someone marks the patient reviewed in its week or later",
        arguments: [
            ("2026-11-23", nil, true),  // Monday; today is Tuesday; never reviewed
            ("2026-11-23", "2026-W47", true),  // reviewed the week before the date
            ("2026-11-23", "2026-W48", false),  // reviewed in the date's week
            ("2026-11-24", nil, true),  // today
            ("2026-11-30", nil, false),  // next Monday: not yet
        ] as [(String, String?, Bool)])
    func reviewDue(date: String, reviewed: String?, due: Bool) {
        let list = Self.worklist(
            [Self.line("P-A", [])], nextReviews: ["P-A": date], reviewedWeeks: reviewed.map { ["P-A": $0] } ?? [:])
        #expect(list.entries[0].nextReview == date)
        #expect(list.entries[0].reviewDue == due)
        #expect(list.filtered(flaggedOnly: false, search: "", waitingOnly: true).count == (due ? 1 : 0))
    }

    @Test("the cardiologist's console opens on what waits for the hotline; v shows everyone")
    func cardiologistOpensOnWaiting() async throws {
        try await withTemporaryDirectory { directory in
            let store = try ConsoleFixture.store(in: directory)
            let cardiologist = try ConsoleFixture.session(store, as: ConsoleFixture.cardiologist)
            let empty = try await ConsoleApp(session: cardiologist, glyphs: .unicode).render(width: 100, height: 24)
                .text
            #expect(empty.contains("Showing: waiting for the hotline (0 of 4)"), "\(empty)")
            #expect(empty.contains("Nothing waits for the hotline"))

            let nurse = try ConsoleFixture.session(store)
            _ = try await nurse.escalate(
                patientID: "P-YELLOW", brief: EscalationBrief(reason: "Pressure 86", recommendation: "Look"))
            let app = try await ConsoleApp(session: cardiologist, glyphs: .unicode)
            let waiting = app.render(width: 100, height: 24).text
            #expect(waiting.contains("Showing: waiting for the hotline (1 of 4)"), "\(waiting)")
            #expect(waiting.contains("Test Patient Yellow") && !waiting.contains("Test Patient Red"))
            #expect(await app.handle(.character("v")))
            let everyone = app.render(width: 100, height: 24).text
            #expect(everyone.contains("Showing: all (4 of 4)") && everyone.contains("Test Patient Red"))

            // A nurse's console opens on everyone, as before.
            let nurses = try await ConsoleApp(session: nurse, glyphs: .unicode).render(width: 100, height: 24).text
            #expect(nurses.contains("Showing: all (4 of 4)"))
        }
    }
}
