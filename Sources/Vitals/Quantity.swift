/// A value with its unit, as a device reported it or as it is stored.
public struct Quantity: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The number, in `unit`.
    public var value: Double
    /// The unit `value` is expressed in.
    public var unit: MeasurementUnit

    public init(_ value: Double, _ unit: MeasurementUnit) {
        self.value = value
        self.unit = unit
    }

    /// The same quantity in the canonical unit of `kind`, or `nil` when the unit cannot
    /// express that kind (a weight in mmHg).
    public func canonical(for kind: ReadingKind) -> Quantity? {
        guard unit.canExpress(kind) else { return nil }
        return Quantity(value * unit.factorToCanonical, kind.canonicalUnit)
    }

    /// Rounded for display: one decimal for kg and kPa, whole numbers otherwise.
    public var description: String {
        switch unit {
        case .kilogram, .kilopascal, .pound:
            return "\(Self.format(value, decimals: 1)) \(unit.rawValue)"
        default:
            return "\(Self.format(value, decimals: 0)) \(unit.rawValue)"
        }
    }

    /// `value` rounded to `decimals` places, without a unit.
    public static func format(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        // Beyond what an Int holds (a hostile device's 1e209 kg): Swift's own notation, which
        // never traps. Found by scripts/fuzz.
        guard value.magnitude < 1e15 else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        if decimals == 0 { return String(Int(rounded)) }
        let whole = Int(rounded.magnitude)
        let fraction = Int(((rounded.magnitude - Double(whole)) * scale).rounded())
        let sign = rounded < 0 ? "-" : ""
        let fractionText = String(fraction)
        let padded = String(repeating: "0", count: max(0, decimals - fractionText.count)) + fractionText
        return "\(sign)\(whole).\(padded)"
    }
}
