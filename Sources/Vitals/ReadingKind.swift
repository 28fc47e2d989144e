/// What a reading measures.
///
/// A blood-pressure measurement is one event that yields a systolic, a diastolic and often a
/// pulse reading; each is stored as its own reading of its own kind, sharing the event's time.
public enum ReadingKind: String, CaseIterable, Sendable, Codable, Hashable {
    /// Body weight; canonical unit kilogram. LOINC 29463-7, MDC_MASS_BODY_ACTUAL.
    case weight
    /// Systolic non-invasive blood pressure; canonical unit mmHg. LOINC 8480-6.
    case systolic
    /// Diastolic non-invasive blood pressure; canonical unit mmHg. LOINC 8462-4.
    case diastolic
    /// Pulse rate; canonical unit beats per minute. LOINC 8867-4.
    case pulse

    /// The unit every reading of this kind is stored in.
    public var canonicalUnit: MeasurementUnit {
        switch self {
        case .weight: .kilogram
        case .systolic, .diastolic: .millimetreOfMercury
        case .pulse: .beatsPerMinute
        }
    }

    /// Words a nurse reads on a screen.
    public var displayName: String {
        switch self {
        case .weight: "weight"
        case .systolic: "systolic BP"
        case .diastolic: "diastolic BP"
        case .pulse: "pulse"
        }
    }
}
