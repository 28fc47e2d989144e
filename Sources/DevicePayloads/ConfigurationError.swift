/// A configuration, device-profile or rule file that cannot be used, naming the file, the field
/// and what was expected, so an operator can fix it without reading code.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file that was read.
    public var file: String
    /// The field, as a dotted path (`measurements.0.kind`), or empty for the whole file.
    public var field: String
    /// What the field should hold, and what was found.
    public var expected: String
    /// The line in the file, where known (1-based).
    public var line: Int?

    public init(file: String, field: String, expected: String, line: Int? = nil) {
        self.file = file
        self.field = field
        self.expected = expected
        self.line = line
    }

    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        return field.isEmpty ? "\(place): \(expected)" : "\(place): field '\(field)': \(expected)"
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
