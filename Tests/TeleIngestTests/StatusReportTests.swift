import FollowUp
import Foundation
import MonitoringRecords
import ReadingIntake
import StoreInterface
import Testing
import ThresholdRules
import Vitals

@testable import TeleIngest

/// `nurse-console report`: the status for the GP, written as HTML and printed to PDF by a real
/// headless Chromium, read back with pdftotext (docs/CONSOLE.md).
@Suite struct StatusReportTests {
    /// The console fixture's red patient after an escalation answered with a medication change,
    /// with the yellow patient's flag acknowledged: a store file in `directory`.
    static func store(in directory: URL) async throws -> MonitoringStore {
        let store = try ConsoleFixture.store(in: directory)
        let nurse = try ConsoleFixture.session(store)
        let escalation = try await nurse.escalate(
            patientID: "P-RED", brief: EscalationBrief(reason: "Weight up 2.6 kg in 3 days, breathless.")
        )
        .escalation
        _ = try await ConsoleFixture.session(store, as: ConsoleFixture.cardiologist).answer(
            escalationID: escalation.id, decision: .medicationChanged,
            medicationChange: "furosemide 40 mg → 80 mg for 3 days", comment: "Weigh daily this week.",
            nextReview: "2026-11-27", settings: [])
        return store
    }

    func report(_ arguments: [String], in directory: URL) throws -> String {
        let (status, output) = try nurseConsole(
            ["report"] + arguments + [
                "--db", directory.appendingPathComponent("console.sqlite").path, "--user", "Test Nurse", "--role",
                "nurse", "--rules", Paths.packageRoot.appendingPathComponent("rules/heart-failure-guideline.yaml").path,
            ], in: directory, now: ConsoleFixture.friday)
        #expect(status == 0, "nurse-console report \(arguments.joined(separator: " ")):\n\(output)")
        return output
    }

    @Test(
        "the PDF a GP reads: patient, period, three charts, flags and what was done, the hotline's answer, medication, adherence, remark"
    )
    func pdf() async throws {
        try await withTemporaryDirectory { directory in
            let store = try await Self.store(in: directory)
            let pdf = directory.appendingPathComponent("report.pdf")
            _ = try report(
                [
                    "P-RED", "--from", "2026-10-22", "--to", "2026-11-20", "--out", pdf.path, "--remark",
                    "Course completed; weight back to 80 kg on the new dose.",
                ], in: directory)
            let attributes = try FileManager.default.attributesOfItem(atPath: pdf.path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)

            // Reading order, whitespace collapsed: a table cell may wrap anywhere.
            let text = try Self.tool("pdftotext", [pdf.path, "-"]).split(whereSeparator: \.isWhitespace)
                .joined(separator: " ")
            for expected in [
                "Heart-failure home monitoring: status for the GP", "Test Patient Red", "CPR 000150-1001",
                "Period 2026-10-22 to 2026-11-20 (30 days)", "Weight", "Blood pressure", "Pulse",
                "Flags and what was done", "weight +2.6 kg in 3 days",
                "Weight up 2.6 kg in 3 days, breathless.", "medication changed (Test Cardiologist",
                "furosemide 40 mg → 80 mg for 3 days", "next review 2026-11-27",
                "Course completed; weight back to 80 kg on the new dose.", "Prepared by Test Nurse on 2026-11-20",
            ] {
                #expect(text.contains(expected), "missing in the PDF: \(expected)")
            }
            // The charts' own text (axis dates, limit labels) is in the PDF: they were drawn.
            #expect(text.contains("red 110") || text.contains("red 100") || text.contains("sys red"), "\(text)")
            let pages = try Self.tool("pdfinfo", [pdf.path]).split(separator: "\n").first { $0.hasPrefix("Pages:") }
            let count = Int(pages?.split(separator: " ").last ?? "") ?? 0
            #expect((1...2).contains(count), "a GP reads one or two pages, not \(count)")

            let audit = try store.auditLog(patientID: "P-RED").filter { $0.action == .reportWritten }
            #expect(audit.map(\.user) == ["Test Nurse"])
        }
    }

    @Test("the HTML page: one chart per measurement, a point per measured day, the limits in force drawn")
    func html() async throws {
        try await withTemporaryDirectory { directory in
            let store = try await Self.store(in: directory)
            let page = directory.appendingPathComponent("report.html")
            _ = try report(["P-RED", "--from", "2026-10-22", "--to", "2026-11-20", "--out", page.path], in: directory)
            let html = try String(contentsOf: page, encoding: .utf8)
            let charts = html.matches(of: /<svg class="chart" data-kind="([a-z-]+)"/).map { String($0.output.1) }
            #expect(charts == ["weight", "blood-pressure", "pulse"])

            let zone = ConsoleFixture.zone
            let first = try #require(LocalDay(iso: "2026-10-22"))
            let last = try #require(LocalDay(iso: "2026-11-20"))
            func measuredDays(_ kind: String) throws -> Int {
                Set(
                    try store.readings(patientID: "P-RED").filter { $0.kind.rawValue == kind }
                        .map { LocalDay($0.measuredAt, in: zone) }.filter { $0 >= first && $0 <= last }
                ).count
            }
            for (series, kind) in [
                ("weight", "weight"), ("systolic", "systolic"), ("diastolic", "diastolic"), ("pulse", "pulse"),
            ] {
                let points = try #require(
                    html.firstMatch(of: try Regex(#"data-series="\#(series)" stroke="[^"]+" points="([^"]*)""#)))
                let drawn = (points.output[1].substring ?? "").split(separator: " ").count
                #expect(drawn == (try measuredDays(kind)), "\(series)")
                #expect(drawn > 20)
            }
            // The guideline set's limits nearest the values are drawn as dashed lines (systolic 104–118
            // between yellow 90 and 160); the others are named beside the chart.
            #expect(html.contains(#"<text class="limit yellow" x="600.0" y="#))
            #expect(html.contains(">sys yellow 90</text>") && html.contains(">sys yellow 160</text>"))
            #expect(html.contains("Other limits in force: sys red 80, sys red 170"))
            #expect(!html.contains("<script"), "nothing runs and nothing is fetched")
            #expect(
                !html.contains("http://")
                    || html.components(separatedBy: "http://").dropFirst().allSatisfy {
                        $0.hasPrefix("www.w3.org/2000/svg")
                    })
        }
    }

    @Test("--out must say html or pdf; an unknown patient is refused with a clear error")
    func refusals() async throws {
        try await withTemporaryDirectory { directory in
            _ = try await Self.store(in: directory)
            let db = directory.appendingPathComponent("console.sqlite").path
            var (status, output) = try nurseConsole(
                ["report", "P-RED", "--out", "report.docx", "--db", db, "--user", "Test Nurse", "--role", "nurse"],
                in: directory, now: ConsoleFixture.friday)
            #expect(status != 0 && output.contains("--out must end in .html or .pdf"), "\(output)")
            (status, output) = try nurseConsole(
                ["report", "P-NOBODY", "--out", "r.html", "--db", db, "--user", "Test Nurse", "--role", "nurse"],
                in: directory, now: ConsoleFixture.friday)
            #expect(status != 0 && output.contains("no patient with id 'P-NOBODY'"), "\(output)")
        }
    }

    /// Runs a poppler tool and returns what it printed.
    static func tool(_ name: String, _ arguments: [String]) throws -> String {
        let (status, output) = try toolOutput(URL(fileURLWithPath: "/usr/bin/\(name)"), arguments)
        #expect(status == 0, "\(name) \(arguments.joined(separator: " "))")
        return output
    }
}
