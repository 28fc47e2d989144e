/// How one MQTT session behaves: who we are to the broker, what we subscribe to, how we retry.
public struct SessionOptions: Sendable, Hashable {
    /// Fixed client id; with `cleanSession == false` the broker keeps our subscriptions and
    /// queues QoS 1 messages for us while we are away.
    public var clientID: String
    /// `false` (the default) asks the broker for a persistent session.
    public var cleanSession: Bool
    /// Topic filters to subscribe to at `qos` on every connect.
    public var topicFilters: [String]
    /// QoS for the subscriptions; 1 is what the delivery guarantee is built on.
    public var qos: Int32
    /// Seconds between keep-alive pings.
    public var keepAliveSeconds: Int32
    /// First reconnect delay in seconds; doubles on each failed attempt up to `reconnectDelayMax`.
    public var reconnectDelay: UInt32
    /// Cap of the exponential reconnect backoff, in seconds.
    public var reconnectDelayMax: UInt32
    /// How many of our QoS 1 publishes may wait for the broker's PUBACK at once
    /// (`mosquitto_max_inflight_messages_set`); more wait in libmosquitto's queue. `nil`:
    /// libmosquitto's default of 20. The service publishes a receipt for nearly every message it
    /// stores, and its network thread also commits each incoming message before acknowledging
    /// it, so 20 receipts in flight held a year's replay to a third of its processing rate
    /// (docs/PERFORMANCE.md).
    public var publishWindow: UInt32?

    public init(
        clientID: String,
        cleanSession: Bool = false,
        topicFilters: [String] = [],
        qos: Int32 = 1,
        keepAliveSeconds: Int32 = 30,
        reconnectDelay: UInt32 = 1,
        reconnectDelayMax: UInt32 = 60,
        publishWindow: UInt32? = nil
    ) {
        self.clientID = clientID
        self.cleanSession = cleanSession
        self.topicFilters = topicFilters
        self.qos = qos
        self.keepAliveSeconds = keepAliveSeconds
        self.reconnectDelay = reconnectDelay
        self.reconnectDelayMax = reconnectDelayMax
        self.publishWindow = publishWindow
    }
}
