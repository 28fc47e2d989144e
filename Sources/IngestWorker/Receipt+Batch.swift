import MonitoringRecords
import ReadingIntake
import StoreInterface
import TeleIngest

extension Receipt {
    /// Receipts for a committed batch, one per serial, for MQTT messages only.
    public static func receipts(for results: [MessageResult]) -> [Receipt] {
        var bySerial: [DeviceSerial: [Receipt.Entry]] = [:]
        var order: [DeviceSerial] = []
        for result in results where result.source == .mqtt {
            guard let serial = result.serial else { continue }
            if bySerial[serial] == nil { order.append(serial) }
            bySerial[serial, default: []].append(
                Receipt.Entry(messageId: result.messageID, outcome: result.outcome.rawValue))
        }
        return order.map { Receipt(serial: $0, messages: bySerial[$0]!) }
    }
}

extension Receipt {
    /// The receipt as JSON with sorted keys, as Foundation's encoder with `.sortedKeys` writes
    /// it (but for `/`, which it escapes and this does not; both read the same), written
    /// directly: a receipt goes out for nearly every message, and encoding them through
    /// Foundation was a twentieth of the processing thread's time (docs/PERFORMANCE.md).
    public var json: String {
        var text = #"{"messages":["#
        for (index, entry) in messages.enumerated() {
            if index > 0 { text += "," }
            text += "{"
            if let id = entry.messageId { text += #""messageId":"# + JSONText.quoted(id) + "," }
            text += #""outcome":"# + JSONText.quoted(entry.outcome) + "}"
        }
        return text + #"],"serial":"# + JSONText.quoted(serial.rawValue) + "}"
    }
}
