import Foundation

/// A message as it arrived from the broker, copied out of libmosquitto's memory.
public struct MQTTMessage: Sendable, Hashable {
    /// The topic the message was published to.
    public var topic: String
    /// The payload bytes, untouched.
    public var payload: Data
    /// The QoS the message was delivered with.
    public var qos: Int32
    /// Whether the broker delivered it as a retained message.
    public var retained: Bool

    public init(topic: String, payload: Data, qos: Int32 = 1, retained: Bool = false) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retained = retained
    }
}
