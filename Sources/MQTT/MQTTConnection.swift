import BrokerSettings
import CMosquitto
import Foundation
import Logging
import Synchronization

/// One libmosquitto client: owns the `struct mosquitto *` handle from `mosquitto_new` to
/// `mosquitto_destroy` and runs libmosquitto's threaded network loop (`mosquitto_loop_start`).
///
/// Delivery contract: `onMessage` is called on libmosquitto's network thread, and for a QoS 1
/// message libmosquitto writes the PUBACK only after `onMessage` returns. So `onMessage` must
/// return only once the message is durably stored; whatever it has not stored when the process
/// dies is delivered again by the broker. (The blocking loop, `mosquitto_loop_forever`, would
/// acknowledge before the callback runs; it is not used.)
///
/// `@unchecked Sendable` because of the C handle: the pointer is written once in `init` and
/// freed once in `deinit`; after `mosquitto_loop_start` libmosquitto serialises access to the
/// handle with its own mutexes, which is what makes `mosquitto_publish` and
/// `mosquitto_disconnect` safe from other threads. All Swift-side mutable state is in `Mutex`es.
public final class MQTTConnection: @unchecked Sendable {
    private let handle: OpaquePointer
    private let endpoint: BrokerEndpoint
    private let options: SessionOptions
    private let logger: Logger
    private let onMessage: @Sendable (MQTTMessage) -> Void
    private let session = Mutex(Session())

    private struct Session {
        var state: ConnectionState = .idle
        var pendingSubscriptions: Set<Int32> = []
        var pendingUnsubscriptions: Set<Int32> = []
        var started = false
        var connects = 0
        var acknowledgedPublishes = 0
    }

    /// Initialises libmosquitto once per process (`mosquitto_lib_init`).
    private static let library: Void = {
        _ = mosquitto_lib_init()
    }()

    /// Creates the client handle (`mosquitto_new`) and applies credentials, TLS and backoff.
    /// Nothing touches the network until `start()`.
    public init(
        endpoint: BrokerEndpoint,
        options: SessionOptions,
        logger: Logger,
        onMessage: @escaping @Sendable (MQTTMessage) -> Void
    ) throws(MQTTError) {
        Self.library
        guard let handle = mosquitto_new(options.clientID, options.cleanSession, nil) else {
            throw MQTTError(
                function: "mosquitto_new", code: Int32(MOSQ_ERR_NOMEM.rawValue),
                context: "creating the MQTT client \(options.clientID)")
        }
        self.handle = handle
        self.endpoint = endpoint
        self.options = options
        self.logger = logger
        self.onMessage = onMessage
        mosquitto_user_data_set(handle, Unmanaged.passUnretained(self).toOpaque())
        mosquitto_connect_callback_set(handle, Self.connectCallback)
        mosquitto_disconnect_callback_set(handle, Self.disconnectCallback)
        mosquitto_subscribe_callback_set(handle, Self.subscribeCallback)
        mosquitto_unsubscribe_callback_set(handle, Self.unsubscribeCallback)
        mosquitto_message_callback_set(handle, Self.messageCallback)
        mosquitto_publish_callback_set(handle, Self.publishCallback)
        try check(
            mosquitto_reconnect_delay_set(handle, options.reconnectDelay, options.reconnectDelayMax, true),
            "mosquitto_reconnect_delay_set", "setting the reconnect backoff")
        if let window = options.publishWindow {
            try check(
                mosquitto_max_inflight_messages_set(handle, window), "mosquitto_max_inflight_messages_set",
                "setting the publish window to \(window)")
        }
        if let username = endpoint.username {
            try check(
                mosquitto_username_pw_set(handle, username, endpoint.password),
                "mosquitto_username_pw_set", "setting the broker user name")
        }
        if let tls = endpoint.tls {
            try check(
                mosquitto_tls_set(handle, tls.caFile, nil, tls.certFile, tls.keyFile, nil),
                "mosquitto_tls_set", "loading TLS files (CA \(tls.caFile))")
        }
    }

    deinit {
        mosquitto_destroy(handle)
    }

    /// The connection's state now.
    public var state: ConnectionState {
        session.withLock { $0.state }
    }

    /// How many times the connection has been established (the first time and every reconnect).
    public var connects: Int {
        session.withLock { $0.connects }
    }

    /// How many of our QoS ≥ 1 publishes the broker has acknowledged (PUBACK received).
    public var acknowledgedPublishes: Int {
        session.withLock { $0.acknowledgedPublishes }
    }

    /// Returns once the broker has acknowledged at least `count` of our QoS ≥ 1 publishes
    /// (checked every `interval`). A publisher that keeps `acknowledgedPublishes` within a few
    /// thousand of what it has published keeps libmosquitto's queue in this process small.
    public func waitUntilAcknowledged(_ count: Int, checking interval: Duration = .milliseconds(1)) async throws {
        while acknowledgedPublishes < count { try await Task.sleep(for: interval) }
    }

    /// Starts connecting (`mosquitto_connect_async`) and the network thread (`mosquitto_loop_start`).
    ///
    /// A broker that is not reachable yet is not an error: the loop keeps retrying with the
    /// configured backoff, and `state` says `disconnected` meanwhile.
    public func start() throws(MQTTError) {
        let alreadyStarted = session.withLock { session in
            defer { session.started = true }
            if !session.started { session.state = .connecting }
            return session.started
        }
        guard !alreadyStarted else { return }
        let rc = mosquitto_connect_async(handle, endpoint.host, Int32(endpoint.port), options.keepAliveSeconds)
        if rc != Int32(MOSQ_ERR_SUCCESS.rawValue) {
            let reason = String(cString: mosquitto_strerror(rc))
            session.withLock { $0.state = .disconnected(reason: reason) }
            logger.warning(
                "broker not reachable yet; retrying with backoff",
                metadata: ["broker": "\(endpoint.host):\(endpoint.port)", "reason": "\(reason)"])
        }
        try check(mosquitto_loop_start(handle), "mosquitto_loop_start", "starting the MQTT network thread")
    }

    /// Disconnects cleanly (`mosquitto_disconnect`) and waits for the network thread to end
    /// (`mosquitto_loop_stop`). A message callback in progress finishes first, so what it
    /// stored is acknowledged and nothing half-done is.
    public func stop() {
        let wasStarted = session.withLock { session in
            defer { session.started = false; session.state = .idle }
            return session.started
        }
        guard wasStarted else { return }
        _ = mosquitto_disconnect(handle)
        _ = mosquitto_loop_stop(handle, false)
    }

    /// Publishes `payload` to `topic` (`mosquitto_publish`); queued when not connected.
    public func publish(topic: String, payload: Data, qos: Int32 = 1, retain: Bool = false) throws(MQTTError) {
        let rc = payload.withUnsafeBytes { bytes in
            mosquitto_publish(handle, nil, topic, Int32(bytes.count), bytes.baseAddress, qos, retain)
        }
        try check(rc, "mosquitto_publish", "publishing to \(topic)")
    }

    /// Unsubscribes from `filters` (`mosquitto_unsubscribe`) and waits for the broker's
    /// acknowledgements. Messages the broker had queued for the session before still arrive.
    /// Returns `false` if they did not all come within `timeout`.
    public func unsubscribe(_ filters: [String], timeout: Duration = .seconds(10)) async throws(MQTTError) -> Bool {
        for filter in filters {
            var mid: Int32 = 0
            // Recorded under the lock before the acknowledgement can arrive on the network thread.
            try session.withLock { session throws(MQTTError) in
                try check(
                    mosquitto_unsubscribe(handle, &mid, filter), "mosquitto_unsubscribe", "unsubscribing from \(filter)"
                )
                session.pendingUnsubscriptions.insert(mid)
            }
        }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if session.withLock({ $0.pendingUnsubscriptions.isEmpty }) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return session.withLock { $0.pendingUnsubscriptions.isEmpty }
    }

    /// Waits until the session is connected and every subscription is acknowledged.
    /// Returns `false` if that did not happen within `timeout`.
    public func waitUntilConnected(timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if state == .connected { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return state == .connected
    }

    // MARK: - Events from the network thread

    private func connected(returnCode: Int32) {
        guard returnCode == 0 else {
            let reason = String(cString: mosquitto_connack_string(returnCode))
            session.withLock { $0.state = .disconnected(reason: reason) }
            logger.error(
                "broker refused the connection",
                metadata: ["broker": "\(endpoint.host):\(endpoint.port)", "reason": "\(reason)"])
            return
        }
        var pending: Set<Int32> = []
        for filter in options.topicFilters {
            var mid: Int32 = 0
            let rc = mosquitto_subscribe(handle, &mid, filter, options.qos)
            if rc == Int32(MOSQ_ERR_SUCCESS.rawValue) {
                pending.insert(mid)
            } else {
                logger.error(
                    "subscribing failed",
                    metadata: ["filter": "\(filter)", "reason": "\(String(cString: mosquitto_strerror(rc)))"])
            }
        }
        let connects = session.withLock { session in
            session.connects += 1
            session.pendingSubscriptions = pending
            session.state = pending.isEmpty ? .connected : .connecting
            return session.connects
        }
        logger.info(
            "connected to broker",
            metadata: [
                "broker": "\(endpoint.host):\(endpoint.port)", "clientID": "\(options.clientID)",
                "connects": "\(connects)",
            ])
    }

    private func subscribed(messageID: Int32, grantedQoS: [Int32]) {
        if grantedQoS.contains(where: { $0 > 2 }) {
            logger.error("broker refused a subscription (check the ACL)", metadata: ["mid": "\(messageID)"])
        }
        session.withLock { session in
            session.pendingSubscriptions.remove(messageID)
            if session.pendingSubscriptions.isEmpty, session.started { session.state = .connected }
        }
    }

    private func unsubscribed(messageID: Int32) {
        _ = session.withLock { $0.pendingUnsubscriptions.remove(messageID) }
    }

    private func disconnected(returnCode: Int32) {
        guard returnCode != 0 else { return }  // asked for by stop()
        let reason = String(cString: mosquitto_strerror(returnCode))
        let refused = session.withLock { session in
            // A refusal at CONNACK already says why (not authorised, bad client id); keep it.
            if case .disconnected = session.state { return true }
            session.state = .disconnected(reason: reason)
            return false
        }
        guard !refused else { return }
        logger.warning(
            "lost the broker; reconnecting with backoff",
            metadata: ["broker": "\(endpoint.host):\(endpoint.port)", "reason": "\(reason)"])
    }

    private func published() {
        session.withLock { $0.acknowledgedPublishes += 1 }
    }

    private func received(_ message: mosquitto_message) {
        // Copy topic and payload: libmosquitto frees both when the callback returns.
        let topic = message.topic.map { String(cString: $0) } ?? ""
        let payload =
            message.payload.map { Data(bytes: $0, count: Int(message.payloadlen)) } ?? Data()
        onMessage(MQTTMessage(topic: topic, payload: payload, qos: message.qos, retained: message.retain))
    }
}

// MARK: - C callbacks
//
// Defined as static members, outside any actor, typed `@convention(c)` and capturing nothing:
// libmosquitto calls them on its own thread. The connection travels in the user-data pointer,
// which stays valid because `deinit` destroys the handle (and with it the thread) first.
extension MQTTConnection {
    private static func connection(_ context: UnsafeMutableRawPointer?) -> MQTTConnection? {
        context.map { Unmanaged<MQTTConnection>.fromOpaque($0).takeUnretainedValue() }
    }

    private static let connectCallback: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int32) -> Void = {
        _, context, returnCode in
        connection(context)?.connected(returnCode: returnCode)
    }

    private static let disconnectCallback: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int32) -> Void =
        { _, context, returnCode in
            connection(context)?.disconnected(returnCode: returnCode)
        }

    private static let subscribeCallback:
        @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int32, Int32, UnsafePointer<Int32>?) -> Void = {
            _, context, messageID, count, granted in
            let grantedQoS = granted.map { Array(UnsafeBufferPointer(start: $0, count: Int(count))) } ?? []
            connection(context)?.subscribed(messageID: messageID, grantedQoS: grantedQoS)
        }

    private static let unsubscribeCallback: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int32) -> Void =
        { _, context, messageID in
            connection(context)?.unsubscribed(messageID: messageID)
        }

    private static let publishCallback: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int32) -> Void = {
        _, context, _ in
        connection(context)?.published()
    }

    private static let messageCallback:
        @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafePointer<mosquitto_message>?) -> Void = {
            _, context, message in
            guard let message else { return }
            connection(context)?.received(message.pointee)
        }
}
