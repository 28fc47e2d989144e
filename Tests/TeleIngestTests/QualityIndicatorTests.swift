import FollowUp
import Foundation
import MonitoringRecords
import StoreInterface
import Testing
import ThresholdRules

@testable import TeleIngest

/// `nurse-console indicators`: the programme's quality indicators on a store whose answers are
/// known (docs/INDICATORS.md has the formulas).
@Suite struct QualityIndicatorTests {
    static func at(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    /// The console fixture (four patients monitored since 11 October, readings to Friday 20
    /// November 10:00, when every flag opened), then, on known times:
    /// * Friday 10:30 a phone note for P-YELLOW, 11:00 her flag acknowledged (an action);
    /// * Friday 12:00 P-QUIET's missing-data flag acknowledged, no contact (no action);
    /// * Friday 13:00 P-RED escalated (3 hours after her red flag opened), reviewed for W47;
    /// * Monday 23 November 09:00 the cardiologist answers (68 hours);
    /// * Tuesday 24 November 08:00 P-STABLE's monitoring ends, completed.
    static func store(in directory: URL) async throws -> MonitoringStore {
        let store = try ConsoleFixture.store(in: directory)
        func nurse(_ time: String) throws -> FollowUpSession {
            try ConsoleFixture.session(store, now: at(time))
        }
        let flags = try store.flags()
        let yellow = try #require(flags.first { $0.patientID == "P-YELLOW" })
        let quiet = try #require(flags.first { $0.patientID == "P-QUIET" })
        try await nurse("2026-11-20T10:30:00+01:00").note(
            patientID: "P-YELLOW", contact: .phone, text: "Called: dizzy.")
        try await nurse("2026-11-20T11:00:00+01:00").acknowledge(flagID: yellow.id, comment: "Called, BP rechecked")
        try await nurse("2026-11-20T12:00:00+01:00").acknowledge(flagID: quiet.id, comment: "Seen")
        let escalation = try await nurse("2026-11-20T13:00:00+01:00").escalate(
            patientID: "P-RED", brief: EscalationBrief(reason: "Weight up.")
        ).escalation
        try await nurse("2026-11-20T13:05:00+01:00").review(patientID: "P-RED")
        _ = try await ConsoleFixture.session(
            store, as: ConsoleFixture.cardiologist, now: at("2026-11-23T09:00:00+01:00")
        )
        .answer(
            escalationID: escalation.id, decision: .noChange, medicationChange: nil, comment: nil, nextReview: nil,
            settings: [])
        _ = try await nurse("2026-11-24T08:00:00+01:00").endMonitoring(
            patientID: "P-STABLE", reason: .completed, comment: "Course completed")
        return store
    }

    @Test("November, counted on Tuesday 24th: every indicator with its known answer")
    func knownAnswers() async throws {
        try await withTemporaryDirectory { directory in
            let store = try await Self.store(in: directory)
            #expect(try store.flags().filter { $0.severity == .red }.count == 1, "the fixture's one red flag")
            let session = try ConsoleFixture.session(store, now: Self.at("2026-11-24T12:00:00+01:00"))
            let result = try await session.indicators(period: try #require(IndicatorPeriod("2026-11")), team: nil)

            #expect(result.firstDay == "2026-11-01" && result.lastDay == "2026-11-24")
            #expect(result.patients == 4)
            #expect(result.patientDays == 4 * 24)
            // Weeks W44 (1 November only) to W47; W48 is still running. After the daily phase the
            // plan asks for one weighing a week: three patients weighed every week, P-QUIET stopped
            // after 8 November.
            #expect(result.weighingDaysAgainstPlan == .init(14, of: 16))
            #expect(result.weeksMeetingPlan == .init(14, of: 16))
            #expect(result.redFlagsOpened == 1)
            #expect(result.redFlagResponse.count == 1 && result.redFlagResponse.medianHours == 3)
            #expect(result.redFlagResponse.p90Hours == 3)
            #expect(result.redFlagsWithinOneWorkingDay == .init(1, of: 1))
            #expect(result.redFlagsWithoutAction == 0)
            #expect(result.patientWeeksReviewed == .init(1, of: 16))
            #expect(result.weeklyReviews.map(\.week) == ["2026-W44", "2026-W45", "2026-W46", "2026-W47"])
            #expect(result.escalations == 1)
            #expect(abs((result.escalationsPer100PatientWeeks ?? 0) - 100.0 / (96.0 / 7)) < 1e-9)
            #expect(result.hotlineAnswer.medianHours == 68 && result.escalationsUnanswered == 0)
            // Closed by people: P-YELLOW's (after a phone call), P-QUIET's (no contact), P-RED's
            // (escalated); only P-QUIET's with no action.
            #expect(result.flagsClosedWithNoAction == .init(1, of: 3))
            #expect(result.flagsWithdrawn == 0)
            #expect(result.patientsStarted == 0 && result.patientsEnded == ["completed": 1])

            let audit = try store.auditLog().filter { $0.action == .indicatorsViewed }
            #expect(audit.count == 1 && audit.first?.detail.contains("2026-11: 4 patients") == true)
        }
    }

    @Test("a nurse of one team gets her team's figures and is refused another team's")
    func caseload() async throws {
        try await withTemporaryDirectory { directory in
            let store = try await Self.store(in: directory)
            try store.addTeam(Team(id: "north", name: "Home care North"))
            try store.addTeam(Team(id: "south", name: "Home care South"))
            for id: PatientID in ["P-RED", "P-YELLOW"] { try store.assignTeam(patientID: id, team: "north") }
            for id: PatientID in ["P-QUIET", "P-STABLE"] { try store.assignTeam(patientID: id, team: "south") }
            var north = ConsoleFixture.nurse
            north.teams = ["north"]
            let session = try ConsoleFixture.session(store, as: north, now: Self.at("2026-11-24T12:00:00+01:00"))
            let period = try #require(IndicatorPeriod("2026-11"))
            let mine = try await session.indicators(period: period, team: nil)
            #expect(mine.patients == 2 && mine.redFlagsOpened == 1 && mine.flagsClosedWithNoAction.numerator == 0)
            await #expect(throws: (any Error).self) { try await session.indicators(period: period, team: "south") }
            #expect(try store.auditLog().contains { $0.action == .refused && $0.detail.contains("team south") })
        }
    }

    @Test(
        "periods by quarter, month or year",
        arguments: [
            ("2026-Q4", "2026-10-01", "2026-12-31"), ("2026-Q1", "2026-01-01", "2026-03-31"),
            ("2028-02", "2028-02-01", "2028-02-29"), ("2026", "2026-01-01", "2026-12-31"),
        ])
    func periods(text: String, first: String, last: String) throws {
        let period = try #require(IndicatorPeriod(text))
        #expect(period.firstDay.description == first && period.lastDay.description == last)
    }

    @Test("what is not a period is refused", arguments: ["2026-Q5", "2026-13", "26-Q1", "Q4", "2026-W47", ""])
    func notPeriods(text: String) {
        #expect(IndicatorPeriod(text) == nil)
    }

    @Test("nurse-console indicators prints the table, JSON and CSV")
    func commandLine() async throws {
        try await withTemporaryDirectory { directory in
            _ = try await Self.store(in: directory)
            let db = directory.appendingPathComponent("console.sqlite").path
            let now = Self.at("2026-11-24T12:00:00+01:00")
            func console(_ extra: [String]) throws -> String {
                let (status, output) = try nurseConsole(
                    ["indicators", "--period", "2026-11", "--db", db, "--user", "Test Nurse", "--role", "nurse"]
                        + extra,
                    in: directory, now: now)
                #expect(status == 0, "\(output)")
                return output
            }
            let table = try console([])
            #expect(table.contains("Quality indicators 2026-11 (2026-11-01 to 2026-11-24): 4 patients"))
            #expect(table.contains("red flag to action, median") && table.contains("3.0 h"))
            let json = try JSONSerialization.jsonObject(with: Data(try console(["--json"]).utf8)) as? [String: Any]
            #expect(json?["escalations"] as? Int == 1)
            let csv = try console(["--csv"]).split(separator: "\n")
            #expect(csv.first == "indicator,value,numerator,denominator,unit")
            #expect(csv.contains("patient-weeks meeting the plan,87.5,14,16,%"))
            let (status, output) = try nurseConsole(
                ["indicators", "--period", "2026-Q5", "--db", db, "--user", "Test Nurse", "--role", "nurse"],
                in: directory, now: now)
            #expect(status != 0 && output.contains("--period expects 2026-Q4, 2026-11 or 2026, found '2026-Q5'"))
        }
    }
}
