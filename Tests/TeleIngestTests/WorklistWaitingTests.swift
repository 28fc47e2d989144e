import FollowUp
import Foundation
import MonitoringRecords
import StoreInterface
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

    static func line(_ id: String, _ flags: [(Severity, opened: String, escalated: Bool)], ended: Bool = false)
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
                    id: Int64(id.utf8.reduce(0) { $0 + Int($1) }) * 10 + Int64(index), ruleID: "systolic-range",
                    measurement: .systolic,
                    severity: flag.0, escalated: flag.escalated, explanation: "systolic 190 mmHg > red 180",
                    openedAt: at(flag.opened))
            })
    }

    static func worklist(_ lines: [WorklistSnapshot.Line], pending: [String: String] = [:]) -> Worklist {
        let escalations = Dictionary(
            uniqueKeysWithValues: pending.enumerated().map {
                (
                    $0.element.key,
                    WorklistSnapshot.PendingEscalation(id: Int64($0.offset + 1), escalatedAt: at($0.element.value))
                )
            })
        return Worklist(
            snapshot: WorklistSnapshot(lines: lines, reviews: [:], pendingEscalations: escalations),
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
}
