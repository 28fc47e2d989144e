/// The name of one `tele-ingest run` process among several on one store: its status row, its
/// inbox and how far that inbox has been moved into the journal are kept under it.
///
/// A single service is `main`, the name every store had before there could be more.
public struct WorkerName: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let text: String

    /// The one worker of a single-service site.
    public static let main = WorkerName(checked: "main")

    /// At most this many characters: with the default client id `tele-ingest-<name>` the
    /// name fits MQTT 3.1.1's 23-character client id.
    public static let maxLength = 11

    /// A name of 1 to 11 lower-case letters, digits and hyphens, not starting with a hyphen;
    /// `nil` otherwise. (It becomes part of a file name and of the MQTT client id.)
    public init?(_ text: String) {
        guard !text.isEmpty, text.count <= Self.maxLength, !text.hasPrefix("-"),
            text.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" })
        else { return nil }
        self.text = text
    }

    private init(checked text: String) { self.text = text }

    /// What a name must look like, for error messages.
    public static let expectation = "1 to 11 lower-case letters, digits or hyphens (not starting with a hyphen)"

    /// The MQTT client id a worker uses unless one is configured: `tele-ingest` for `main`
    /// (as before there were several), `tele-ingest-<name>` for the others.
    public var defaultClientID: String { self == .main ? "tele-ingest" : "tele-ingest-\(text)" }

    public var description: String { text }

    public static func < (lhs: WorkerName, rhs: WorkerName) -> Bool { lhs.text < rhs.text }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let name = WorkerName(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "expected \(Self.expectation)"))
        }
        self = name
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}
