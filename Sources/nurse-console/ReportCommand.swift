import ArgumentParser
import FollowUp
import Foundation
import GPStatusReport
import MonitoringRecords
import StoreInterface
import TerminalUI
import ThresholdRules

/// `nurse-console report P-17 --out report.pdf`: the status for the patient's GP.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write the status report for the patient's GP: HTML, or PDF through headless Chromium.",
        discussion: """
            One or two pages: the period, charts of weight, blood pressure and pulse with the limits \
            in force, flags and what was done, escalations and the cardiologist's answers, medication \
            changes, adherence and your remark. Audited. The file is created mode 0600: it holds the \
            CPR number. docs/CONSOLE.md.
            """)

    @OptionGroup var options: ConsoleOptions
    @Argument(help: "Patient id.") var id: PatientID
    @Option(help: "First day, YYYY-MM-DD in the patient's time zone (default: the start of monitoring).")
    var from: String?
    @Option(help: "Last day, YYYY-MM-DD (default: the day monitoring ended, or today).") var to: String?
    @Option(help: "Your closing remark (default: the end of monitoring's comment).") var remark: String?
    @Option(help: "The file to write: report.html or report.pdf.") var out: String
    @Option(help: "The browser that renders the PDF (default: chromium on the PATH).") var chromium: String?

    func run() async throws {
        let format = try OutputFormat(path: out)
        let firstDay = try from.map { try Self.day($0, option: "--from") }
        let lastDay = try to.map { try Self.day($0, option: "--to") }
        if let firstDay, let lastDay, lastDay < firstDay {
            throw ValidationError("--to \(lastDay) is before --from \(firstDay)")
        }
        let html = try await options.withSession { session in
            let now = session.now()
            // From a day early: the patient's zone is known once the record is read.
            let since = firstDay.map { $0.adding(days: -1).start(in: session.timeZone) } ?? .distantPast
            let record = try await session.reportRecord(
                patientID: id, from: since, to: lastDay.map { $0.adding(days: 2).start(in: session.timeZone) } ?? now)
            let report = StatusReport(
                record: record, ruleSet: session.ruleSet, firstDay: firstDay, lastDay: lastDay, now: now,
                defaultZone: session.timeZone, preparedBy: session.clinician.name, remark: remark)
            return report.html
        }
        let destination = URL(fileURLWithPath: out)
        switch format {
        case .html:
            try Output.writePrivateFile(Data(html.utf8), to: destination)
        case .pdf:
            try await HeadlessChromium(executable: chromium).printPDF(html: html, to: destination)
        }
        print("wrote \(out)")
    }

    static func day(_ text: String, option: String) throws -> LocalDay {
        guard let day = LocalDay(iso: text) else {
            throw ValidationError("\(option) expects a day like 2026-11-20, found '\(text)'")
        }
        return day
    }

    enum OutputFormat {
        case html, pdf

        init(path: String) throws {
            switch URL(fileURLWithPath: path).pathExtension.lowercased() {
            case "html", "htm": self = .html
            case "pdf": self = .pdf
            default: throw ValidationError("--out must end in .html or .pdf, found '\(path)'")
            }
        }
    }
}

struct ReportError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
