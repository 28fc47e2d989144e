/// The service's own id of a patient (`P-17`), under which every record of the patient is kept.
/// Not the CPR number: that is personal data and stays in the patient's registration.
public struct PatientID: TextIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// A device's serial number as the device reports it (in its topic or payload): what a pairing
/// attributes to a patient. Kept as the device wrote it; never a patient's id.
public struct DeviceSerial: TextIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// An id that is its text wherever it is written: in JSON (alone, in a record, or as a
/// dictionary's key) and in the stores' columns (`RawRepresentable` over `String`, for which
/// GRDB and postgres-nio have codings). Typing an id changes nothing that is written or printed.
///
/// A literal (`"P-17"`, `"P-\(n)"`) is an id where one is expected; any other text becomes one
/// only through `init(_:)`, so a serial cannot be passed where a patient is meant.
public protocol TextIdentifier: RawRepresentable<String>, Sendable, Hashable, Comparable, Codable,
    CodingKeyRepresentable, CustomStringConvertible, ExpressibleByStringInterpolation
where StringLiteralType == String {
    init(rawValue: String)
}

extension TextIdentifier {
    public init(_ text: String) { self.init(rawValue: text) }
    public init(stringLiteral text: String) { self.init(rawValue: text) }
    public init(stringInterpolation: DefaultStringInterpolation) {
        self.init(rawValue: String(stringInterpolation: stringInterpolation))
    }

    public var description: String { rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
