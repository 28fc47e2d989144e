/// How urgent a flag is. Yellow: look at it this week. Red: call the patient today.
public enum Severity: String, Sendable, Codable, CaseIterable, Comparable {
    case yellow
    case red

    public static func < (lhs: Severity, rhs: Severity) -> Bool {
        lhs == .yellow && rhs == .red
    }
}
