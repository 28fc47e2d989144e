import BrokerSettings
import Foundation
import IngestWorker
import Logging
import MQTT
import ServiceConfiguration
import Testing

@testable import TeleIngest

/// TLS with a test CA made on the fly, and a broker that requires a user name and password.
@Suite(.serialized) struct BrokerTLSTests {
    /// Makes a CA and a server certificate for 127.0.0.1, and a password file with one user.
    static func makeCredentials(in directory: URL) throws {
        let extensions = directory.appendingPathComponent("san.cnf")
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(to: extensions, atomically: true, encoding: .utf8)
        let openssl = try Paths.program("openssl").path
        let log = directory.appendingPathComponent("openssl.log").path
        for arguments in [
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                "-subj", "/CN=TeleIngest Test CA",
            ],
            [
                "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj",
                "/CN=localhost",
            ],
            [
                "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
                "server.pem", "-days", "2", "-extfile", "san.cnf",
            ],
        ] {
            let child = try ChildProcess(
                executable: openssl,
                arguments: arguments.map {
                    $0.hasSuffix(".key") || $0.hasSuffix(".pem") || $0.hasSuffix(".csr") || $0.hasSuffix(".cnf")
                        ? directory.appendingPathComponent($0).path : $0
                },
                output: log)
            guard child.wait() == 0 else {
                throw TestSetupError(
                    "openssl \(arguments[0]) failed: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            }
        }
        let passwd = try ChildProcess(
            executable: Paths.program("mosquitto_passwd").path,
            arguments: [
                "-b", "-c", directory.appendingPathComponent("passwd").path, "tele-ingest", "test-password-not-secret",
            ], output: log)
        guard passwd.wait() == 0 else { throw TestSetupError("mosquitto_passwd failed") }
    }

    @Test("the service connects over TLS with a user name and password, and readings arrive")
    func tlsWithPassword() async throws {
        try await withTemporaryDirectory { directory in
            try Self.makeCredentials(in: directory)
            let broker = try Broker(
                directory: directory,
                listener: [
                    "listener {port} 127.0.0.1",
                    "cafile \(directory.path)/ca.pem",
                    "certfile \(directory.path)/server.pem",
                    "keyfile \(directory.path)/server.key",
                    "allow_anonymous false",
                    "password_file \(directory.path)/passwd",
                ])
            try await broker.start()
            defer { broker.stop() }
            let tls = BrokerEndpoint.TLS(caFile: directory.appendingPathComponent("ca.pem").path)
            try await withIngestService(
                broker: broker, directory: directory,
                configure: { configuration in
                    configuration.broker.tls = tls
                    configuration.broker.username = "tele-ingest"
                    configuration.broker.password = "test-password-not-secret"
                }
            ) { service in
                let publisher = try MQTTConnection(
                    endpoint: BrokerEndpoint(
                        host: "127.0.0.1", port: broker.port, username: "tele-ingest",
                        password: "test-password-not-secret", tls: tls),
                    options: SessionOptions(clientID: "tls-publisher", cleanSession: true),
                    logger: Logger(label: "test"), onMessage: { _ in })
                try publisher.start()
                #expect(await publisher.waitUntilConnected())
                try publisher.publish(
                    topic: "telekit/HV10-00017/hv10", payload: Data(JournalProcessorTests.weighing.utf8))
                let store = service.store
                #expect(try await eventually { try store.readingCount() == 1 })
                publisher.stop()
            }
        }
    }

    @Test("a wrong password is refused by the broker and reported, not retried silently as connected")
    func wrongPassword() async throws {
        try await withTemporaryDirectory { directory in
            try Self.makeCredentials(in: directory)
            let broker = try Broker(
                directory: directory,
                listener: [
                    "listener {port} 127.0.0.1", "allow_anonymous false", "password_file \(directory.path)/passwd",
                ])
            try await broker.start()
            defer { broker.stop() }
            let connection = try MQTTConnection(
                endpoint: BrokerEndpoint(
                    host: "127.0.0.1", port: broker.port, username: "tele-ingest", password: "wrong"),
                options: SessionOptions(clientID: "wrong-password"), logger: Logger(label: "test"), onMessage: { _ in })
            try connection.start()
            defer { connection.stop() }
            #expect(
                try await eventually(timeout: .seconds(10)) {
                    if case .disconnected(let reason) = connection.state {
                        return reason.lowercased().contains("not authori")
                    }
                    return false
                })
            #expect(!(await connection.waitUntilConnected(timeout: .seconds(2))))
        }
    }
}
