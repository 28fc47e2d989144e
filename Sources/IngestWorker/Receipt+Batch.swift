import MonitoringRecords
import ReadingIntake
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
