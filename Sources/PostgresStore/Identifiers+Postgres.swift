import MonitoringRecords
import NIOCore
import PostgresNIO

// The typed ids are their text in PostgreSQL's columns and `text[]` parameters. Written out,
// not left to postgres-nio's defaults: the ids are both `Codable` (JSON) and `RawRepresentable`,
// and its default codings for the two clash.

extension PatientID: PostgresTextIdentifier {}
extension DeviceSerial: PostgresTextIdentifier {}

/// An id kept as PostgreSQL `text`. Its encoding cannot fail, so a query with ids (or arrays of
/// them) among its values is made without `try` (as a `BatchStatement`'s is).
protocol PostgresTextIdentifier: RawRepresentable<String>, PostgresArrayEncodable, PostgresNonThrowingEncodable,
    PostgresArrayDecodable
{
    init(rawValue: String)
}

extension PostgresTextIdentifier {
    public static var psqlType: PostgresDataType { String.psqlType }
    public static var psqlFormat: PostgresFormat { String.psqlFormat }
    public static var psqlArrayType: PostgresDataType { String.psqlArrayType }

    public func encode<JSONEncoder: PostgresJSONEncoder>(
        into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        rawValue.encode(into: &byteBuffer, context: context)
    }

    public init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
        context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        self.init(rawValue: try String(from: &buffer, type: type, format: format, context: context))
    }
}
