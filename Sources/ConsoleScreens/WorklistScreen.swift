import FollowUp
import Foundation
import StoreInterface
import TerminalUI
import ThresholdRules

/// Draws the worklist: a title bar with the counts, the filter line, one row per patient with
/// the selected row in reverse video, and under the list the selected patient's flags in full,
/// so why a patient is red can be read without opening the record.
public struct WorklistScreen {
    public var list: Worklist
    public var entries: [WorklistEntry]
    public var selected: Int
    public var top: Int
    public var flaggedOnly: Bool
    /// Only escalations without an answer and review dates that have come (a cardiologist's start).
    public var waitingOnly: Bool = false
    public var search: String
    public var clinician: String
    public var glyphs: Glyphs

    /// Rows available for patients at `height`.
    public static func listRows(height: Int) -> Int { max(1, height - 9) }

    public func draw(into buffer: inout ScreenBuffer) {
        let width = buffer.width
        let height = buffer.height
        let counts = list.counts
        let title = " Worklist \(list.week) · \(clinician)"
        let tally = Triage.allCases.map { "\(counts[$0] ?? 0) \($0.label.lowercased())" }.joined(separator: " · ") + " "
        buffer.put(title.padded(width, ellipsis: glyphs.ellipsis), row: 0, column: 0, style: .inverse)
        let filter =
            " Showing: \(waitingOnly ? "waiting for the hotline" : flaggedOnly ? "flagged only" : "all") (\(entries.count) of \(list.entries.count))"
            + (search.isEmpty ? "" : " · search \"\(search)\"")
        buffer.put(filter, row: 1, column: 0, style: .dim)
        if filter.count + tally.count < width {
            buffer.put(tally, row: 1, column: width - tally.count, style: .bold)
        }

        let columns = Self.columns(width: width)
        var x = 0
        for (name, columnWidth) in zip(columns.names, columns.widths) {
            buffer.put(name.padded(columnWidth), row: 2, column: x, style: .bold)
            x += columnWidth + 1
        }
        let rows = Self.listRows(height: height)
        if entries.isEmpty {
            buffer.put(
                waitingOnly
                    ? " Nothing waits for the hotline: no escalation without an answer, no review date come. v: all."
                    : search.isEmpty && !flaggedOnly ? " No patients in the store." : " No patients match the filter.",
                row: 3, column: 0)
        }
        for (offset, entry) in entries.dropFirst(top).prefix(rows).enumerated() {
            let row = 3 + offset
            let cells = [
                entry.triage.label,
                entry.name + (width >= 100 ? entry.maskedCPR.map { " \($0)" } ?? "" : ""),
                (entry.flags.contains(where: \.overdue) ? "OVERDUE " : "")
                    + (entry.flagSummary.isEmpty ? (entry.triage == .stable ? "" : "-") : entry.flagSummary),
                WorklistText.weight(entry, glyphs: glyphs),
                WorklistText.pressure(entry, glyphs: glyphs),
                WorklistText.pulse(entry, glyphs: glyphs),
                entry.adherence.text,
                entry.review == nil ? "-" : "yes",
                entry.pendingEscalationID.map { "#\($0)" + (entry.escalationOverdue ? " late" : "") } ?? "",
            ]
            var x = 0
            for (index, (cell, columnWidth)) in zip(cells, columns.widths).enumerated() {
                let style: Style =
                    index == 0
                    ? WorklistText.style(entry.triage)
                    : index == 6 && !entry.adherence.meetsPlan
                        ? Style(colour: .yellow)
                        : (index == 2 || index == 8) && entry.needsChasing ? Style(colour: .red, bold: true) : .plain
                let text =
                    index >= 3 && index <= 5
                    ? cell.leftPadded(columnWidth) : cell.padded(columnWidth, ellipsis: glyphs.ellipsis)
                buffer.put(text, row: row, column: x, style: style)
                x += columnWidth + 1
            }
            if top + offset == selected {
                for column in 0..<width {
                    var style = buffer[row, column].style
                    style.inverse = true
                    buffer.paint(row: row, from: column, to: column + 1, style: style)
                }
            }
        }
        if entries.count > rows {
            let more = " \(top + 1)–\(min(entries.count, top + rows)) of \(entries.count) "
            buffer.put(more, row: 3 + rows, column: max(0, width - more.count), style: .dim)
        }
        // The selected patient's flags, in full.
        let detailRow = height - 5
        buffer.put(String(repeating: glyphs.horizontal, count: width), row: detailRow, column: 0, style: .dim)
        if entries.indices.contains(selected) {
            let entry = entries[selected]
            let review = entry.review.map { "reviewed by \($0.reviewedBy)" } ?? "not reviewed this week"
            let escalation =
                (entry.pendingEscalationID.map { " · escalation #\($0) waiting for the hotline" } ?? "")
                + (entry.reviewDue ? " · review due \(entry.nextReview ?? "")" : "")
            buffer.put(
                "\(entry.name) · \(entry.maskedCPR ?? "no CPR") · id \(entry.patientID) · \(review)\(escalation)"
                    .fitted(width, ellipsis: glyphs.ellipsis),
                row: detailRow + 1, column: 0, style: .bold)
            var lines: [(String, Style)] = []
            if let overdue = entry.overdueText(now: list.generatedAt) {
                lines.append((overdue, Style(colour: .red, bold: true)))
            }
            if entry.flags.isEmpty {
                lines.append(("\(entry.name): no open flags.", .plain))
            }
            for flag in entry.flags {
                let mark = flag.escalated ? " (escalated)" : ""
                lines.append(
                    (
                        "\(flag.severity.rawValue.uppercased())\(mark) \(flag.explanation)",
                        flag.severity == .red ? Style(colour: .red) : Style(colour: .yellow)
                    ))
            }
            for (index, line) in lines.prefix(2).enumerated() {
                let more = index == 1 && lines.count > 2 ? " (+\(lines.count - 2) more: Enter)" : ""
                buffer.put(
                    (line.0.fitted(width - more.count, ellipsis: glyphs.ellipsis) + more), row: detailRow + 2 + index,
                    column: 0, style: line.1)
            }
        }
        let keys = " ↑↓ move  Enter open  f flagged  / search  w/W week  ? help  q quit"
        buffer.put(
            (glyphs.braille ? keys : keys.replacingOccurrences(of: "↑↓", with: "j/k")).padded(width), row: height - 1,
            column: 0, style: .inverse)
    }

    /// Column names and widths for a screen `width` wide: fixed value columns, and the rest
    /// shared by the patient and flag columns.
    /// The value columns fit their widest values: weight `350.0↑`, blood pressure `300/200↑`,
    /// pulse `250↑`.
    static func columns(width: Int) -> (names: [String], widths: [Int]) {
        let fixed = [7, 0, 0, 6, 8, 5, 7, 3, 4]
        let free = max(20, width - fixed.reduce(0, +) - (fixed.count - 1))
        let patient = max(20, min(36, free * 45 / 100))
        var widths = fixed
        widths[1] = patient
        widths[2] = free - patient
        return (["TRIAGE", "PATIENT", "FLAGS", "WEIGHT", "BP", "PULSE", "PLAN", "REV", "ESC"], widths)
    }
}
