import ConsoleScreens
import FollowUp
import Foundation
import GRDB
import MonitoringRecords
import StoreInterface
import TerminalUI
import Testing
import ThresholdRules
import Vitals

@testable import TeleIngest

/// The follow-up week on a caseload imported through the pipeline with the shipped rules, on a
/// clock the test sets.
@Suite struct FollowUpSessionTests {
    @Test("the worklist puts red first, then yellow, then missing data, then stable")
    func worklistOrder() async throws {
        try await withTemporaryDirectory { directory in
            let session = try ConsoleFixture.session(try ConsoleFixture.store(in: directory))
            let list = try await session.worklist()
            #expect(list.week.description == "2026-W47")
            #expect(list.entries.map(\.patientID) == ["P-RED", "P-YELLOW", "P-QUIET", "P-STABLE"])
            #expect(list.entries.map(\.triage) == [.red, .yellow, .missingData, .stable])
            let red = try #require(list.entries.first)
            #expect(red.flags.first?.ruleID == "weight-gain-3d")
            #expect(red.flags.first?.headline == "weight +2.6 kg in 3 days")
            #expect(red.weight?.value == 82.6)
            #expect(red.weight?.direction == .up)
            #expect(red.maskedCPR == "000150-****")
        }
    }

    @Test("adherence counts the days weighed this week against the days so far and the plan")
    func adherence() async throws {
        try await withTemporaryDirectory { directory in
            let list = try await ConsoleFixture.session(try ConsoleFixture.store(in: directory)).worklist()
            let byID = Dictionary(uniqueKeysWithValues: list.entries.map { ($0.patientID, $0.adherence) })
            // Friday: Monday to Friday have begun; the plan after the daily phase asks for one day.
            #expect(byID["P-STABLE"] == Adherence(measuredDays: 5, elapsedDays: 5, plannedDays: 1))
            #expect(byID["P-QUIET"] == Adherence(measuredDays: 0, elapsedDays: 5, plannedDays: 1))
            #expect(byID["P-QUIET"]?.text == "0/5 low")

            // A past week reads its weighings; the kept days of this week agree with them.
            let session = try ConsoleFixture.session(
                try MonitoringStore(
                    path: directory.appendingPathComponent("console.sqlite").path, clock: TestCohort.clock))
            let previous = try await session.worklist(week: #require(ISOWeek("2026-W46")))
            #expect(previous.entries.first { $0.patientID == "P-STABLE" }?.adherence.text == "7/7")
            #expect(previous.entries.first { $0.patientID == "P-QUIET" }?.adherence.text == "0/7 low")  // last weighed Sunday 8 Nov
            let week = try #require(ISOWeek("2026-W47"))
            let zone = ConsoleFixture.zone
            let read = try await session.store.worklistSnapshot(
                week: week.description,
                weighings: week.start(in: zone).addingTimeInterval(
                    -86_400)..<week.end(in: zone).addingTimeInterval(86_400), at: nil)
            let fromReadings = Worklist(
                snapshot: read, week: week, now: ConsoleFixture.friday, defaultZone: zone,
                ruleSet: try ConsoleFixture.ruleSet())
            #expect(fromReadings.entries.map(\.adherence) == list.entries.map(\.adherence))
        }
    }

    @Test(
        "the plan is daily in the first 14 days of monitoring",
        arguments: [
            // monitoring started N days before Monday of the week, weighings on Mon–Fri, today Friday
            (20, 5, 5, 1), (0, 3, 5, 5), (10, 3, 5, 5), (11, 4, 5, 4),
        ])
    func dailyPhase(startedDaysBeforeMonday: Int, weighed: Int, elapsed: Int, planned: Int) throws {
        let week = try #require(ISOWeek("2026-W47"))
        let zone = ConsoleFixture.zone
        let monday = week.monday
        let start = monday.adding(days: -startedDaysBeforeMonday).start(in: zone)
        let weighings = (0..<weighed).map { monday.adding(days: $0).start(in: zone).addingTimeInterval(7 * 3600) }
        let adherence = Adherence(
            weighings: weighings, week: week, today: monday.adding(days: 4), zone: zone, monitoringStart: start,
            plan: .teleHjerte)
        #expect(adherence == Adherence(measuredDays: weighed, elapsedDays: elapsed, plannedDays: planned))
    }

    @Test(
        "after the daily phase a patient's own plan asks for its days a week, pro rata in a week begun",
        arguments: [
            // days a week (nil: the rule set's, at least once), days of the week gone by, planned
            (nil, 5, 1), (nil, 7, 1), (3, 7, 3), (3, 5, 2), (3, 2, 1), (1, 7, 1), (1, 3, 1), (7, 5, 5), (5, 7, 5),
        ] as [(Int?, Int, Int)])
    func ownPlan(daysAWeek: Int?, elapsed: Int, planned: Int) throws {
        let week = try #require(ISOWeek("2026-W47"))
        let zone = ConsoleFixture.zone
        let start = week.monday.adding(days: -30).start(in: zone)
        let plan = MeasurementPlan.teleHjerte.measuring(daysAWeek: daysAWeek)
        let adherence = Adherence(
            weighings: [], week: week, today: week.monday.adding(days: elapsed - 1), zone: zone,
            monitoringStart: start, plan: plan)
        #expect(adherence.plannedDays == planned)
        let kept = Adherence(
            weighedDays: 0, days: week.days, today: week.monday.adding(days: elapsed - 1),
            firstDay: LocalDay(start, in: zone), plan: plan)
        #expect(kept == adherence, "counted from the kept week days, the same")
    }

    @Test("a nurse agrees a plan of 3 days a week: audited, and the worklist and patient view count by it")
    func nurseSetsPlan() async throws {
        try await withTemporaryDirectory { directory in
            let session = try ConsoleFixture.session(try ConsoleFixture.store(in: directory))
            let before = try await #require(try session.worklist().entries.first { $0.patientID == "P-STABLE" })
            let record = try await session.setMeasurementPlan(
                patientID: "P-STABLE", daysAWeek: 3, reason: "Agreed Mon, Wed, Fri with the patient")
            #expect(record.setting.change == .measurementPlan(daysAWeek: 3))
            let after = try await #require(try session.worklist().entries.first { $0.patientID == "P-STABLE" })
            #expect(before.adherence.plannedDays == 1)
            #expect(after.adherence.plannedDays == 2, "Friday: 5 days of a 3-days-a-week plan")
            let overview = try await session.overview(patientID: "P-STABLE")
            #expect(overview.measurementPlan.text == "daily for 14 days, then 3 days a week")
            #expect(overview.measurementPlan.laterMaxGapDays == 3)
            #expect(overview.adherence == after.adherence, "the patient view counts as the worklist does")
            let entry = try await #require(
                try session.store.auditLog(patientID: "P-STABLE", limit: nil).first {
                    $0.action == .measurementPlanChanged
                })
            #expect(entry.user == session.clinician.name && entry.role == "nurse")
            #expect(
                entry.detail.hasSuffix("measurement plan 3 days a week; reason: Agreed Mon, Wed, Fri with the patient"))
            await #expect(throws: StoreError.self) {
                try await session.setMeasurementPlan(patientID: "P-STABLE", daysAWeek: 8, reason: "typo")
            }
            try await session.setMeasurementPlan(patientID: "P-STABLE", daysAWeek: nil, reason: "back to the usual")
            await #expect(
                try session.worklist().entries.first { $0.patientID == "P-STABLE" }?.adherence == before.adherence)
        }
    }

    @Test(
        "a limit proposed from the patient's own readings is shown to the cardiologist, who accepts it: audited, in force, no longer proposed"
    )
    func proposedLimitAccepted() async throws {
        try await withTemporaryDirectory { directory in
            let store = try ConsoleFixture.store(in: directory)
            let now = ConsoleFixture.friday
            try store.addPatient(
                id: "P-LOW", name: "Test Patient Low", cpr: "000550-1005",
                monitoringStart: now.addingTimeInterval(-40 * 86_400))
            try store.pair(serial: "SC-LOW", patientID: "P-LOW", from: now.addingTimeInterval(-40 * 86_400))
            // 27 mornings of a systolic pressure that always runs low: 86–95, median 91.
            let low: [Double] = [88, 92, 95, 90, 86, 93, 91]
            let today = ConsoleFixture.lastDay(now: now)
            let rows = (0..<27).map { day in
                let at = today.adding(days: day - 26).start(in: ConsoleFixture.zone).addingTimeInterval(7 * 3600)
                return "SC-LOW,systolic,\(low[day % low.count]),mmHg,\(at.formatted(.iso8601))"
            }
            try ConsoleFixture.importRows(rows, into: store, now: now)

            let nurse = try ConsoleFixture.session(store)
            let proposal = try await #require(try nurse.overview(patientID: "P-LOW").limitProposals.first)
            #expect(proposal.change == "systolic-range yellowBelow: 90 → 82")
            #expect(proposal.setting == "systolic-range.yellowBelow=82")
            let screen = await PatientScreen(overview: try nurse.overview(patientID: "P-LOW"), glyphs: .ascii)
                .document(width: 100, height: 60).lines.map { $0.map(\.text).joined() }
            let heading = try #require(screen.firstIndex { $0.hasPrefix("PROPOSED FROM THE PATIENT'S OWN READINGS") })
            #expect(screen[heading + 1] == "  systolic-range yellowBelow: 90 → 82")
            #expect(screen[heading...].contains("    accept: nurse-console limit P-LOW systolic-range.yellowBelow=82"))
            let brief = try await nurse.draft(
                patientID: "P-LOW", brief: EscalationBrief(reason: "Low pressure every day"))
            #expect(
                brief.text.contains(
                    "Proposed from the patient's own readings (for you to decide):\n  - systolic-range yellowBelow: 90 → 82: systolic BP: median 91 mmHg"
                ))
            await #expect(throws: StoreError.self, "a nurse cannot set a limit") {
                try await nurse.setLimit(
                    patientID: "P-LOW", ruleID: "systolic-range", parameter: "yellowBelow", value: 82,
                    reason: "proposed")
            }

            let cardiologist = try ConsoleFixture.session(store, as: ConsoleFixture.cardiologist)
            let record = try await cardiologist.setLimit(
                patientID: "P-LOW", ruleID: "systolic-range", parameter: "yellowBelow", value: proposal.proposed,
                reason: "Runs low without symptoms; accepted the proposal")
            #expect(record.setBy == ConsoleFixture.cardiologist.name)
            let after = try await cardiologist.overview(patientID: "P-LOW")
            #expect(after.thresholds.map(\.what) == ["systolic-range.yellowBelow = 82.0"])
            #expect(after.limitProposals.isEmpty, "the limit in force now fits her own range")
            let entry = try #require(
                try store.auditLog(patientID: "P-LOW", limit: nil).first { $0.action == .thresholdChanged })
            #expect(entry.user == ConsoleFixture.cardiologist.name && entry.role == "cardiologist")
        }
    }

    @Test("viewing a patient and every action are in the audit log with who, what and which patient")
    func auditTrail() async throws {
        try await withTemporaryDirectory { directory in
            let store = try ConsoleFixture.store(in: directory)
            let nurse = try ConsoleFixture.session(store)
            _ = try await nurse.worklist()
            let overview = try await nurse.overview(patientID: "P-RED")
            let red = try #require(overview.openFlags.first { $0.severity == .red })
            await #expect(throws: StoreError.self) { try await nurse.acknowledge(flagID: red.id, comment: "  ") }
            try await nurse.acknowledge(flagID: red.id, comment: "Called: ankles swollen, takes furosemide as agreed")
            try await nurse.note(patientID: "P-RED", contact: .phone, text: "Short of breath on stairs since Tuesday.")
            try await nurse.review(patientID: "P-RED")
            await #expect(throws: StoreError.self) { try await nurse.review(patientID: "P-RED") }

            let log = try store.auditLog(patientID: "P-RED")
            #expect(
                log.map(\.action) == [.patientViewed, .flagAcknowledged, .noteWritten, .patientReviewed])
            #expect(log.allSatisfy { $0.user == "Test Nurse" && $0.role == "nurse" && $0.at == ConsoleFixture.friday })
            #expect(log[1].detail.contains("flag \(red.id) (weight-gain-3d, red)"))
            #expect(try store.auditLog().first?.action == .worklistViewed)

            // Append-only, whoever asks.
            #expect(throws: DatabaseError.self) {
                try store.database.write { db in try db.execute(sql: "UPDATE audit_log SET user = 'someone else'") }
            }
            #expect(throws: DatabaseError.self) {
                try store.database.write { db in try db.execute(sql: "DELETE FROM audit_log") }
            }
        }
    }

    @Test("escalating inside hotline hours gives the number; the brief carries the numbers behind the flags")
    func escalationInsideHours() async throws {
        try await withTemporaryDirectory { directory in
            let store = try ConsoleFixture.store(in: directory)
            let session = try ConsoleFixture.session(store)
            let result = try await session.escalate(
                patientID: "P-RED",
                brief: EscalationBrief(
                    reason: "Weight up 2.6 kg in 3 days, breathless on stairs.",
                    recommendation: "Please consider extra diuretic."))
            #expect(result.escalation.hotlineOpen)
            #expect(
                result.notice[0].contains(
                    "is open now (Mon–Fri 08:00–15:00), until Fri 20 Nov 15:00: call the test line"))
            let brief = result.escalation.brief
            for expected in [
                "Patient: Test Patient Red, CPR 000150-1001, id P-RED",
                "S — Situation", "  Weight up 2.6 kg in 3 days, breathless on stairs.",
                "RED Weight gain over 3 days: weight +2.6 kg in 3 days: 80.0 kg (17 Nov) → 82.6 kg (20 Nov)",
                "B — Background", "A — Assessment",
                "Weight: 82.6 kg on 20 Nov; 3 days before 80.0 kg (+2.6 kg); 7 days before",
                "Blood pressure: 104/66 mmHg on 20 Nov", "Pulse: 94 bpm on 20 Nov",
                "Adherence: weighed on 7 of the last 7 days.",
                "R — Recommendation", "  Please consider extra diuretic.",
            ] {
                #expect(brief.contains(expected), "brief lacks '\(expected)':\n\(brief)")
            }
            // The flags wait for the answer.
            let flags = try store.flags(patientID: "P-RED")
            #expect(flags.filter { $0.state == .escalated }.count == result.escalation.flagIDs.count)
            #expect(!result.escalation.flagIDs.isEmpty)
        }
    }

    @Test(
        "outside hotline hours the console says it is closed, when it opens and what to do now",
        arguments: [
            ("2026-11-20T16:30:00+01:00", "Mon 23 Nov 08:00"),  // Friday after closing
            ("2026-11-21T10:00:00+01:00", "Mon 23 Nov 08:00"),  // Saturday
            ("2026-11-23T07:15:00+01:00", "Mon 23 Nov 08:00"),  // Monday before opening
            ("2026-12-24T10:00:00+01:00", "Fri 25 Dec 08:00"),  // a closed date (holiday)
        ])
    func escalationOutsideHours(time: String, opens: String) async throws {
        try await withTemporaryDirectory { directory in
            let now = try Date(time, strategy: .iso8601)
            let store = try ConsoleFixture.store(in: directory)
            var session = try ConsoleFixture.session(store, now: now)
            session = FollowUpSession(
                store: store, clinician: session.clinician, ruleSet: session.ruleSet, timeZone: session.timeZone,
                hotline: HotlineSchedule(
                    name: "Heart-failure hotline (test)", phone: "the test line", closedDates: ["2026-12-24"]),
                now: { now })
            let result = try await session.escalate(patientID: "P-RED", brief: EscalationBrief(reason: "Weight up."))
            #expect(!result.escalation.hotlineOpen)
            #expect(result.notice[0].contains("is CLOSED now"))
            #expect(result.notice[0].contains("Nobody reads an escalation before it opens \(opens)."))
            #expect(result.notice[1].contains("on-call doctor (bagvagt)"))
            #expect(result.notice[1].contains("112"))
        }
    }

    @Test("only a cardiologist answers; the answer sets thresholds through the rules and closes the flags")
    func answer() async throws {
        try await withTemporaryDirectory { directory in
            let store = try ConsoleFixture.store(in: directory)
            let nurse = try ConsoleFixture.session(store)
            let escalation = try await nurse.escalate(patientID: "P-RED", brief: EscalationBrief(reason: "Weight up."))
                .escalation
            await #expect(throws: StoreError.self) {
                try await nurse.answer(
                    escalationID: escalation.id, decision: .noChange, medicationChange: nil, comment: nil,
                    nextReview: nil, settings: [])
            }
            let cardiologist = try ConsoleFixture.session(store, as: ConsoleFixture.cardiologist)
            await #expect(throws: StoreError.self) {  // a medication change must say what changed
                try await cardiologist.answer(
                    escalationID: escalation.id, decision: .medicationChanged, medicationChange: " ", comment: nil,
                    nextReview: nil, settings: [])
            }
            let answered = try await cardiologist.answer(
                escalationID: escalation.id, decision: .medicationChanged,
                medicationChange: "furosemide 40 mg → 80 mg for 3 days", comment: nil, nextReview: "2026-11-27",
                settings: [.dryWeight(80.0), .limit(ruleID: "systolic-range", parameter: "yellowBelow", value: 95)])
            #expect(answered.answer?.answeredBy == "Test Cardiologist")
            #expect(answered.answer?.settingIDs.count == 2)
            let settings = try store.personalSettings(patientID: "P-RED")
            #expect(settings.map(\.setBy) == ["Test Cardiologist", "Test Cardiologist"])
            let closed = try store.flags(patientID: "P-RED").filter { escalation.flagIDs.contains($0.id) }
            #expect(closed.allSatisfy { $0.state == .closed && $0.closedBy == "Test Cardiologist" })
            #expect(closed.first?.closeComment?.contains("medication changed; furosemide") == true)
            await #expect(throws: StoreError.self) {  // answered once
                try await cardiologist.answer(
                    escalationID: escalation.id, decision: .noChange, medicationChange: nil, comment: nil,
                    nextReview: nil, settings: [])
            }
            let actions = try store.auditLog(patientID: "P-RED").map(\.action)
            #expect(actions.suffix(3) == [.thresholdChanged, .thresholdChanged, .escalationAnswered])
            // The new dry weight is drawn on the chart and listed with who set it.
            let overview = try await cardiologist.overview(patientID: "P-RED")
            #expect(overview.dryWeight == 80.0)
            #expect(overview.thresholds.map(\.what).contains("systolic-range.yellowBelow = 95.0"))
            #expect(overview.limits[.systolic]?.contains { $0.value == 95 && $0.label == "yellow*" } == true)
        }
    }
}

@Suite struct ConsoleCalendarTests {
    @Test(
        "ISO weeks: Monday starts the week, week 1 holds the first Thursday",
        arguments: [
            ("2026-11-20", "2026-W47"), ("2026-11-16", "2026-W47"), ("2026-11-22", "2026-W47"),
            ("2026-11-23", "2026-W48"), ("2021-01-03", "2020-W53"), ("2026-12-31", "2026-W53"),
            ("2027-01-04", "2027-W01"), ("2024-12-30", "2025-W01"),
        ])
    func isoWeek(date: String, week: String) throws {
        let day = LocalDay(try Date(date + "T12:00:00Z", strategy: .iso8601), in: TimeZone(identifier: "UTC")!)
        #expect(ISOWeek(containing: day).description == week)
        #expect(ISOWeek(week)?.days.contains(day) == true)
    }

    @Test("a week the year does not have is refused", arguments: ["2026-W54", "2025-W53", "2026-47", "W47", ""])
    func badWeek(text: String) {
        #expect(ISOWeek(text) == nil)
    }

    @Test(
        "flag headlines say it in a few words",
        arguments: [
            (
                "weight +2.5 kg in 3 days: 80.1 kg (17 Nov) → 82.6 kg (20 Nov); red above +2.0 kg in 3 days",
                "weight +2.5 kg in 3 days"
            ),
            ("systolic BP 78 mmHg on 20 Nov is below the red limit 80 mmHg", "systolic BP 78 mmHg < red 80 mmHg"),
            ("pulse 104 bpm on 3 Nov is above the yellow limit 100 bpm", "pulse 104 bpm > 100 bpm"),
            (
                "no weight since 12 Nov (8 days); the plan (after the daily phase) allows at most 7 days without one",
                "no weight since 12 Nov"
            ),
        ])
    func headline(explanation: String, headline: String) {
        #expect(FlagHeadline.of(explanation) == headline)
    }
}
