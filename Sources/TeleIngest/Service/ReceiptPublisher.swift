import Foundation

/// The receipt a gateway gets after its messages are committed, so it can drop its copies and
/// resend only what was never confirmed. Published to `<prefix>/<serial>/receipt`.
public struct Receipt: Sendable, Codable, Equatable {
    public var serial: String
    public var messages: [Entry]

    /// One committed message.
    public struct Entry: Sendable, Codable, Equatable {
        /// The device's message id; `nil` for profiles without one (those gateways cannot match).
        public var messageId: String?
        /// `stored`, `duplicate` (had it already) or `quarantined` (kept, but resending will not help).
        public var outcome: String
    }

    /// Receipts for a committed batch, one per serial, for MQTT messages only.
    public static func receipts(for results: [JournalProcessor.MessageResult]) -> [Receipt] {
        var bySerial: [String: [Entry]] = [:]
        var order: [String] = []
        for result in results where result.source == .mqtt {
            guard let serial = result.serial else { continue }
            if bySerial[serial] == nil { order.append(serial) }
            bySerial[serial, default: []].append(Entry(messageId: result.messageID, outcome: result.outcome.rawValue))
        }
        return order.map { Receipt(serial: $0, messages: bySerial[$0]!) }
    }
}
