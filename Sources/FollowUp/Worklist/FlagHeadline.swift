import Foundation

/// A flag's explanation in a few words for a list: "weight +2.5 kg in 3 days",
/// "systolic BP 78 mmHg < red 80 mmHg", "no weight since 12 Nov". The full explanation stays
/// on the flag and is shown in the patient view.
public enum FlagHeadline {
    public static func of(_ explanation: String) -> String {
        var text = explanation
        for stop in [":", ";", " ("] {
            if let range = text.range(of: stop) { text = String(text[..<range.lowerBound]) }
        }
        // " on 20 Nov": the date is in the patient view.
        if let range = text.range(of: #" on \d{1,2} [A-Z][a-z]{2}"#, options: .regularExpression) {
            text.removeSubrange(range)
        }
        let replacements = [
            (" is below the red limit ", " < red "), (" is above the red limit ", " > red "),
            (" is below the yellow limit ", " < "), (" is above the yellow limit ", " > "),
            (" the patient's ", " "),
        ]
        for (long, short) in replacements { text = text.replacingOccurrences(of: long, with: short) }
        return text
    }
}
