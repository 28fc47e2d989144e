/// A store operation refused for a reason a person can act on.
public struct StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What was asked for.
    public var operation: String
    /// Why it cannot be done, and what to do instead.
    public var reason: String

    public init(_ operation: String, _ reason: String) {
        self.operation = operation
        self.reason = reason
    }

    public var description: String { "\(operation): \(reason)" }
}
