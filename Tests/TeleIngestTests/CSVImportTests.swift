import Foundation
import Testing
import Vitals

@testable import DevicePayloads
@testable import TeleIngest

/// `tele-ingest import` reads CSV as spreadsheets and scripts write it; every refusal names the
/// line, the column and what was expected.
@Suite struct CSVImportTests {
    static let header = "serial,kind,value,unit,measured_at"

    @Test(
        "line ends, byte order mark, quoting and separators as spreadsheets write them",
        arguments: [
            ("LF", "a,b\n1,2\n", ",", [[1, "a", "b"], [2, "1", "2"]]),
            ("CR LF", "a,b\r\n1,2\r\n", ",", [[1, "a", "b"], [2, "1", "2"]]),
            ("BOM and CR LF, no final line end", "\u{FEFF}a,b\r\n1,2", ",", [[1, "a", "b"], [2, "1", "2"]]),
            ("old Mac CR", "a,b\r1,2\r", ",", [[1, "a", "b"], [2, "1", "2"]]),
            (
                "quoted separator, doubled quote", "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n", ",",
                [[1, "a", "b"], [2, "x,y", "say \"hi\""]]
            ),
            (
                "a quoted line break keeps the record's first line", "a,b\n\"two\nlines\",2\n3,4\n", ",",
                [[1, "a", "b"], [2, "two\nlines", "2"], [4, "3", "4"]]
            ),
            ("semicolons and decimal commas", "a;b\n82,4;x\n", ";", [[1, "a", "b"], [2, "82,4", "x"]]),
            ("blank lines and spaces around fields", "a , b\n\n 1 ,2\n\n", ",", [[1, "a", "b"], [3, "1", "2"]]),
        ] as [(String, String, String, [[any Sendable]])])
    func reads(name: String, text: String, separator: String, expected: [[any Sendable]]) throws {
        let file = try CSVFile.read(Data(text.utf8), expectedColumns: 2)
        #expect(String(file.separator) == separator, "\(name)")
        let want = expected.map { CSVFile.Record(line: $0[0] as! Int, fields: $0.dropFirst().map { $0 as! String }) }
        #expect(file.records == want, "\(name)")
    }

    @Test(
        "a file that is not CSV is refused with the line, the column and what was expected",
        arguments: [
            ("a,b\n1,\"open\n2,3\n", 2, 2, "a closing quote"),
            ("a,b\n1,ab\"c\"\n", 2, 2, "a quote inside a field"),
            ("a,b\n1,\"ab\"c\n", 2, 2, "the separator or the end of the line after a closing quote"),
        ])
    func refusesBrokenCSV(text: String, line: Int, column: Int, expected: String) {
        #expect {
            try CSVFile.read(Data(text.utf8), expectedColumns: 2)
        } throws: { error in
            guard let error = error as? CSVError else { return false }
            return error.line == line && error.column == column && error.expected.contains(expected)
        }
    }

    @Test("a file in another encoding than UTF-8 is refused on the first line that is not UTF-8")
    func refusesLatin1() {
        let text = "serial,kind,value,unit,measured_at\nHV10-1,weight,82.4,kg,2026-11-01\nHV10-1,weight,82.4,kg,målt\n"
        let data = text.data(using: .isoLatin1)!
        #expect {
            try ImportFile(data: data, name: "x.csv")
        } throws: { error in
            "\(error)".hasPrefix("line 3:") && "\(error)".contains("UTF-8")
        }
    }

    @Test(
        "the header is checked column by column",
        arguments: [
            ("serial,kind,vaerdi,unit,measured_at", 3, "column 3 must be 'value', found 'vaerdi'"),
            ("serial,kind,value,unit", 5, "column 5 must be 'measured_at', found nothing"),
            ("serial,kind,value,unit,measured_at,note", 6, "nothing after it, found 'note'"),
            ("HV10-00017,weight,82.4,kg,2026-11-01", 1, "column 1 must be 'serial', found 'hv10-00017'"),
        ])
    func header(line: String, column: Int, expected: String) {
        #expect {
            try ImportFile(data: Data((line + "\n").utf8), name: "x.csv")
        } throws: { error in
            guard let error = error as? CSVError else { return false }
            return error.line == 1 && error.column == column && error.expected.contains(expected)
        }
    }

    @Test("rows keep the line they start on and are journaled as comma-separated rows")
    func rows() throws {
        let text =
            "\u{FEFF}serial;kind;value;unit;measured_at\r\nHV10-1;weight;82,4;kg;2026-11-01 07:00\r\n\r\n\"HV,2\";pulse;61;bpm;2026-11-01 07:05\r\n"
        let file = try ImportFile(data: Data(text.utf8), name: "week.csv")
        #expect(file.separator == ";")
        #expect(file.rows.map(\.line) == [2, 4])
        #expect(file.rows.map(\.topic) == ["import/week.csv/line/2", "import/week.csv/line/4"])
        #expect(
            file.rows.map { String(decoding: $0.payload, as: UTF8.self) } == [
                "HV10-1,weight,\"82,4\",kg,2026-11-01 07:00", "\"HV,2\",pulse,61,bpm,2026-11-01 07:05",
            ])
    }

    @Test(
        "each refused row names its column and what was expected",
        arguments: [
            ("HV10-00017,wieght,82.4,kg,2026-11-01 07:00", "column 2 (kind): expected one of weight"),
            (
                "HV10-00017,weight,heavy,kg,2026-11-01 07:00",
                "column 3 (value): expected a number like 82.4, found 'heavy'"
            ),
            ("HV10-00017,weight,82.4,stone,2026-11-01 07:00", "column 4 (unit): expected a unit such as kg"),
            ("HV10-00017,weight,82.4,kg,yesterday", "column 5 (measured_at)"),
            (",weight,82.4,kg,2026-11-01 07:00", "column 1 (serial): expected a device serial, found nothing"),
            (
                "HV10-00017,weight,82,4,kg,2026-11-01 07:00",
                "expected 5 columns (serial,kind,value,unit,measured_at), found 6: '82,4' in column 3 (value) looks like a decimal comma"
            ),
        ])
    func rowRefusals(row: String, expected: String) {
        #expect {
            try ImportRowDecoder().prepare(row: Data(row.utf8))
        } throws: { error in
            (error as? Rejection)?.message.contains(expected) == true
        }
    }

    @Test("a decimal comma is read as the decimal point it means")
    func decimalComma() throws {
        let prepared = try ImportRowDecoder().prepare(row: Data("HV10-00017,weight,\"82,4\",kg,2026-11-01 07:00".utf8))
        #expect(prepared.readings.first?.original.value == 82.4)
        #expect(ImportRowDecoder.number("1,5e3") == nil)
    }

    /// Writes `rows` with Python's csv module (CR LF line ends), optionally with a byte order
    /// mark (`utf-8-sig`, as Excel's "CSV UTF-8" writes) and `;` between the columns.
    static func pythonCSV(_ rows: [[String]], to url: URL, encoding: String, delimiter: String) throws {
        let script = """
            import csv, json, sys
            rows = json.loads(sys.argv[2])
            with open(sys.argv[1], "w", newline="", encoding=sys.argv[3]) as f:
                csv.writer(f, delimiter=sys.argv[4]).writerows(rows)
            """
        let json = String(decoding: try JSONSerialization.data(withJSONObject: rows), as: UTF8.self)
        let output = url.deletingLastPathComponent().appendingPathComponent("python.out")
        let python = try ChildProcess(
            executable: try Paths.program("python3").path,
            arguments: ["-c", script, url.path, json, encoding, delimiter],
            output: output.path)
        #expect(python.wait() == 0, "\((try? String(contentsOf: output, encoding: .utf8)) ?? "")")
    }

    @Test(
        "files written by Python's csv module and by a Danish spreadsheet import",
        arguments: [("utf-8", ","), ("utf-8-sig", ","), ("utf-8-sig", ";")])
    func importsSpreadsheetFiles(encoding: String, delimiter: String) async throws {
        try await withTemporaryDirectory { directory in
            let database = TeleIngestDatabase("csv.sqlite", in: directory)
            func run(_ arguments: [String]) throws -> String { try database.run(arguments) }
            try database.addPatientOne(serial: "HV10-00017", pairedFrom: "2026-09-01T00:00:00Z")
            let decimal = delimiter == ";" ? "," : "."
            let csv = directory.appendingPathComponent("readings.csv")
            try Self.pythonCSV(
                [
                    Self.header.split(separator: ",").map(String.init),
                    ["HV10-00017", "weight", "82\(decimal)4", "kg", "2026-11-01 07:00:00"],
                    ["HV10-00017", "weight", "82\(decimal)9", "kg", "2026-11-02T07:00:00+01:00"],
                    ["HV10-00017", "pulse", "64", "bpm", "2026-11-02T07:05:00+01:00"],
                ], to: csv, encoding: encoding, delimiter: delimiter)
            let bytes = try Data(contentsOf: csv)
            #expect(bytes.contains(13), "Python's csv module ends lines with CR LF")
            let output = try run(["import", csv.path])
            #expect(output.contains("imported 3 rows: 3 stored"), "\(output)")
            let readings = try run(["readings", "--patient", "P-0001", "--kind", "weight", "--json"])
            #expect(readings.contains("82.9"), "\(readings)")
        }
    }

    @Test("a refused row is listed by line and column, without the value found")
    func refusalsListed() async throws {
        try await withTemporaryDirectory { directory in
            let db = directory.appendingPathComponent("csv.sqlite").path
            let csv = directory.appendingPathComponent("typos.csv")
            try
                "\(Self.header)\r\nHV10-00017,weight,Test Person,kg,2026-11-01 07:00\r\nHV10-00017,weight,82,4,kg,2026-11-01 07:00\r\n"
                .write(to: csv, atomically: true, encoding: .utf8)
            let (status, output) = try teleIngest(["import", csv.path, "--db", db], in: directory)
            #expect(status == 0, "\(output)")
            #expect(output.contains("2 quarantined"))
            #expect(
                output.contains("line 2: wrong_type: column 3 (value): expected a number like 82.4, found '…'"),
                "\(output)")
            #expect(output.contains("line 3: missing_field: expected 5 columns"), "\(output)")
            #expect(!output.contains("Test Person"))
            let header = directory.appendingPathComponent("header.csv")
            try "serial;kind;værdi;unit;measured_at\n".write(to: header, atomically: true, encoding: .utf8)
            let refused = try teleIngest(["import", header.path, "--db", db], in: directory)
            #expect(refused.status != 0)
            #expect(refused.output.contains("line 1, column 3:"), "\(refused.output)")
            #expect(refused.output.contains("found 'værdi'"), "\(refused.output)")
        }
    }
}
