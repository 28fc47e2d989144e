import Foundation

extension Date {
    /// Milliseconds since 1970 UTC, the form every instant takes in the database.
    public var millisecondsSince1970: Int64 {
        Int64((timeIntervalSince1970 * 1000).rounded())
    }

    /// This instant to the nearest millisecond: what every backend keeps, so that what is read
    /// back equals what was written.
    public var wholeMilliseconds: Date { Date(millisecondsSince1970: millisecondsSince1970) }

    /// The instant `milliseconds` after 1970 UTC.
    public init(millisecondsSince1970 milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
