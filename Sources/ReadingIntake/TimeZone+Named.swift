import Foundation

extension TimeZone {
    /// The zone a patient row names, or `fallback` when the name is unknown. The fallback (the
    /// configured default zone, which most patients have) is returned as it is: parsing a zone
    /// with `TimeZone(identifier:)` for every patient of every batch showed in the profile.
    public static func named(_ identifier: String, otherwise fallback: TimeZone) -> TimeZone {
        identifier == fallback.identifier ? fallback : TimeZone(identifier: identifier) ?? fallback
    }
}
