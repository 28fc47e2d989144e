import Foundation
import Vitals

/// A personal limit the system proposes from a patient's own readings, for the cardiologist to
/// accept, edit or ignore: nothing changes until a person records it (`nurse-console limit`
/// or `tele-ingest thresholds set`, audited). Proposed only where the rule set's yellow limit sits inside the patient's own
/// usual range, so that the default would flag this patient's ordinary days; the red limits stay
/// as they are, the safety net.
public struct LimitProposal: Sendable, Hashable, Codable {
    public var ruleID: String
    /// `yellowBelow` or `yellowAbove`.
    public var parameter: String
    /// The limit in force now (the rule set's, or a personal one).
    public var current: Double
    public var proposed: Double
    /// Why, in numbers: "systolic BP: median 92 mmHg, usual variation 4 mmHg over 24 readings
    /// (1 Nov – 28 Nov); 9 of them below the yellow limit 90 mmHg".
    public var basis: String

    /// Readings looked at: the last 28 days.
    public static let windowDays = 28
    /// Fewer readings than this in the window: no proposal.
    public static let minimumReadings = 10
    /// The personal band: the median ± this many robust standard deviations.
    public static let band = 3.0
    /// Monitoring must have run this long: the first fortnight is for learning.
    public static let learningDays = 14

    /// "systolic-range yellowBelow: 90 → 82".
    public var change: String {
        "\(ruleID) \(parameter): \(Quantity.format(current, decimals: 0)) → \(Quantity.format(proposed, decimals: 0))"
    }

    /// The proposal as a setting to accept, `RULE.PARAMETER=VALUE`: "systolic-range.yellowBelow=82".
    public var setting: String { "\(ruleID).\(parameter)=\(Quantity.format(proposed, decimals: 0))" }

    /// Proposals for the range rules on blood pressure and pulse, from `observations` (the
    /// patient's readings), at `now`.
    public static func proposals(
        _ observations: [Observation], ruleSet: RuleSet, context: PatientContext, now: Date
    ) -> [LimitProposal] {
        guard now.timeIntervalSince(context.monitoringStart) >= Double(learningDays) * 86_400 else { return [] }
        let from = now.addingTimeInterval(-Double(windowDays) * 86_400)
        var result: [LimitProposal] = []
        for rule in ruleSet.rules
        where rule.kind == .range && !rule.relativeToDryWeight && rule.measurement != .weight {
            let readings = observations.filter {
                $0.kind == rule.measurement && $0.measuredAt >= from && $0.measuredAt <= now
            }
            guard readings.count >= minimumReadings else { continue }
            let values = readings.map(\.value)
            let median = Statistics.median(values)
            let spread = max(Statistics.robustStandardDeviation(values), 1)
            let unit = rule.measurement.canonicalUnit
            let first = LocalDay(readings.map(\.measuredAt).min()!, in: context.timeZone)
            let last = LocalDay(readings.map(\.measuredAt).max()!, in: context.timeZone)
            func basis(_ count: Int, _ side: String, _ limit: Double) -> String {
                "\(rule.measurement.displayName): median \(Quantity(median, unit)), usual variation \(Quantity(spread, unit)) "
                    + "over \(readings.count) readings (\(first.short) – \(last.short)); \(count) of them \(side) the yellow limit \(Quantity(limit, unit))"
            }
            if let (limit, _) = context.parameter("yellowBelow", of: rule, at: now) {
                let floor = context.parameter("redBelow", of: rule, at: now)?.value ?? -Double.infinity
                let low = (median - band * spread).rounded(.down)
                let below = values.filter { $0 < limit }.count
                if low < limit, below > 0 {
                    let proposed = max(low, floor)
                    if proposed < limit {
                        result.append(
                            LimitProposal(
                                ruleID: rule.id, parameter: "yellowBelow", current: limit, proposed: proposed,
                                basis: basis(below, "below", limit)))
                    }
                }
            }
            if let (limit, _) = context.parameter("yellowAbove", of: rule, at: now) {
                let ceiling = context.parameter("redAbove", of: rule, at: now)?.value ?? Double.infinity
                let high = (median + band * spread).rounded(.up)
                let above = values.filter { $0 > limit }.count
                if high > limit, above > 0 {
                    let proposed = min(high, ceiling)
                    if proposed > limit {
                        result.append(
                            LimitProposal(
                                ruleID: rule.id, parameter: "yellowAbove", current: limit, proposed: proposed,
                                basis: basis(above, "above", limit)))
                    }
                }
            }
        }
        return result
    }
}
