import BrokerSettings
import DevicePayloads
import Foundation
import IngestWorker
import Logging
import MQTT
import MonitoringRecords
import ReadingIntake
import ServiceConfiguration
import Synchronization
import Testing

@testable import TeleIngest

/// The shipped production broker configuration (`deploy/mosquitto/mosquitto-secure.conf` with
/// `deploy/mosquitto/acl`), with device credentials made by `deploy/mosquitto/add-device` and a
/// test CA made on the fly: who can get in, and where each may publish and read.
@Suite(.serialized) struct BrokerSecurityTests {
    struct Setup {
        var broker: Broker
        var tls: BrokerEndpoint.TLS
        var passwords: [String: String]
    }

    /// A broker on the shipped secure configuration; credentials for tele-ingest and two scales.
    static func withSecureBroker(_ body: (Setup) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            try BrokerTLSTests.makeCredentials(in: directory)  // CA, server certificate, tele-ingest's password
            let passwd = directory.appendingPathComponent("passwd").path
            var passwords = ["tele-ingest": "test-password-not-secret"]
            for serial in ["HV10-00017", "HV10-00042"] {
                let output = directory.appendingPathComponent("add-\(serial).out")
                let child = try ChildProcess(
                    executable: Paths.packageRoot.appendingPathComponent("deploy/mosquitto/add-device").path,
                    arguments: [passwd, serial], output: output.path)
                #expect(child.wait() == 0)
                let line = try String(contentsOf: output, encoding: .utf8).split(separator: "\n").last ?? ""
                let parts = line.split(separator: " ")
                try #require(parts.count == 2 && parts[0] == serial)
                passwords[serial] = String(parts[1])
            }
            let broker = try Broker(
                directory: directory,
                listener: [
                    "listener {port} 127.0.0.1",
                    "cafile \(directory.path)/ca.pem",
                    "certfile \(directory.path)/server.pem",
                    "keyfile \(directory.path)/server.key",
                    "tls_version tlsv1.2",
                    "password_file \(passwd)",
                    "acl_file \(Paths.packageRoot.appendingPathComponent("deploy/mosquitto/acl").path)",
                ],
                shipped: Paths.packageRoot.appendingPathComponent("deploy/mosquitto/mosquitto-secure.conf"))
            try await broker.start()
            defer { broker.stop() }
            try await body(
                Setup(
                    broker: broker, tls: BrokerEndpoint.TLS(caFile: directory.appendingPathComponent("ca.pem").path),
                    passwords: passwords))
        }
    }

    /// The topics a client received.
    final class Topics: Sendable {
        private let topics = Mutex<[String]>([])
        func append(_ topic: String) { topics.withLock { $0.append(topic) } }
        var all: [String] { topics.withLock { $0 } }
    }

    static func device(_ setup: Setup, _ user: String?, subscribe: [String] = [], received: Topics? = nil)
        throws -> MQTTConnection
    {
        let connection = try MQTTConnection(
            endpoint: BrokerEndpoint(
                host: "127.0.0.1", port: setup.broker.port, username: user,
                password: user.flatMap { setup.passwords[$0] },
                tls: setup.tls),
            options: SessionOptions(
                clientID: "device-\(user ?? "anonymous")", cleanSession: true, topicFilters: subscribe),
            logger: Logger(label: "test-device"),
            onMessage: { message in received?.append(message.topic) })
        try connection.start()
        return connection
    }

    static func weighing(_ serial: String, _ id: String) -> Data {
        Data(
            #"{"serial": "\#(serial)", "msg_id": "\#(id)", "measured": "2026-11-20T07:12:03+01:00", "weight": 82.4, "unit": "kg"}"#
                .utf8)
    }

    @Test("anonymous clients are refused; devices and the service get in over TLS with their own credentials")
    func whoGetsIn() async throws {
        try await Self.withSecureBroker { setup in
            let anonymous = try Self.device(setup, nil)
            defer { anonymous.stop() }
            #expect(
                try await eventually(timeout: .seconds(10)) {
                    if case .disconnected(let reason) = anonymous.state {
                        return reason.lowercased().contains("not authori")
                    }
                    return false
                })
            let device = try Self.device(setup, "HV10-00017")
            defer { device.stop() }
            #expect(await device.waitUntilConnected())
        }
    }

    @Test("a device can publish only under its own serial and read only its own receipts")
    func devicesStayInTheirLane() async throws {
        try await Self.withSecureBroker { setup in
            try await withIngestService(
                broker: setup.broker, directory: setup.broker.directory,
                configure: { configuration in
                    configuration.broker.tls = setup.tls
                    configuration.broker.username = "tele-ingest"
                    configuration.broker.password = setup.passwords["tele-ingest"]
                    configuration.receipts.enabled = true
                },
                prepare: { store in
                    try store.pair(serial: "HV10-00042", patientID: "P-0002", from: TestCohort.pairedFrom)
                }
            ) { service in
                let seenBy17 = Topics()
                let seenBy42 = Topics()
                let device17 = try Self.device(
                    setup, "HV10-00017", subscribe: ["telekit/+/receipt", "telekit/#"], received: seenBy17)
                defer { device17.stop() }
                let device42 = try Self.device(
                    setup, "HV10-00042", subscribe: ["telekit/HV10-00042/receipt"], received: seenBy42)
                defer { device42.stop() }
                #expect(await device17.waitUntilConnected())
                #expect(await device42.waitUntilConnected())
                // 17 tries to put a reading on 42's topic (the broker drops it), then sends its own.
                try device17.publish(topic: "telekit/HV10-00042/hv10", payload: Self.weighing("HV10-00042", "forged"))
                try device17.publish(topic: "telekit/HV10-00017/hv10", payload: Self.weighing("HV10-00017", "own"))
                // 17 names 42 in the payload under its own topic: the service quarantines it.
                try device17.publish(topic: "telekit/HV10-00017/hv10", payload: Self.weighing("HV10-00042", "inside"))
                try device42.publish(topic: "telekit/HV10-00042/hv10", payload: Self.weighing("HV10-00042", "real"))
                let store = service.store
                #expect(
                    try await eventually {
                        try store.journalBacklog() == 0 && store.readingCount() == 2 && store.quarantine().count == 1
                    })
                #expect(try await eventually { seenBy42.all.contains("telekit/HV10-00042/receipt") })
                // Messages from one client arrive in order: had the forged one got through, it
                // would be in the journal before 17's own reading.
                #expect(try store.readings(patientID: "P-0002").map(\.messageID) == ["real"])
                #expect(try store.readings(patientID: "P-0001").map(\.messageID) == ["own"])
                #expect(try store.quarantine().map(\.reason) == [.serialMismatch])
                // 17 saw its own receipt at most, nothing of 42's readings or receipts.
                #expect(seenBy17.all.allSatisfy { $0 == "telekit/HV10-00017/receipt" }, "\(seenBy17.all)")
            }
        }
    }

    @Test("add-device refuses a serial that could widen the access list")
    func addDeviceRefusesWildcards() async throws {
        try await withTemporaryDirectory { directory in
            for serial in ["HV10+", "#", "a/b", "", String(repeating: "x", count: 80)] {
                let child = try ChildProcess(
                    executable: Paths.packageRoot.appendingPathComponent("deploy/mosquitto/add-device").path,
                    arguments: [directory.appendingPathComponent("passwd").path, serial],
                    output: directory.appendingPathComponent("out").path)
                #expect(child.wait() != 0, "accepted '\(serial)'")
            }
        }
    }
}
