import Foundation

/// Prints rows as aligned columns for a terminal, or values as JSON for scripts: the plain
/// output of the command-line subcommands.
public enum Output {
    /// Writes `data` to a file only its owner can read (0600), replacing what was there: for
    /// exports and reports, which hold CPR numbers and so never go to standard output.
    public static func writePrivateFile(_ data: Data, to url: URL) throws {
        try? FileManager.default.removeItem(at: url)
        guard FileManager.default.createFile(atPath: url.path, contents: data, attributes: [.posixPermissions: 0o600])
        else { throw OutputError("cannot write \(url.path)") }
    }

    public static func table(_ header: [String], _ rows: [[String]]) {
        guard !rows.isEmpty else { return }
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        print(line(header))
        for row in rows { print(line(row)) }
    }

    public static func json<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// An instant as the patient's local time with its offset: `2026-11-20 07:12 +01:00`.
    public static func local(_ date: Date, zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        let offset = zone.secondsFromGMT(for: date)
        let sign = offset < 0 ? "-" : "+"
        return String(
            format: "%04d-%02d-%02d %02d:%02d %@%02d:%02d", parts.year!, parts.month!, parts.day!, parts.hour!,
            parts.minute!,
            sign, abs(offset) / 3600, abs(offset) % 3600 / 60)
    }

    public static func utc(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    /// Parses `--from`/`--at`/`--since` values: ISO 8601 with offset, or a date (midnight UTC).
    public static func instant(_ text: String, option: String) throws -> Date {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        if let date = try? Date(text + "T00:00:00Z", strategy: .iso8601) { return date }
        throw OutputError("\(option) expects an ISO 8601 time like 2026-11-20T07:00:00+01:00, found '\(text)'")
    }
}

/// A command-line value that cannot be read, with what was expected.
public struct OutputError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
