import Foundation
import Vitals

/// A latest value and which way it moved against the reference (the latest value before the
/// week began).
public struct Trend: Sendable, Hashable, Codable {
    public enum Direction: String, Sendable, Hashable, Codable {
        case up, down, steady
        /// No reference value, or the latest value is itself from before the week.
        case unknown
    }

    public var kind: ReadingKind
    public var value: Double
    public var measuredAt: Date
    public var reference: Double?
    public var direction: Direction

    /// Changes smaller than this are "steady": about the day-to-day noise of each measurement
    /// (weight 0.5–0.8 kg day to day; BP and pulse a few units).
    public static func steadyBand(_ kind: ReadingKind) -> Double {
        switch kind {
        case .weight: 0.5
        case .systolic, .diastolic: 5
        case .pulse: 5
        }
    }

    /// `reference`: the newest value before the week began, or `nil` when there is none or the
    /// latest value is itself from before the week.
    public init(kind: ReadingKind, value: Double, measuredAt: Date, reference: Double?) {
        self.kind = kind
        self.value = value
        self.measuredAt = measuredAt
        self.reference = reference
        if let reference {
            let change = value - reference
            direction = abs(change) < Self.steadyBand(kind) ? .steady : change > 0 ? .up : .down
        } else {
            direction = .unknown
        }
    }

    /// The change against the reference, if any.
    public var change: Double? { reference.map { value - $0 } }
}
