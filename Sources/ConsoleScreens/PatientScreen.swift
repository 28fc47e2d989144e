import FollowUp
import Foundation
import MonitoringRecords
import ReadingIntake
import StoreInterface
import TerminalUI
import ThresholdRules
import Vitals

/// The patient view as a page: open flags with their explanations first, then the charts of
/// the last 30 days (weight with the dry weight and limits, blood pressure, pulse), the
/// readings, notes, thresholds in force and who set them, escalations, devices, closed flags.
public struct PatientScreen {
    public var overview: PatientOverview
    public var glyphs: Glyphs

    public init(overview: PatientOverview, glyphs: Glyphs) {
        self.overview = overview
        self.glyphs = glyphs
    }

    /// The title bar text: the one place the full CPR number is shown.
    public var title: String {
        let patient = overview.record.patient
        let start = LocalDay(patient.monitoringStart, in: overview.zone)
        if let end = patient.monitoringEnd {
            let days = start.days(to: LocalDay(end.endedAt, in: overview.zone)) + 1
            return
                " \(patient.name) · CPR \(patient.cpr ?? "not recorded") · id \(patient.id) · monitoring ended after \(days) days (\(end.reason.rawValue))"
        }
        let day = start.days(to: overview.today) + 1
        return " \(patient.name) · CPR \(patient.cpr ?? "not recorded") · id \(patient.id) · day \(day) of monitoring"
    }

    /// The page for a screen `width` wide and `height` high (charts grow with the height).
    public func document(width: Int, height: Int) -> Document {
        var page = Document()
        let zone = overview.zone
        let record = overview.record
        let chartHeight = height >= 40 ? 7 : 4

        if let end = record.patient.monitoringEnd {
            page.heading("MONITORING ENDED")
            page.wrapped(
                "\(end.summary)\(end.comment.map { ": \($0)" } ?? ""). The record is read-only; nurse-console reopen \(record.patient.id) reopens it.",
                width: width - 1, indent: 1, first: " ")
        }
        let open = overview.openFlags
        page.heading(open.isEmpty ? "OPEN FLAGS: none" : "OPEN FLAGS (\(open.count))")
        for flag in open {
            let waiting = LocalDay(flag.openedAt, in: zone).days(to: overview.today)
            let state = flag.state == .escalated ? ", escalated" : ""
            let label = " \(flag.severity.rawValue.uppercased()) "
            let heading =
                "#\(flag.id) \(overview.title(ofRule: flag.ruleID)) (opened \(LocalDay(flag.openedAt, in: zone).short), waiting \(waiting) day\(waiting == 1 ? "" : "s")\(state))"
            page.add([
                .init(text: label, style: flagStyle(flag.severity)),
                .init(text: " " + heading.fitted(width - label.count - 1, ellipsis: glyphs.ellipsis), style: .bold),
            ])
            page.wrapped(flag.explanation, width: width - 1, indent: 7, first: "       ")
            for other in flag.alsoSeenBy {
                page.wrapped(
                    "also \(overview.title(ofRule: other.ruleID)): \(other.explanation)", width: width - 1, indent: 9,
                    first: "       ")
            }
            if let back = flag.backInRangeAt {
                page.add("       back in range since \(LocalDay(back, in: zone).short)", .dim)
            }
        }
        if let pending = overview.pendingEscalation {
            page.add(
                " Escalation #\(pending.id) sent \(LocalDay(pending.escalatedAt, in: zone).short) by \(pending.escalatedBy): waiting for the hotline's answer.",
                Style(colour: .cyan, bold: true))
        }

        chart(
            &page, title: "WEIGHT (kg), last \(overview.chartDays) days", kinds: [.weight], width: width,
            height: chartHeight, decimals: 1)
        chart(
            &page, title: "SYSTOLIC BLOOD PRESSURE (mmHg)", kinds: [.systolic], width: width, height: chartHeight,
            decimals: 0)
        chart(
            &page, title: "DIASTOLIC BLOOD PRESSURE (mmHg)", kinds: [.diastolic], width: width, height: chartHeight,
            decimals: 0)
        chart(&page, title: "PULSE (beats/min)", kinds: [.pulse], width: width, height: chartHeight, decimals: 0)

        page.heading(
            "ADHERENCE: weighed on \(overview.adherence.measuredDays) of \(overview.adherence.elapsedDays) days this week\(overview.adherence.meetsPlan ? "" : " — below the plan")"
        )
        page.add("  plan: \(overview.measurementPlan.text)", .dim)
        if !overview.record.reminders.isEmpty {
            let sent = overview.record.reminders.prefix(5).map { "\($0.measurement.displayName) on \($0.due)" }
            page.add("  reminded to measure: \(sent.joined(separator: ", "))")
        }

        page.heading("READINGS, newest first")
        page.add("  date     time   weight     BP        pulse", .dim)
        for row in readingRows().prefix(height >= 40 ? 14 : 8) { page.add(row) }

        page.heading("NOTES AND CONTACTS")
        if record.notes.isEmpty { page.add("  none yet", .dim) }
        for note in record.notes.prefix(6) {
            page.wrapped(
                note.text, width: width - 1, indent: 4,
                first: "  \(LocalDay(note.writtenAt, in: zone).short) \(note.contact.rawValue), \(note.writtenBy): ")
        }

        page.heading("PERSONAL THRESHOLDS IN FORCE")
        if overview.thresholds.isEmpty { page.add("  none: the rule set's defaults apply", .dim) }
        for threshold in overview.thresholds {
            page.wrapped(
                "\(threshold.what) — set by \(threshold.setBy) on \(LocalDay(threshold.setAt, in: zone).short): \(threshold.reason)",
                width: width - 1, indent: 4, first: "  ")
        }
        if !overview.limitProposals.isEmpty {
            page.heading("PROPOSED FROM THE PATIENT'S OWN READINGS (a cardiologist decides)")
            for proposal in overview.limitProposals {
                page.add("  \(proposal.change)")
                page.wrapped(proposal.basis, width: width - 1, indent: 4, .dim, first: "    ")
                page.add("    accept: nurse-console limit \(record.patient.id) \(proposal.setting)", .dim)
            }
        }

        page.heading("ESCALATIONS")
        if record.escalations.isEmpty { page.add("  none", .dim) }
        for escalation in record.escalations.prefix(5) {
            let answer =
                escalation.answer.map {
                    "answered by \($0.answeredBy) \(LocalDay($0.answeredAt, in: zone).short): \($0.decision.words)"
                        + ($0.medicationChange.map { "; \($0)" } ?? "")
                        + ($0.nextReview.map { "; next review \($0)" } ?? "")
                } ?? "waiting for the answer"
            page.wrapped(
                "\(escalation.reason) — \(answer)", width: width - 1, indent: 4,
                first:
                    "  #\(escalation.id) \(LocalDay(escalation.escalatedAt, in: zone).short) by \(escalation.escalatedBy): "
            )
        }

        page.heading("DEVICES")
        if record.pairings.isEmpty { page.add("  no device paired", .dim) }
        for pairing in record.pairings {
            page.add(
                "  \(pairing.serial)  from \(LocalDay(pairing.validFrom, in: zone))"
                    + (pairing.validTo.map { " to \(LocalDay($0, in: zone))" } ?? " (in use)"))
        }

        let closed = overview.recentFlags
        page.heading("CLOSED FLAGS, last 30 days")
        if closed.isEmpty { page.add("  none", .dim) }
        for flag in closed.prefix(8) {
            let how =
                flag.state == .withdrawn
                ? "withdrawn"
                : "closed by \(flag.closedBy ?? "?")" + (flag.closeComment.map { ": \($0)" } ?? "")
            page.wrapped(
                "\(FlagHeadline.of(flag.explanation)) — \(how)", width: width - 1, indent: 4,
                first: "  #\(flag.id) \(flag.severity.rawValue) \(LocalDay(flag.openedAt, in: zone).short): ")
        }
        return page
    }

    func flagStyle(_ severity: Severity) -> Style {
        severity == .red
            ? Style(colour: .red, bold: true, inverse: true) : Style(colour: .yellow, bold: true, inverse: true)
    }

    /// A chart with its value axis on the left, limit labels on the right and the first and
    /// last day underneath.
    func chart(
        _ page: inout Document, title: String, kinds: [ReadingKind], width: Int, height: Int, decimals: Int
    ) {
        let days = overview.chartDays
        let first = overview.today.adding(days: -(days - 1))
        let series = kinds.map { kind -> [Double?] in
            var slots = [Double?](repeating: nil, count: days)
            for point in overview.daily[kind] ?? [] { slots[first.days(to: point.day)] = point.value }
            return slots
        }
        let limits = kinds.flatMap { overview.limits[$0] ?? [] }
        let values = series.flatMap { $0.compactMap { $0 } }
        // Limits near the data only: a 170 mmHg line squashes a 100–130 mmHg series flat.
        guard let low = values.min(), let high = values.max() else {
            page.heading(title)
            page.add("  no readings in the last \(days) days", .dim)
            return
        }
        let pad = max((high - low) * 0.5, kinds.first == .weight ? 1.5 : 15)
        let shown = limits.filter { $0.value >= low - pad && $0.value <= high + pad }
        var legend = shown.sorted { $0.value > $1.value }.map {
            "\($0.label) \(Quantity.format($0.value, decimals: decimals))"
        }
        if legend.isEmpty {
            legend = [
                kinds.first == .weight && overview.dryWeight == nil
                    ? "none drawn: no dry weight set" : "none near the readings"
            ]
        }
        page.heading(title)
        page.add(
            "  limits: " + legend.joined(separator: " · ")
                + (legend.contains { $0.contains("*") } ? "  (* personal)" : ""),
            .dim)
        let axis = 6
        let plotWidth = max(10, width - axis - 2)
        let chart = DotChart(
            series: series,
            lines: shown.enumerated().map { DotChart.Line(value: $0.element.value, tag: $0.offset) },
            width: plotWidth, height: height, braille: glyphs.braille, minimumSpan: kinds.first == .weight ? 2 : 20)
        for (row, cells) in chart.cells().enumerated() {
            var spans: [Document.Span] = [
                .init(
                    text: Quantity.format(chart.value(atRow: row), decimals: decimals).leftPadded(axis - 1) + " ",
                    style: .dim)
            ]
            for cell in cells {
                let style: Style =
                    cell.data
                    ? .bold
                    : cell.line.map {
                        shown[$0].severity == .red
                            ? Style(colour: .red)
                            : shown[$0].severity == .yellow ? Style(colour: .yellow) : Style(colour: .cyan)
                    } ?? .plain
                spans.append(.init(text: String(cell.character), style: style))
            }
            page.add(spans)
        }
        let start = first.short
        let end = overview.today.short
        page.add(
            String(repeating: " ", count: axis) + start
                + String(repeating: " ", count: max(1, plotWidth - start.count - end.count)) + end,
            .dim)
    }

    /// One line per measurement time: weight, BP and pulse side by side.
    func readingRows() -> [String] {
        var byTime: [Date: [ReadingKind: Double]] = [:]
        for reading in overview.record.readings {
            byTime[reading.measuredAt, default: [:]][reading.kind] = reading.value
        }
        return byTime.keys.sorted(by: >).map { time in
            let values = byTime[time]!
            let day = LocalDay(time, in: overview.zone)
            let minute = Int(time.timeIntervalSince(day.start(in: overview.zone)) / 60)
            let weight = values[.weight].map { Quantity.format($0, decimals: 1) + " kg" } ?? ""
            let bp =
                values[.systolic].map {
                    "\(Int($0.rounded()))/\(values[.diastolic].map { String(Int($0.rounded())) } ?? "-")"
                } ?? ""
            let pulse = values[.pulse].map { "\(Int($0.rounded())) /min" } ?? ""
            return "  " + day.short.padded(7) + String(format: "%02d:%02d  ", minute / 60, minute % 60)
                + weight.padded(11) + bp.padded(10) + pulse
        }
    }
}
