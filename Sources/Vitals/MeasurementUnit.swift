import Foundation

/// A unit a device may report a measurement in, with its conversion to the canonical unit.
///
/// Conversions (REFERENCE.md): 1 lb = 0.45359237 kg exactly; 1 kPa = 7.500617 mmHg.
public enum MeasurementUnit: String, CaseIterable, Sendable, Codable, Hashable {
    /// Kilogram (UCUM `kg`, MDC_DIM_KILO_G).
    case kilogram = "kg"
    /// Gram (UCUM `g`); some scales report grams as integers.
    case gram = "g"
    /// International avoirdupois pound (UCUM `[lb_av]`, MDC_DIM_LB).
    case pound = "lb"
    /// Millimetre of mercury (UCUM `mm[Hg]`, MDC_DIM_MMHG).
    case millimetreOfMercury = "mmHg"
    /// Kilopascal (UCUM `kPa`, MDC_DIM_KILO_PASCAL).
    case kilopascal = "kPa"
    /// Beats per minute (UCUM `/min`, MDC_DIM_BEAT_PER_MIN).
    case beatsPerMinute = "bpm"

    /// The kinds of reading this unit can express.
    public var dimension: Dimension {
        switch self {
        case .kilogram, .gram, .pound: .mass
        case .millimetreOfMercury, .kilopascal: .pressure
        case .beatsPerMinute: .rate
        }
    }

    /// Whether a value in this unit can be converted into the canonical unit of `kind`.
    public func canExpress(_ kind: ReadingKind) -> Bool {
        dimension == kind.canonicalUnit.dimension
    }

    /// Factor that turns a value in this unit into the canonical unit of its dimension.
    var factorToCanonical: Double {
        switch self {
        case .kilogram: 1
        case .gram: 0.001
        case .pound: 0.45359237  // exact by definition
        case .millimetreOfMercury: 1
        case .kilopascal: 7.500617  // 1 mmHg = 133.322387 Pa
        case .beatsPerMinute: 1
        }
    }

    /// Physical dimension, used to refuse a blood pressure reported in kilograms.
    public enum Dimension: Sendable, Hashable {
        case mass, pressure, rate
    }

    /// Parses the spellings devices and standards use: `kg`, `[lb_av]`, `mm[Hg]`, `/min`, …, in
    /// any case and with spaces around.
    public init?(spelling: String) {
        // Devices mostly send one of the spellings as it stands (`kg`, `mmHg`); only the others
        // pay for trimming and lowercasing, which made a new string for every reading.
        if let unit = MeasurementUnit(rawValue: spelling) ?? Self.unit(lowercased: spelling) {
            self = unit
        } else if let unit = Self.unit(lowercased: spelling.trimmingCharacters(in: .whitespaces).lowercased()) {
            self = unit
        } else {
            return nil
        }
    }

    /// The unit a trimmed, lowercased spelling names.
    private static func unit(lowercased spelling: String) -> MeasurementUnit? {
        switch spelling {
        case "kg", "kilogram", "kilograms", "kgs": .kilogram
        case "g", "gram", "grams": .gram
        case "lb", "lbs", "pound", "pounds", "[lb_av]": .pound
        case "mmhg", "mm[hg]", "mm hg": .millimetreOfMercury
        case "kpa": .kilopascal
        case "bpm", "/min", "beats/min", "1/min", "beats per minute": .beatsPerMinute
        default: nil
        }
    }
}
