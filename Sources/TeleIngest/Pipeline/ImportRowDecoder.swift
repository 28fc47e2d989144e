import Foundation
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

    public func prepare(row: Data) throws(Rejection) -> PreparedMessage {
        guard let text = String(data: row, encoding: .utf8) else {
            throw Rejection(.malformedJSON, "the row is not UTF-8 text")
        }
        let fields = text.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard fields.count == 5 else {
            throw Rejection(.missingField, "expected 5 columns (\(Self.header)), found \(fields.count)")
        }
        let serial = fields[0]
        guard !serial.isEmpty else { throw Rejection(.missingField, "the serial column is empty") }
        guard let kind = ReadingKind(rawValue: fields[1].lowercased()) else {
            throw Rejection(
                .wrongType,
                "kind '\(fields[1])' is not one of \(ReadingKind.allCases.map(\.rawValue).joined(separator: ", "))",
                serial: serial)
        }
        guard let value = Double(fields[2]) else {
            throw Rejection(.wrongType, "value '\(fields[2])' is not a number", serial: serial)
        }
        guard value.isFinite else {
            throw Rejection(.notANumber, "value '\(fields[2])' is not a finite number", serial: serial)
        }
        guard let unit = MeasurementUnit(spelling: fields[3]) else {
            throw Rejection(.wrongUnit, "unit '\(fields[3])' is not a unit this product knows", serial: serial)
        }
        let timestamp: Timestamp
        do {
            timestamp = try Timestamp.parseISO8601(fields[4])
        } catch {
            throw Rejection(.badTimestamp, "measured_at: \(error)", serial: serial)
        }
        let time: MeasurementTime =
            timestamp.offsetSeconds == nil ? .local(timestamp) : .instant(timestamp.date(in: .gmt)!)
        let row = DecodedMessage(
            profileID: Self.profileID, serial: serial, messageID: nil,
            measurements: [DecodedMeasurement(kind: kind, original: Quantity(value, unit), time: time)])
        return try MessageDecoder.normalise(row, plausible: Self.plausible, source: nil)
    }
}
