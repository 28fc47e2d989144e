import Foundation

/// The receipt a gateway gets after its messages are committed, so it can drop its copies and
/// resend only what was never confirmed. Published to `<prefix>/<serial>/receipt`.
public struct Receipt: Sendable, Codable, Equatable {
    public var serial: DeviceSerial
    public var messages: [Entry]

    public init(serial: DeviceSerial, messages: [Entry]) {
        self.serial = serial
        self.messages = messages
    }

    /// One committed message.
    public struct Entry: Sendable, Codable, Equatable {
        /// The device's message id; `nil` for profiles without one (those gateways cannot match).
        public var messageId: String?
        /// `stored`, `duplicate` (had it already) or `quarantined` (kept, but resending will not help).
        public var outcome: String

        public init(messageId: String?, outcome: String) {
            self.messageId = messageId
            self.outcome = outcome
        }
    }
}
