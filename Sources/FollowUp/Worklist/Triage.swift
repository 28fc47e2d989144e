import ThresholdRules

/// Where a patient stands on the worklist, in the order the nurse works through it.
public enum Triage: Int, Sendable, Hashable, Codable, CaseIterable, Comparable, CustomStringConvertible {
    /// At least one red flag open or escalated.
    case red
    /// At least one yellow flag about the values themselves.
    case yellow
    /// Only missing-data flags: the patient stopped measuring.
    case missingData
    /// Nothing open.
    case stable

    public static func < (lhs: Triage, rhs: Triage) -> Bool { lhs.rawValue < rhs.rawValue }

    /// A label that reads without colour: `RED`, `YELLOW`, `NO DATA`, `stable`.
    public var label: String {
        switch self {
        case .red: "RED"
        case .yellow: "YELLOW"
        case .missingData: "NO DATA"
        case .stable: "stable"
        }
    }

    public var description: String {
        switch self {
        case .red: "red"
        case .yellow: "yellow"
        case .missingData: "missing-data"
        case .stable: "stable"
        }
    }
}
