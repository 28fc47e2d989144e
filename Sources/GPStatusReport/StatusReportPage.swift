import FollowUp
import Foundation
import MonitoringRecords
import StoreInterface
import ThresholdRules
import Vitals

/// Escapes text for HTML.
enum HTML {
    static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}

extension StatusReport {
    /// The report as one self-contained HTML page (A4, inline CSS and SVG, no scripts, nothing
    /// fetched), to save, print or turn into PDF with a browser.
    public var html: String {
        let e = HTML.escaped
        var body = ""
        let name = e(patient.name)
        let cpr = patient.cpr.map { " · CPR \(e($0))" } ?? ""
        body += "<header><h1>Heart-failure home monitoring: status for the GP</h1>"
        body += "<p class=\"patient\"><strong>\(name)</strong>\(cpr)</p>"
        var period = "Period \(firstDay) to \(lastDay) (\(firstDay.days(to: lastDay) + 1) days)"
        period += " · monitored since \(LocalDay(patient.monitoringStart, in: zone))"
        if let end = patient.monitoringEnd {
            period += " · monitoring ended \(LocalDay(end.endedAt, in: zone)) (\(e(end.reason.rawValue)))"
        }
        body += "<p class=\"period\">\(period)</p>"
        body +=
            "<p class=\"prepared\">Prepared by \(e(preparedBy)) on \(LocalDay(preparedAt, in: zone)) from the home-monitoring record.</p></header>"

        // In brief.
        body += "<section><h2>In brief</h2><ul>"
        if let (first, last) = weightChange {
            let change = last.value - first.value
            body +=
                "<li>Weight \(Quantity.format(first.value, decimals: 1)) kg (\(first.day.short)) → \(Quantity.format(last.value, decimals: 1)) kg (\(last.day.short)), \(change >= 0 ? "+" : "")\(Quantity.format(change, decimals: 1)) kg.</li>"
        }
        if let systolic = daily[.systolic]?.last, let diastolic = daily[.diastolic]?.last {
            body +=
                "<li>Latest blood pressure \(Quantity.format(systolic.value, decimals: 0))/\(Quantity.format(diastolic.value, decimals: 0)) mmHg (\(systolic.day.short)).</li>"
        }
        if let pulse = daily[.pulse]?.last {
            body += "<li>Latest pulse \(Quantity.format(pulse.value, decimals: 0)) /min (\(pulse.day.short)).</li>"
        }
        let red = flags.filter { $0.severity == .red }.count
        body +=
            "<li>\(flags.count) flag\(flags.count == 1 ? "" : "s") (\(red) red), \(escalations.count) escalation\(escalations.count == 1 ? "" : "s") to the heart-failure hotline, \(medicationChanges.count) medication change\(medicationChanges.count == 1 ? "" : "s").</li>"
        body +=
            "<li>Weighed on \(adherence.measuredDays) of \(adherence.elapsedDays) days; the plan (\(e(measurementPlan))) asked for \(adherence.plannedDays).</li>"
        let counts = ReadingKind.allCases.map { "\(readingCounts[$0] ?? 0) \($0.displayName)" }.joined(separator: ", ")
        body += "<li>Readings: \(e(counts)).</li></ul></section>"

        // Charts.
        body += "<section class=\"charts\"><h2>Measurements, with the limits in force on \(lastDay)</h2>"
        func labelled(_ lines: [PatientOverview.LimitLine]?, _ prefix: String) -> [PatientOverview.LimitLine] {
            (lines ?? []).map {
                var line = $0; line.label = prefix + line.label; return line
            }
        }
        let charts = [
            VitalSignChart(
                kind: "weight", title: "Weight", unit: "kg",
                series: [
                    .init(
                        label: "weight", colour: "#1f4e9c", points: daily[.weight] ?? [], limits: limits[.weight] ?? [])
                ], firstDay: firstDay, lastDay: lastDay),
            VitalSignChart(
                kind: "blood-pressure", title: "Blood pressure", unit: "mmHg",
                series: [
                    .init(
                        label: "systolic", colour: "#9c1f4e", points: daily[.systolic] ?? [],
                        limits: labelled(limits[.systolic], "sys ")),
                    .init(
                        label: "diastolic", colour: "#d9822b", points: daily[.diastolic] ?? [],
                        limits: labelled(limits[.diastolic], "dia ")),
                ], firstDay: firstDay, lastDay: lastDay),
            VitalSignChart(
                kind: "pulse", title: "Pulse", unit: "/min",
                series: [
                    .init(label: "pulse", colour: "#2b7a3d", points: daily[.pulse] ?? [], limits: limits[.pulse] ?? [])
                ],
                firstDay: firstDay, lastDay: lastDay),
        ]
        for chart in charts {
            let others = chart.otherLimits
            let caption =
                others.isEmpty
                ? "" : "<span class=\"others\">Other limits in force: \(e(others.joined(separator: ", ")))</span>"
            body += "<figure><figcaption>\(e(chart.title)) \(caption)</figcaption>\(chart.svg)</figure>"
        }
        body +=
            "<p class=\"note\">One value per day (the first). Dashed lines: red and yellow limits; * the patient's own, set by a cardiologist; dry: the dry weight.</p></section>"

        // Flags.
        body += "<section><h2>Flags and what was done</h2>"
        if flags.isEmpty {
            body += "<p>No flags in the period.</p>"
        } else {
            body +=
                "<table><colgroup><col style=\"width:11%\"><col style=\"width:9%\"><col style=\"width:32%\"><col style=\"width:48%\"></colgroup><thead><tr><th>Opened</th><th>Severity</th><th>What</th><th>Done</th></tr></thead><tbody>"
            for flag in flags {
                body +=
                    "<tr class=\"\(flag.severity.rawValue)\"><td>\(flag.opened.short)</td><td>\(flag.severity.rawValue)</td><td title=\"\(e(flag.explanation))\">\(e(flag.headline))</td><td>\(e(flag.outcome))</td></tr>"
            }
            body += "</tbody></table>"
        }
        body += "</section>"

        // Escalations.
        body += "<section><h2>Escalations to the heart-failure hotline</h2>"
        if escalations.isEmpty {
            body += "<p>None in the period.</p>"
        } else {
            body +=
                "<table><colgroup><col style=\"width:20%\"><col style=\"width:35%\"><col style=\"width:45%\"></colgroup><thead><tr><th>Sent</th><th>Why</th><th>The cardiologist's answer</th></tr></thead><tbody>"
            for escalation in escalations {
                var answer = "no answer yet"
                if let reply = escalation.answer {
                    answer =
                        "\(reply.decision.words) (\(reply.answeredBy), \(LocalDay(reply.answeredAt, in: zone).short))"
                    if let change = reply.medicationChange { answer += "; medication: \(change)" }
                    if let comment = reply.comment { answer += "; \(comment)" }
                    if let review = reply.nextReview { answer += "; next review \(review)" }
                }
                body +=
                    "<tr><td>\(LocalDay(escalation.escalatedAt, in: zone).short) by \(e(escalation.escalatedBy))</td><td>\(e(escalation.reason))</td><td>\(e(answer))</td></tr>"
            }
            body += "</tbody></table>"
        }
        body += "</section>"

        // Medication and thresholds.
        body += "<section><h2>Medication changes</h2>"
        if medicationChanges.isEmpty {
            body += "<p>No medication change was recorded through the hotline in the period.</p>"
        } else {
            body += "<ul>"
            for change in medicationChanges {
                body += "<li>\(change.day.short): \(e(change.change)) (\(e(change.by)))</li>"
            }
            body += "</ul>"
        }
        if !thresholds.isEmpty {
            body += "<h3>Personal thresholds in force</h3><ul>"
            for threshold in thresholds {
                body +=
                    "<li>\(e(threshold.what)), set by \(e(threshold.setBy)) on \(LocalDay(threshold.setAt, in: zone).short): \(e(threshold.reason))</li>"
            }
            body += "</ul>"
        }
        body += "</section>"

        body += "<section><h2>The nurse's remark</h2><p class=\"remark\">\(e(remark ?? "No remark."))</p></section>"

        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>Status for the GP: \(name), \(firstDay) to \(lastDay)</title>
            <style>\(Self.style)</style></head>
            <body>\(body)</body></html>

            """
    }

    static let style = """
        @page { size: A4; margin: 14mm 14mm 14mm 14mm; }
        body { font-family: "DejaVu Sans", sans-serif; font-size: 9.5pt; color: #111; margin: 0; }
        h1 { font-size: 14pt; margin: 0 0 4pt 0; }
        h2 { font-size: 11pt; margin: 10pt 0 3pt 0; border-bottom: 1px solid #999; }
        h3 { font-size: 10pt; margin: 6pt 0 2pt 0; }
        h2, h3, figcaption { break-after: avoid; }
        thead { display: table-header-group; }
        p, ul { margin: 2pt 0; }
        ul { padding-left: 14pt; }
        .patient { font-size: 11pt; }
        .period, .prepared, .note { color: #444; }
        figure { margin: 2pt 0 4pt 0; break-inside: avoid; }
        figcaption { font-weight: bold; font-size: 9.5pt; }
        figcaption .others { font-weight: normal; color: #555; font-size: 8.5pt; margin-left: 6pt; }
        table { table-layout: fixed; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; vertical-align: top; padding: 2pt 4pt; border-bottom: 1px solid #ddd; }
        tr { break-inside: avoid; }
        tr.red td:nth-child(2) { color: #b00020; font-weight: bold; }
        tr.yellow td:nth-child(2) { color: #8a6100; font-weight: bold; }
        svg .grid { stroke: #e3e3e3; stroke-width: 1; }
        svg .tick, svg .unit, svg text.limit, svg .empty { font-size: 9px; fill: #555; font-family: "DejaVu Sans", sans-serif; }
        svg line.limit { stroke-width: 1.2; stroke-dasharray: 5 3; }
        svg line.red { stroke: #b00020; } svg text.red { fill: #b00020; }
        svg line.yellow { stroke: #c98f00; } svg text.yellow { fill: #8a6100; }
        svg line.dry { stroke: #777; } svg text.dry { fill: #555; }
        svg .series { fill: none; stroke-width: 1.6; }
        """
}
