import Foundation
import Vitals

/// One stored reading as the rules see it: canonical value, measurement instant, and the id that
/// links a flag back to it.
public struct Observation: Sendable, Hashable, Codable {
    public var id: Int64
    public var kind: ReadingKind
    /// Value in the kind's canonical unit (kg, mmHg, beats/min).
    public var value: Double
    public var measuredAt: Date

    public init(id: Int64, kind: ReadingKind, value: Double, measuredAt: Date) {
        self.id = id
        self.kind = kind
        self.value = value
        self.measuredAt = measuredAt
    }

    /// The value with its unit, for explanations.
    public var quantity: Quantity { Quantity(value, kind.canonicalUnit) }
}
