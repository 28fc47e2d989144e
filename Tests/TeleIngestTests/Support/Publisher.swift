import BrokerSettings
import Foundation
import Logging
import MQTT
import Synchronization
import TeleIngest

/// A test publisher on the real broker: clean session, QoS 1, and a way to wait until the
/// broker has acknowledged everything sent.
final class Publisher: Sendable {
    let connection: MQTTConnection
    private let sent = Counter()

    init(
        broker: Broker, clientID: String = "test-pub-\(UInt32.random(in: 0...UInt32.max))", subscribe: [String] = [],
        onMessage: @escaping @Sendable (MQTTMessage) -> Void = { _ in }
    ) async throws {
        connection = try MQTTConnection(
            endpoint: BrokerEndpoint(host: "127.0.0.1", port: broker.port),
            options: SessionOptions(clientID: clientID, cleanSession: true, topicFilters: subscribe),
            logger: Logger(label: "test-publisher"), onMessage: onMessage)
        try connection.start()
        guard await connection.waitUntilConnected() else { throw TestSetupError("publisher could not connect") }
    }

    func publish(_ topic: String, _ payload: String) throws {
        try publish(topic, Data(payload.utf8))
    }

    func publish(_ topic: String, _ payload: Data) throws {
        try connection.publish(topic: topic, payload: payload, qos: 1)
        sent.increment()
    }

    /// Waits until the broker acknowledged every message published so far.
    func flush(timeout: Duration = .seconds(30)) async throws {
        let expected = sent.value
        guard await eventually(timeout: timeout, { connection.acknowledgedPublishes >= expected }) else {
            throw TestSetupError("broker acknowledged \(connection.acknowledgedPublishes) of \(expected) messages")
        }
    }

    func close() { connection.stop() }
}

final class Counter: Sendable {
    private let storage = Mutex(0)
    func increment() { storage.withLock { $0 += 1 } }
    var value: Int { storage.withLock { $0 } }
}
