import Foundation

/// A CSV file as spreadsheets and scripts write it (RFC 4180): LF or CR LF line ends, an
/// optional UTF-8 byte order mark, fields in double quotes that may hold the separator, quotes
/// (doubled) and line breaks, and either `,` or `;` between the columns (`;` is what Danish
/// spreadsheets write, with decimal commas). Reading it is all this type does; what the
/// columns mean is `ImportRowDecoder`'s business.
///
/// A hand-written reader rather than a CSV package: every refusal has to name the line and the
/// column, and a record that spans lines has to keep the line it starts on.
public struct CSVFile: Sendable, Equatable {
    /// One record: its fields, and the line of the file it starts on (1-based).
    public struct Record: Sendable, Equatable {
        public var line: Int
        public var fields: [String]

        public init(line: Int, fields: [String]) {
            self.line = line
            self.fields = fields
        }
    }

    /// The column separator found in the first line: `,` or `;`.
    public var separator: Character
    /// Every non-empty record, the header first.
    public var records: [Record]

    /// Reads `data`, finding the separator from the first line: `;` when it has as many as
    /// `expectedColumns` would need and no comma, `,` otherwise.
    public static func read(_ data: Data, expectedColumns: Int) throws(CSVError) -> CSVFile {
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        if let line = firstLineNotUTF8(bytes) {
            throw CSVError(
                line: line, column: nil,
                expected:
                    "expected UTF-8 text; this line is in another encoding (save the file as \"CSV UTF-8\")")
        }
        let firstLine = bytes.prefix { $0 != UInt8(ascii: "\n") }
        let semicolons = firstLine.filter { $0 == UInt8(ascii: ";") }.count
        let commas = firstLine.filter { $0 == UInt8(ascii: ",") }.count
        let separator: Character = semicolons >= expectedColumns - 1 && commas == 0 ? ";" : ","
        let records = try parse(bytes, separator: UInt8(ascii: separator == ";" ? ";" : ","))
        return CSVFile(separator: separator, records: records)
    }

    /// Reads one record written by `row(_:)` (or a plain comma-separated line).
    public static func fields(ofRow text: String) throws(CSVError) -> [String] {
        try parse(Array(text.utf8), separator: UInt8(ascii: ","), keepEmpty: true).first?.fields ?? [""]
    }

    /// `fields` as one comma-separated row, quoting a field only where RFC 4180 needs it.
    public static func row(_ fields: [String]) -> String {
        fields.map { field in
            guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
            return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }.joined(separator: ",")
    }

    private static func firstLineNotUTF8(_ bytes: [UInt8]) -> Int? {
        guard String(validating: bytes, as: UTF8.self) == nil else { return nil }
        var line = 1
        for slice in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            if String(validating: slice, as: UTF8.self) == nil { return line }
            line += 1
        }
        return line
    }

    /// The RFC 4180 state machine over bytes: the separator, quotes and line ends are ASCII, so
    /// UTF-8 text inside fields passes through whole.
    private static func parse(_ bytes: [UInt8], separator: UInt8, keepEmpty: Bool = false) throws(CSVError)
        -> [Record]
    {
        let quote = UInt8(ascii: "\""), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1
        var recordLine = 1
        var quoteLine = 1
        var quoted = false  // inside a quoted field
        var wasQuoted = false  // the current field was quoted and its closing quote seen
        var index = 0

        func endField() {
            let text = String(decoding: field, as: UTF8.self)
            fields.append(wasQuoted ? text : text.trimmingCharacters(in: .whitespaces))
            field.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        func endRecord() {
            endField()
            if keepEmpty || fields.count > 1 || !(fields.first ?? "").isEmpty {
                records.append(Record(line: recordLine, fields: fields))
            }
            fields.removeAll(keepingCapacity: true)
        }

        while index < bytes.count {
            let byte = bytes[index]
            if quoted {
                if byte == quote {
                    if index + 1 < bytes.count, bytes[index + 1] == quote {
                        field.append(quote)
                        index += 1
                    } else {
                        quoted = false
                        wasQuoted = true
                    }
                } else {
                    if byte == lf { line += 1 }
                    field.append(byte)
                }
            } else if byte == separator {
                endField()
            } else if byte == lf || byte == cr {
                if byte == cr, index + 1 < bytes.count, bytes[index + 1] == lf { index += 1 }
                endRecord()
                line += 1
                recordLine = line
            } else if byte == quote {
                guard field.allSatisfy({ $0 == UInt8(ascii: " ") }), !wasQuoted else {
                    throw CSVError(
                        line: line, column: fields.count + 1,
                        expected:
                            "a quote inside a field that does not start with one; put the whole field in quotes and double the quotes inside (\"\")"
                    )
                }
                field.removeAll()
                quoted = true
                quoteLine = line
            } else {
                if wasQuoted, byte != UInt8(ascii: " ") {
                    throw CSVError(
                        line: line, column: fields.count + 1,
                        expected: "the separator or the end of the line after a closing quote")
                }
                if !wasQuoted { field.append(byte) }
            }
            index += 1
        }
        if quoted {
            throw CSVError(
                line: quoteLine, column: fields.count + 1,
                expected: "a closing quote for the field whose quote opens on this line")
        }
        if !field.isEmpty || !fields.isEmpty || wasQuoted { endRecord() }
        return records
    }
}

/// A CSV file that cannot be read as CSV: the line, the column (1-based, where it applies) and
/// what was expected there.
public struct CSVError: Error, CustomStringConvertible, Sendable, Equatable {
    public var line: Int
    public var column: Int?
    public var expected: String

    public init(line: Int, column: Int?, expected: String) {
        self.line = line
        self.column = column
        self.expected = expected
    }

    public var description: String {
        "line \(line)\(column.map { ", column \($0)" } ?? ""): \(expected)"
    }
}
