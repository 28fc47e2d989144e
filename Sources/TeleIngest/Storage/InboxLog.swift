import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The inbox's file format: an append-only log of messages.
///
/// ```
/// header   "TIINBOX\u{1}"  8 bytes
///          trimmed through  Int64, little-endian: every id at or below it was moved and may be reused as space
/// record   body length      UInt32, little-endian
///          CRC-32 of body   UInt32, little-endian (IEEE, as zlib's)
///          body             id Int64, received at Int64 (ms since 1970), topic length UInt32, topic, payload
/// ```
///
/// Ids only grow. A record is appended with one `pwrite` and is whole once that returns: a killed
/// process leaves whole records behind it. A power loss may leave the end of the file torn; the
/// checksum finds the first record that is not whole, and opening cuts the file there.
enum InboxLog {
    static let magic: [UInt8] = Array("TIINBOX".utf8) + [1]
    static let headerSize: Int64 = 16
    /// Length and checksum before each body.
    static let recordPrefix = 8
    /// Id, arrival and topic length.
    static let bodyFixed = 20
    /// A body longer than this is not a record: MQTT's own limit on a message is 256 MiB.
    static let bodyLimit = 257 * 1024 * 1024

    /// The bytes of the header for `trimmedThrough`.
    static func header(trimmedThrough: Int64) -> [UInt8] {
        var bytes = magic
        bytes.appendLittleEndian(trimmedThrough)
        return bytes
    }

    /// The whole record of one message.
    static func record(id: Int64, topic: String, payload: Data, receivedAt: Int64) -> [UInt8] {
        let topicBytes = Array(topic.utf8)
        let bodyLength = bodyFixed + topicBytes.count + payload.count
        var bytes: [UInt8] = []
        bytes.reserveCapacity(recordPrefix + bodyLength)
        bytes.appendLittleEndian(UInt32(bodyLength))
        bytes.appendLittleEndian(UInt32(0))  // the checksum, below
        bytes.appendLittleEndian(id)
        bytes.appendLittleEndian(receivedAt)
        bytes.appendLittleEndian(UInt32(topicBytes.count))
        bytes.append(contentsOf: topicBytes)
        bytes.append(contentsOf: payload)
        let checksum = bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[recordPrefix...])) }
        withUnsafeBytes(of: checksum.littleEndian) { bytes.replaceSubrange(4..<8, with: $0) }
        return bytes
    }

    /// One record as read back.
    struct Record {
        var id: Int64
        /// Where the record starts in the file, and where the next one does.
        var offset: Int64
        var end: Int64
        var receivedAt: Int64
        var topic: String
        var payload: Data
    }

    /// Why reading stopped.
    enum Stop: Equatable {
        /// At the end given.
        case end
        /// The visitor asked to.
        case visitor
        /// At a record that is not whole (its length, checksum or id is wrong, or it runs past the end).
        case torn(at: Int64)
    }

    /// Visits the whole records of `descriptor` from `offset` to `end`, reading a MiB at a time;
    /// `decode` false leaves topic and payload empty (counting). `visit` returns false to stop.
    /// Ids must grow from record to record.
    static func scan(
        _ descriptor: Int32, from offset: Int64, to end: Int64, decode: Bool,
        _ visit: (Record) throws -> Bool
    ) throws -> Stop {
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var chunkStart = offset
        var position = offset
        var filled = 0
        var previousID: Int64 = 0
        while position < end {
            // The record at `position`: its prefix and body must be in the chunk.
            var inChunk = Int(position - chunkStart)
            if inChunk + recordPrefix > filled {
                try refill(descriptor, &chunk, from: position, to: end, filled: &filled)
                chunkStart = position
                inChunk = 0
                if filled < recordPrefix { return .torn(at: position) }
            }
            let bodyLength = Int(chunk.littleEndian(UInt32.self, at: inChunk))
            guard bodyLength >= bodyFixed, bodyLength <= bodyLimit else { return .torn(at: position) }
            let recordEnd = position + Int64(recordPrefix + bodyLength)
            guard recordEnd <= end else { return .torn(at: position) }
            if inChunk + recordPrefix + bodyLength > filled {
                if chunk.count < recordPrefix + bodyLength {
                    chunk = [UInt8](repeating: 0, count: recordPrefix + bodyLength)
                }
                try refill(descriptor, &chunk, from: position, to: end, filled: &filled)
                chunkStart = position
                inChunk = 0
                if filled < recordPrefix + bodyLength { return .torn(at: position) }
            }
            let bodyStart = inChunk + recordPrefix
            let stored = chunk.littleEndian(UInt32.self, at: inChunk + 4)
            let computed = chunk.withUnsafeBytes {
                CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[bodyStart..<(bodyStart + bodyLength)]))
            }
            let id = chunk.littleEndian(Int64.self, at: bodyStart)
            guard stored == computed, id > previousID else { return .torn(at: position) }
            let topicLength = Int(chunk.littleEndian(UInt32.self, at: bodyStart + 16))
            guard bodyFixed + topicLength <= bodyLength else { return .torn(at: position) }
            var record = Record(
                id: id, offset: position, end: recordEnd,
                receivedAt: chunk.littleEndian(Int64.self, at: bodyStart + 8), topic: "", payload: Data())
            if decode {
                let topicStart = bodyStart + bodyFixed
                record.topic = String(decoding: chunk[topicStart..<(topicStart + topicLength)], as: UTF8.self)
                record.payload = Data(chunk[(topicStart + topicLength)..<(bodyStart + bodyLength)])
            }
            previousID = id
            position = recordEnd
            if try !visit(record) { return .visitor }
        }
        return .end
    }

    /// Reads from `offset` as much as fits in `chunk` and the file holds before `end`.
    private static func refill(
        _ descriptor: Int32, _ chunk: inout [UInt8], from offset: Int64, to end: Int64, filled: inout Int
    ) throws {
        let wanted = Int(min(Int64(chunk.count), end - offset))
        filled = 0
        try chunk.withUnsafeMutableBytes { buffer in
            while filled < wanted {
                let count = pread(
                    descriptor, buffer.baseAddress! + filled, wanted - filled, off_t(offset) + off_t(filled))
                if count < 0 {
                    if errno == EINTR { continue }
                    throw InboxFailure.read(errno: errno)
                }
                if count == 0 { break }
                filled += count
            }
        }
    }

    /// Reads the header; nil when the file is shorter than one or is not an inbox log.
    static func readHeader(_ descriptor: Int32) throws -> (trimmedThrough: Int64, valid: Bool) {
        var bytes = [UInt8](repeating: 0, count: Int(headerSize))
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, Int(headerSize), 0) }
        guard count >= 0 else { throw InboxFailure.read(errno: errno) }
        guard count == Int(headerSize), Array(bytes[0..<8]) == magic else { return (0, false) }
        return (bytes.littleEndian(Int64.self, at: 8), true)
    }

    /// Writes all of `bytes` at `offset`.
    static func write(_ descriptor: Int32, _ bytes: [UInt8], at offset: Int64) throws {
        var written = 0
        try bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let count = pwrite(
                    descriptor, buffer.baseAddress! + written, buffer.count - written, off_t(offset) + off_t(written))
                if count < 0 {
                    if errno == EINTR { continue }
                    throw InboxFailure.write(errno: errno)
                }
                written += count
            }
        }
    }

    /// The file's first bytes are SQLite's: an inbox from before the log (a SQLite file).
    static func isSQLite(_ descriptor: Int32) -> Bool {
        var bytes = [UInt8](repeating: 0, count: 16)
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, 16, 0) }
        return count == 16 && bytes == Array("SQLite format 3".utf8) + [0]
    }
}

/// A failed system call on the inbox file, with the system's reason (never a message's content).
enum InboxFailure: Error, CustomStringConvertible {
    case open(errno: Int32)
    case read(errno: Int32)
    case write(errno: Int32)
    case sync(errno: Int32)

    var description: String {
        switch self {
        case .open(let code): "cannot open: \(String(cString: strerror(code)))"
        case .read(let code): "cannot read: \(String(cString: strerror(code)))"
        case .write(let code): "cannot write: \(String(cString: strerror(code)))"
        case .sync(let code): "cannot sync to disk: \(String(cString: strerror(code)))"
        }
    }
}

/// An open file descriptor, closed when the last holder lets go (a compaction swaps the file
/// while a read may still use the old one).
final class InboxFileDescriptor: Sendable {
    let value: Int32
    init(_ value: Int32) { self.value = value }
    deinit { close(value) }
}

/// CRC-32 (IEEE 802.3, reflected, as zlib's `crc32`).
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? (value >> 1) ^ 0xEDB8_8320 : value >> 1 }
        return value
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { table in
            for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return crc ^ 0xFFFF_FFFF
    }
}

extension [UInt8] {
    fileprivate mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    fileprivate func littleEndian<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }
}
