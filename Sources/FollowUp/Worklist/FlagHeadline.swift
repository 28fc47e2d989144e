/// A flag's explanation in a few words for a list: "weight +2.5 kg in 3 days",
/// "systolic BP 78 mmHg < red 80 mmHg", "no weight since 12 Nov". The full explanation stays
/// on the flag and is shown in the patient view.
///
/// Works on UTF-8 bytes: the worklist makes a headline for every open flag of every patient,
/// and Foundation's and the standard library's substring search were most of its time.
public enum FlagHeadline {
    public static func of(_ explanation: String) -> String {
        var bytes = Array(explanation.utf8)
        // Up to the first ":", ";" or " (".
        for stop in stops {
            if let at = find(stop, in: bytes) { bytes.removeSubrange(at...) }
        }
        // " on 20 Nov": the date is in the patient view.
        var from = 0
        while let at = find(on, in: bytes, from: from) {
            var index = at + on.count
            let digitsStart = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            let digits = index - digitsStart
            // Day digits, a space, a three-letter month starting with a capital.
            if (1...2).contains(digits), index + 3 < bytes.count, bytes[index] == UInt8(ascii: " "),
                (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(bytes[index + 1])
            {
                bytes.removeSubrange(at..<(index + 4))
                break
            }
            from = at + 1
        }
        for (long, short) in replacements {
            while let at = find(long, in: bytes) { bytes.replaceSubrange(at..<(at + long.count), with: short) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static let stops = [":", ";", " ("].map { Array($0.utf8) }
    static let on = Array(" on ".utf8)
    static let replacements = [
        (" is below the red limit ", " < red "), (" is above the red limit ", " > red "),
        (" is below the yellow limit ", " < "), (" is above the yellow limit ", " > "),
        (" the patient's ", " "),
    ].map { (Array($0.0.utf8), Array($0.1.utf8)) }

    static func find(_ pattern: [UInt8], in bytes: [UInt8], from start: Int = 0) -> Int? {
        guard !pattern.isEmpty, bytes.count >= pattern.count, start <= bytes.count - pattern.count else { return nil }
        var index = start
        while index <= bytes.count - pattern.count {
            if bytes[index] == pattern[0] {
                var match = true
                for offset in 1..<pattern.count where bytes[index + offset] != pattern[offset] {
                    match = false
                    break
                }
                if match { return index }
            }
            index += 1
        }
        return nil
    }
}
