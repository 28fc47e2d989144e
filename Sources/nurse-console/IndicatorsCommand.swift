import ArgumentParser
import FollowUp
import Foundation
import TerminalUI
import ThresholdRules

/// `nurse-console indicators`: the programme's quality indicators (docs/INDICATORS.md).
struct IndicatorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "indicators",
        abstract: "Quality indicators over a period: adherence, red-flag response, reviews, escalations, alert burden.",
        discussion: "Each indicator's formula: docs/INDICATORS.md. Audited as indicators.view.")

    @OptionGroup var options: ConsoleOptions
    @Option(help: "2026-Q4, 2026-11 or 2026 (default: this quarter, up to today).") var period: String?
    @Option(help: "Only this team's patients (default: every patient in your caseload).") var team: String?
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Print CSV: indicator, value, numerator, denominator, unit.") var csv = false

    func run() async throws {
        if json && csv { throw ValidationError("--json and --csv: choose one") }
        let requested = try period.map { text in
            guard let period = IndicatorPeriod(text) else {
                throw ValidationError("--period expects 2026-Q4, 2026-11 or 2026, found '\(text)'")
            }
            return period
        }
        let indicators = try await options.withSession { session in
            let period = requested ?? IndicatorPeriod.quarter(containing: LocalDay(session.now(), in: session.timeZone))
            return try await session.indicators(period: period, team: team)
        }
        if json { return try Output.json(indicators) }
        let rows = Self.rows(indicators)
        if csv {
            print("indicator,value,numerator,denominator,unit")
            for row in rows {
                print(
                    [row.name, row.value, row.numerator, row.denominator, row.unit].map(Self.csvField).joined(
                        separator: ","))
            }
            return
        }
        print(
            "Quality indicators \(indicators.period) (\(indicators.firstDay) to \(indicators.lastDay))"
                + (indicators.team.map { ", team \($0)" } ?? "")
                + ": \(indicators.patients) patients, \(Self.number(indicators.patientWeeks)) patient-weeks")
        Output.table(
            ["INDICATOR", "VALUE", "OF"],
            rows.map { row in
                [
                    row.name,
                    row.value.isEmpty
                        ? "-" : row.value + (row.unit == "%" ? " %" : row.unit.isEmpty ? "" : " " + row.unit),
                    row.denominator.isEmpty ? "" : "\(row.numerator) of \(row.denominator)",
                ]
            })
    }

    struct Row {
        var name: String
        var value: String
        var numerator = ""
        var denominator = ""
        var unit = ""
    }

    static func rows(_ indicators: QualityIndicators) -> [Row] {
        func share(_ name: String, _ share: QualityIndicators.Share) -> Row {
            Row(
                name: name, value: share.value.map { number($0 * 100) } ?? "", numerator: "\(share.numerator)",
                denominator: "\(share.denominator)", unit: "%")
        }
        func hours(_ name: String, _ value: Double?) -> Row {
            Row(name: name, value: value.map(number) ?? "", unit: "h")
        }
        func count(_ name: String, _ value: Int) -> Row { Row(name: name, value: "\(value)") }
        var rows = [
            share("weighing days against the plan", indicators.weighingDaysAgainstPlan),
            share("patient-weeks meeting the plan", indicators.weeksMeetingPlan),
            count("red flags opened", indicators.redFlagsOpened),
            hours("red flag to action, median", indicators.redFlagResponse.medianHours),
            hours("red flag to action, 90th percentile", indicators.redFlagResponse.p90Hours),
            share("red flags acted on within one working day", indicators.redFlagsWithinOneWorkingDay),
            count("red flags without action", indicators.redFlagsWithoutAction),
            share("patient-weeks reviewed", indicators.patientWeeksReviewed),
            count("escalations", indicators.escalations),
            Row(
                name: "escalations per 100 patient-weeks",
                value: indicators.escalationsPer100PatientWeeks.map(number) ?? ""),
            hours("hotline answer, median", indicators.hotlineAnswer.medianHours),
            hours("hotline answer, 90th percentile", indicators.hotlineAnswer.p90Hours),
            count("escalations unanswered", indicators.escalationsUnanswered),
            share("flags closed with no action", indicators.flagsClosedWithNoAction),
            Row(
                name: "flags closed with no action per 100 patient-weeks",
                value: indicators.flagsClosedWithNoActionPer100PatientWeeks.map(number) ?? ""),
            count("flags withdrawn by the rules", indicators.flagsWithdrawn),
            count("patients started", indicators.patientsStarted),
        ]
        for (reason, ended) in indicators.patientsEnded.sorted(by: { $0.key < $1.key }) {
            rows.append(count("patients ended: \(reason)", ended))
        }
        return rows
    }

    static func number(_ value: Double) -> String { String(format: "%.1f", value) }

    static func csvField(_ text: String) -> String {
        text.contains(",") || text.contains("\"")
            ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
