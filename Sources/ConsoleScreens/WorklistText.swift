import FollowUp
import TerminalUI
import Vitals

/// How worklist cells read: values with a trend arrow, the same on screen and in `worklist`.
public enum WorklistText {
    public static func arrow(_ trend: Trend?, glyphs: Glyphs) -> String {
        switch trend?.direction {
        case .up: glyphs.up
        case .down: glyphs.down
        case .steady: glyphs.steady
        case .unknown, nil: " "
        }
    }

    /// `82.6↑`, or `-` without a weighing.
    public static func weight(_ entry: WorklistEntry, glyphs: Glyphs) -> String {
        guard let weight = entry.weight else { return "-" }
        return Quantity.format(weight.value, decimals: 1) + arrow(weight, glyphs: glyphs)
    }

    /// `102/64↓` (the arrow follows the systolic value).
    public static func pressure(_ entry: WorklistEntry, glyphs: Glyphs) -> String {
        guard let systolic = entry.systolic else { return "-" }
        let diastolic = entry.diastolic.map { String(Int($0.value.rounded())) } ?? "-"
        return "\(Int(systolic.value.rounded()))/\(diastolic)" + arrow(systolic, glyphs: glyphs)
    }

    /// `96↑`.
    public static func pulse(_ entry: WorklistEntry, glyphs: Glyphs) -> String {
        guard let pulse = entry.pulse else { return "-" }
        return String(Int(pulse.value.rounded())) + arrow(pulse, glyphs: glyphs)
    }

    public static func style(_ triage: Triage) -> Style {
        switch triage {
        case .red: Style(colour: .red, bold: true)
        case .yellow: Style(colour: .yellow, bold: true)
        case .missingData: Style(colour: .magenta)
        case .stable: Style(colour: .green)
        }
    }
}
