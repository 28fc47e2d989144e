import FollowUp
import Foundation
import ThresholdRules
import Vitals

/// A chart of daily values over the report's period as SVG: one line per series, a dot per
/// measured day, and the limits in force as dashed lines with their labels. Sized for an A4
/// page's width; the text is SVG text, so it reads back from the PDF.
struct VitalSignChart {
    struct Series {
        var label: String
        var colour: String
        var points: [PatientOverview.DailyPoint]
        /// The limits in force for this series; the chart draws the nearest on either side of
        /// its values and names the others below it.
        var limits: [PatientOverview.LimitLine] = []
    }

    var kind: String
    var title: String
    var unit: String
    var series: [Series]
    var firstDay: LocalDay
    var lastDay: LocalDay

    /// The limits drawn: for each series, the nearest below its lowest value and the nearest
    /// above its highest (a dry weight always); all of them when the series has no values.
    var drawnLimits: [PatientOverview.LimitLine] {
        series.flatMap { line -> [PatientOverview.LimitLine] in
            let values = line.points.map(\.value)
            guard let low = values.min(), let high = values.max() else { return [] }
            let below = line.limits.filter { $0.severity != nil && $0.value <= low }.max { $0.value < $1.value }
            let above = line.limits.filter { $0.severity != nil && $0.value >= high }.min { $0.value < $1.value }
            let inside = line.limits.filter { $0.severity != nil && $0.value > low && $0.value < high }
            return line.limits.filter { $0.severity == nil } + inside + [below, above].compactMap { $0 }
        }
    }

    /// The limits in force that are not drawn, in words: "sys red 80, sys red 170".
    var otherLimits: [String] {
        let drawn = drawnLimits
        return series.flatMap(\.limits).filter { !drawn.contains($0) }.map { "\($0.label) \(Self.format($0.value))" }
    }

    static let width = 680.0
    static let height = 170.0
    static let left = 46.0
    static let right = 84.0
    static let top = 10.0
    static let bottom = 24.0

    var svg: String {
        let limits = drawnLimits
        let values = series.flatMap { $0.points.map(\.value) } + limits.map(\.value)
        let plotWidth = Self.width - Self.left - Self.right
        let plotHeight = Self.height - Self.top - Self.bottom
        var out =
            #"<svg class="chart" data-kind="\#(kind)" xmlns="http://www.w3.org/2000/svg" width="\#(Self.width)" height="\#(Self.height)" viewBox="0 0 \#(Self.width) \#(Self.height)" role="img" aria-label="\#(HTML.escaped(title))">"#
        out += "<title>\(HTML.escaped(title))</title>"
        guard let low = values.min(), let high = values.max() else {
            out +=
                #"<text x="\#(Self.left)" y="\#(Self.height / 2)" class="empty">no \#(HTML.escaped(title.lowercased())) readings in the period</text></svg>"#
            return out
        }
        let ticks = Self.ticks(low: low, high: high)
        let (bottomValue, topValue) = (ticks.first!, ticks.last!)
        let days = Double(max(1, firstDay.days(to: lastDay)))
        func x(_ day: LocalDay) -> Double { Self.left + Double(firstDay.days(to: day)) / days * plotWidth }
        func y(_ value: Double) -> Double {
            Self.top + (1 - (value - bottomValue) / (topValue - bottomValue)) * plotHeight
        }
        func number(_ value: Double) -> String { String(format: "%.1f", value) }

        // Grid and axes: value ticks on the left, a date at each Monday (every few weeks on long periods).
        for tick in ticks {
            out +=
                #"<line class="grid" x1="\#(number(Self.left))" x2="\#(number(Self.left + plotWidth))" y1="\#(number(y(tick)))" y2="\#(number(y(tick)))"/>"#
            out +=
                #"<text class="tick" x="\#(number(Self.left - 4))" y="\#(number(y(tick) + 3))" text-anchor="end">\#(Self.format(tick))</text>"#
        }
        let weeks = firstDay.days(to: lastDay) / 7
        let every = max(1, Int((Double(weeks) / 8).rounded(.up)))
        var monday = firstDay.monday < firstDay ? firstDay.monday.adding(days: 7) : firstDay.monday
        var index = 0
        while monday <= lastDay {
            if index % every == 0 {
                out +=
                    #"<line class="grid" x1="\#(number(x(monday)))" x2="\#(number(x(monday)))" y1="\#(number(Self.top))" y2="\#(number(Self.top + plotHeight))"/>"#
                out +=
                    #"<text class="tick" x="\#(number(x(monday)))" y="\#(number(Self.height - 8))" text-anchor="middle">\#(monday.short)</text>"#
            }
            monday = monday.adding(days: 7)
            index += 1
        }
        out += #"<text class="unit" x="4" y="\#(number(Self.top + 8))">\#(HTML.escaped(unit))</text>"#

        // The limits in force, labelled at the right.
        for limit in limits {
            let style =
                switch limit.severity {
                case .red: "limit red"
                case .yellow: "limit yellow"
                case nil: "limit dry"
                }
            out +=
                #"<line class="\#(style)" x1="\#(number(Self.left))" x2="\#(number(Self.left + plotWidth))" y1="\#(number(y(limit.value)))" y2="\#(number(y(limit.value)))"/>"#
            out +=
                #"<text class="\#(style)" x="\#(number(Self.left + plotWidth + 4))" y="\#(number(y(limit.value) + 3))">\#(HTML.escaped(limit.label)) \#(Self.format(limit.value))</text>"#
        }

        // The values.
        for line in series where !line.points.isEmpty {
            let points = line.points.map { "\(number(x($0.day))),\(number(y($0.value)))" }.joined(separator: " ")
            out +=
                #"<polyline class="series" data-series="\#(HTML.escaped(line.label))" stroke="\#(line.colour)" points="\#(points)"/>"#
            for point in line.points {
                out +=
                    #"<circle cx="\#(number(x(point.day)))" cy="\#(number(y(point.value)))" r="1.8" fill="\#(line.colour)"/>"#
            }
        }
        return out + "</svg>"
    }

    /// Four to six round values spanning `low`…`high`.
    static func ticks(low: Double, high: Double) -> [Double] {
        let span = max(high - low, 1)
        let rough = span / 4
        let magnitude = pow(10, floor(log10(rough)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? 10 * magnitude
        let start = floor(low / step) * step
        let end = ceil(high / step) * step
        return stride(from: start, through: end + step / 2, by: step).map { $0 }
    }

    static func format(_ value: Double) -> String {
        value.rounded() == value ? String(Int(value)) : String(format: "%.1f", value)
    }
}
