/// A store operation that could not be done: what was asked, why in words a person can act on,
/// a code a program can act on, and the error underneath when a backend raised one.
public struct StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure: the same on every backend for the same situation.
    public enum Code: String, Sendable, Codable, CaseIterable {
        /// The request itself is wrong: a missing reason, a value out of range, an unknown rule.
        case invalid
        /// What it names does not exist: no such patient, flag, escalation or file.
        case notFound
        /// The store's state forbids it: exists already, paired elsewhere, closed or answered
        /// meanwhile, a unique rule of the schema.
        case conflict
        /// The person's role does not allow it.
        case notAllowed
        /// The database accepts no writes here (a standby).
        case readOnly
        /// The database's schema is not the one this build works with.
        case schemaMismatch
        /// The backend failed: unreachable, out of space, an error it raised.
        case unavailable
    }

    /// What was asked for.
    public var operation: String
    /// Why it cannot be done, and what to do instead.
    public var reason: String
    public var code: Code
    /// The backend's own error, when there was one (kept for logs and diagnosis; the reason
    /// already says what it means).
    public var underlying: (any Error & Sendable)?

    public init(_ operation: String, _ reason: String, code: Code = .invalid, underlying: (any Error & Sendable)? = nil)
    {
        self.operation = operation
        self.reason = reason
        self.code = code
        self.underlying = underlying
    }

    public var description: String { "\(operation): \(reason)" }

    /// Same operation, reason and code; the underlying errors are not compared.
    public static func == (lhs: StoreError, rhs: StoreError) -> Bool {
        lhs.operation == rhs.operation && lhs.reason == rhs.reason && lhs.code == rhs.code
    }
}
