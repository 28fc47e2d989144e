import Foundation

/// A CSV file of historical readings for `tele-ingest import`: its header checked column by
/// column, and each data record made into the journal message the pipeline reads
/// (`ImportRowDecoder`), with the line it starts on in the topic (`import/<file>/line/<n>`).
public struct ImportFile: Sendable {
    /// One record to journal.
    public struct Row: Sendable, Equatable {
        /// The line of the file the record starts on.
        public var line: Int
        public var topic: String
        /// The record's fields as one comma-separated row, as written in the file (decimal
        /// commas included: the decoder reads them).
        public var payload: Data
    }

    /// The separator the file uses, `,` or `;`.
    public var separator: Character
    public var rows: [Row]

    /// Reads the file's bytes; `name` goes into each row's topic. Refuses a file that is not
    /// UTF-8, cannot be read as CSV, or whose first line is not the header, naming the line, the
    /// column and what was expected.
    public init(data: Data, name: String) throws(CSVError) {
        let columns = ImportRowDecoder.columns
        let file = try CSVFile.read(data, expectedColumns: columns.count)
        guard let header = file.records.first else {
            throw CSVError(
                line: 1, column: nil, expected: "expected the header \(ImportRowDecoder.header); the file is empty")
        }
        guard header.line == 1 else {
            throw CSVError(
                line: 1, column: nil, expected: "expected the header \(ImportRowDecoder.header); the line is empty")
        }
        let names = header.fields.map { $0.replacingOccurrences(of: " ", with: "").lowercased() }
        for (index, expected) in columns.enumerated() {
            let found = index < names.count ? names[index] : nil
            guard found == expected else {
                throw CSVError(
                    line: 1, column: index + 1,
                    expected:
                        "expected the header \(ImportRowDecoder.header) (or the same with ';' between the columns): column \(index + 1) must be '\(expected)', found \(found.map { "'\($0)'" } ?? "nothing")"
                )
            }
        }
        if names.count > columns.count {
            throw CSVError(
                line: 1, column: columns.count + 1,
                expected:
                    "expected the header \(ImportRowDecoder.header) and nothing after it, found '\(names[columns.count])'"
            )
        }
        separator = file.separator
        rows = file.records.dropFirst().map { record in
            Row(
                line: record.line, topic: "import/\(name)/line/\(record.line)",
                payload: Data(CSVFile.row(record.fields).utf8))
        }
    }
}
