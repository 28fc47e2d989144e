import DevicePayloads
import Foundation

/// libFuzzer entry point for the payload path: profile matching, decoding, normalisation and
/// validation of a device message (`MessageDecoder.prepare`), and the CSV import row decoder.
/// Input: the first byte picks the path, then a topic up to the first newline, then the payload.
/// A rejection is the expected outcome for junk; anything else — a crash, a trap, an address
/// sanitizer report, a hang — is a finding.
let decoder: MessageDecoder = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    do {
        return MessageDecoder(
            profiles: try DeviceProfileSet.load(directory: root.appendingPathComponent("device-profiles")))
    } catch {
        fatalError("cannot load the device profiles: \(error)")
    }
}()
let rows = ImportRowDecoder()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    guard let mode = bytes.first else { return 0 }
    let rest = bytes.dropFirst()
    if mode % 4 == 3 {
        _ = try? rows.prepare(row: Data(rest))
        return 0
    }
    let newline = rest.firstIndex(of: 0x0A) ?? rest.endIndex
    let topic = String(decoding: rest[rest.startIndex..<newline], as: UTF8.self)
    let payload = Data(newline < rest.endIndex ? rest[(newline + 1)...] : [])
    _ = try? decoder.prepare(topic: topic, payload: payload)
    return 0
}
