import Foundation
import MonitoringRecords
import Vitals

/// Reads one data row of `tele-ingest import` (`serial,kind,value,unit,measured_at`) into a
/// prepared message, with the same unit, range and time rules as a device message.
public struct ImportRowDecoder: Sendable {
    /// The profile id stored with imported readings.
    public static let profileID = "csv-import"

    /// Plausible ranges for imported readings, in canonical units (no device profile applies).
    /// Wide on purpose: they catch typing and unit errors, not clinical extremes.
    public static let plausible: [ReadingKind: ClosedRange<Double>] = [
        .weight: 20...350, .systolic: 40...300, .diastolic: 20...200, .pulse: 20...250,
    ]

    public init() {}

    /// The header line `tele-ingest import` expects.
    public static let header = "serial,kind,value,unit,measured_at"

    /// The column names, in order.
    public static let columns = header.split(separator: ",").map(String.init)

    /// Reads one data row, as `tele-ingest import` journals it: the record's fields as one
    /// comma-separated row (`CSVFile.row`). Every refusal names the column and what was expected.
    public func prepare(row: Data) throws(Rejection) -> PreparedMessage {
        guard let text = String(data: row, encoding: .utf8) else {
            throw Rejection(.malformedJSON, "the row is not UTF-8 text")
        }
        let fields: [String]
        do {
            fields = try CSVFile.fields(ofRow: text)
        } catch {
            throw Rejection(.missingField, "the row cannot be read as CSV: \(error.expected)")
        }
        guard fields.count == 5 else {
            throw Rejection(.missingField, Self.columnCountProblem(fields))
        }
        func column(_ index: Int) -> String { "column \(index + 1) (\(Self.columns[index]))" }
        guard !fields[0].isEmpty else {
            throw Rejection(.missingField, "\(column(0)): expected a device serial, found nothing")
        }
        let serial = DeviceSerial(fields[0])
        guard let kind = ReadingKind(rawValue: fields[1].lowercased()) else {
            throw Rejection(
                .wrongType,
                "\(column(1)): expected one of \(ReadingKind.allCases.map(\.rawValue).joined(separator: ", ")), found '\(fields[1])'",
                serial: serial)
        }
        guard let value = Self.number(fields[2]) else {
            throw Rejection(
                .wrongType, "\(column(2)): expected a number like 82.4, found '\(fields[2])'", serial: serial)
        }
        guard value.isFinite else {
            throw Rejection(.notANumber, "\(column(2)): expected a finite number, found '\(fields[2])'", serial: serial)
        }
        guard let unit = MeasurementUnit(spelling: fields[3]) else {
            throw Rejection(
                .wrongUnit, "\(column(3)): expected a unit such as kg, lb, mmHg, kPa or bpm, found '\(fields[3])'",
                serial: serial)
        }
        let timestamp: Timestamp
        do {
            timestamp = try Timestamp.parseISO8601(fields[4])
        } catch {
            throw Rejection(.badTimestamp, "column 5 (measured_at): \(error)", serial: serial)
        }
        let time: MeasurementTime =
            timestamp.offsetSeconds == nil ? .local(timestamp) : .instant(timestamp.date(in: .gmt)!)
        let row = DecodedMessage(
            profileID: Self.profileID, serial: serial, messageID: nil,
            measurements: [DecodedMeasurement(kind: kind, original: Quantity(value, unit), time: time)])
        return try MessageDecoder.normalise(row, plausible: Self.plausible, source: nil)
    }

    /// A value with a decimal point, or a decimal comma (`82,4`, as Danish spreadsheets write
    /// it): there is no thousands separator in a vital sign, so the comma is unambiguous.
    static func number(_ text: String) -> Double? {
        if let value = Double(text) { return value }
        guard text.range(of: #"^[+-]?[0-9]+,[0-9]+$"#, options: .regularExpression) != nil else { return nil }
        return Double(text.replacingOccurrences(of: ",", with: "."))
    }

    /// Why a row has the wrong number of columns, with the likely cause when there is one.
    static func columnCountProblem(_ fields: [String]) -> String {
        var problem = "expected 5 columns (\(header)), found \(fields.count)"
        if fields.count == 6, Int(fields[2]) != nil, Int(fields[3]) != nil {
            problem +=
                ": '\(fields[2]),\(fields[3])' in column 3 (value) looks like a decimal comma in a comma-separated file; write \(fields[2]).\(fields[3]), put the value in quotes, or separate the columns with ';'"
        }
        return problem
    }
}
