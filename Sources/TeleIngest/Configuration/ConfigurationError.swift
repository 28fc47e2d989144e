/// A configuration, device-profile or rule file that cannot be used, naming the file, the field
/// and what was expected, so an operator can fix it without reading code.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file that was read.
    public var file: String
    /// The field, as a dotted path (`measurements.0.kind`), or empty for the whole file.
    public var field: String
    /// What the field should hold, and what was found.
    public var expected: String

    public init(file: String, field: String, expected: String) {
        self.file = file
        self.field = field
        self.expected = expected
    }

    public var description: String {
        field.isEmpty ? "\(file): \(expected)" : "\(file): field '\(field)': \(expected)"
    }
}

/// Several problems found in one pass, so an operator can fix them all at once.
public struct ConfigurationErrors: Error, CustomStringConvertible, Sendable {
    public var errors: [ConfigurationError]

    public init(_ errors: [ConfigurationError]) { self.errors = errors }

    public var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}
