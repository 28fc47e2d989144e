import BrokerSettings
import Foundation
import GRDB
import IngestWorker
import Logging
import MQTT
import MonitoringRecords
import ServiceConfiguration
import Testing

@testable import TeleIngest

/// What an operator relies on: file permissions, backups that restore, an honest status.
@Suite struct OperationsTests {
    static func mode(_ path: String) throws -> UInt16 {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require((attributes[.posixPermissions] as? NSNumber)?.uint16Value) & 0o777
    }

    static func weighing(_ number: Int) -> String {
        let minute = String(format: "%02d", number % 60)
        let hour = String(format: "%02d", number / 60 % 24)
        return
            #"{"serial": "HV10-00017", "msg_id": "ops-\#(number)", "measured": "2026-11-20T\#(hour):\#(minute):03+01:00", "weight": 82.4, "unit": "kg"}"#
    }

    @Test("the database and its WAL are readable by their owner only; a wider existing file is narrowed")
    func permissions() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("private.sqlite").path
            let store = try MonitoringStore(path: path, clock: TestCohort.clock)
            try store.addPatient(id: "P-0001", name: "Test Patient One", cpr: "000101-0001")
            for file in [path, path + "-wal", path + "-shm"] {
                #expect(try Self.mode(file) == 0o600, "\(file)")
            }
            let wide = directory.appendingPathComponent("wide.sqlite").path
            FileManager.default.createFile(atPath: wide, contents: nil, attributes: [.posixPermissions: 0o644])
            _ = try MonitoringStore(path: wide, clock: TestCohort.clock)
            #expect(try Self.mode(wide) == 0o600)
        }
    }

    @Test("with database.groupAccess the files are the group's too (0660), never others'")
    func groupAccess() async throws {
        try await withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("group.yaml")
            try "database:\n  path: shared.sqlite\n  groupAccess: true\n".write(
                to: url, atomically: true, encoding: .utf8)
            let configuration = try IngestConfiguration.load(file: url)
            #expect(configuration.databaseGroupAccess)
            let path = configuration.databasePath
            let store = try MonitoringStore(path: path, groupAccess: true, clock: TestCohort.clock)
            try store.addPatient(id: "P-0001", name: "Test Patient One", cpr: "000101-0001")
            for file in [path, path + "-wal", path + "-shm"] {
                #expect(try Self.mode(file) == 0o660, "\(file)")
            }
            let wide = directory.appendingPathComponent("wide.sqlite").path
            FileManager.default.createFile(atPath: wide, contents: nil, attributes: [.posixPermissions: 0o666])
            _ = try MonitoringStore(path: wide, groupAccess: true, clock: TestCohort.clock)
            #expect(try Self.mode(wide) == 0o660, "others lose their bits")
        }
    }

    @Test("a backup taken while ingest writes is intact, consistent, private and opens as a store")
    func backupWhileIngesting() async throws {
        try await withBroker { broker in
            try await withTemporaryDirectory { directory in
                try await withIngestService(broker: broker, directory: directory) { service in
                    let publisher = try await Publisher(broker: broker)
                    defer { publisher.close() }
                    for number in 0..<300 { try publisher.publish("telekit/HV10-00017/hv10", Self.weighing(number)) }
                    // Mid-stream: some of it is stored, some still arriving.
                    _ = await eventually { (try? service.store.readingCount()) ?? 0 > 20 }
                    let path = directory.appendingPathComponent("backup.sqlite").path
                    let report = try service.store.backup(to: path)
                    #expect(report.isUsable)
                    #expect(report.integrity == "ok")
                    #expect(report.schemaVersion == Schema.migrator.migrations.last)
                    #expect(try Self.mode(path) == 0o600)
                    let copied = try #require(report.rowCounts["reading"])
                    #expect(copied > 0)
                    #expect(report.rowCounts["patient"] == 2)
                    try await publisher.flush()
                    #expect(try await eventually { try service.store.readingCount() == 300 })
                    // Restore: the copy opens as a store and has what it had when taken.
                    let restored = try MonitoringStore(path: path, clock: TestCohort.clock)
                    #expect(try restored.readingCount() == copied)
                    #expect(try restored.readings(patientID: "P-0001").count == copied)
                    // Taking it again over the same file is refused.
                    #expect(throws: StoreError.self) { try service.store.backup(to: path) }
                }
            }
        }
    }

    @Test("verify refuses a damaged copy")
    func damagedBackup() async throws {
        try await withTemporaryDirectory { directory in
            let store = try MonitoringStore(
                path: directory.appendingPathComponent("source.sqlite").path, clock: TestCohort.clock)
            try TestCohort.register(in: store)
            let path = directory.appendingPathComponent("copy.sqlite").path
            #expect(try store.backup(to: path).isUsable)
            // Overwrite a page in the middle of the file.
            let handle = try #require(FileHandle(forUpdatingAtPath: path))
            let size = try handle.seekToEnd()
            try handle.seek(toOffset: size / 2)
            try handle.write(contentsOf: Data(repeating: 0xA5, count: 4096))
            try handle.close()
            // SQLite either reads the damaged file and lists what is wrong, or refuses to read it
            // as corrupt; anything else (a failing query, a missing table) is not this refusal.
            do {
                let damaged = try MonitoringStore.verify(path: path)
                #expect(!damaged.isUsable)
                #expect(damaged.integrity != "ok" && !damaged.integrity.isEmpty, "\(damaged)")
            } catch let error as StoreError {
                #expect("\(error)".contains("not a readable SQLite database"), "\(error)")
                #expect("\(error)".contains("malformed") || "\(error)".contains("corrupt"), "\(error)")
            }
            #expect {
                try MonitoringStore.verify(path: directory.appendingPathComponent("none").path)
            } throws: { error in
                "\(error)".contains("no such file")
            }
        }
    }

    @Test("the running service checkpoints the WAL itself: stored readings reach the database file, not only the WAL")
    func serviceCheckpoints() async throws {
        try await withBroker { broker in
            try await withTemporaryDirectory { directory in
                try await withIngestService(broker: broker, directory: directory) { service in
                    let file = service.store.path
                    func size() -> Int {
                        ((try? FileManager.default.attributesOfItem(atPath: file)[.size]) as? NSNumber)?.intValue ?? 0
                    }
                    // The writer would not checkpoint before the 400 MiB backstop: without the
                    // service's checkpoints the database file keeps its size.
                    let before = size()
                    let publisher = try await Publisher(broker: broker)
                    defer { publisher.close() }
                    for number in 0..<300 {
                        try publisher.publish("telekit/HV10-00017/hv10", Self.weighing(number))
                    }
                    try await publisher.flush()
                    #expect(try await eventually { try service.store.readingCount() == 300 })
                    #expect(
                        try await eventually(timeout: .seconds(5)) { size() > before }, "file stayed at \(before) bytes"
                    )
                }
            }
        }
    }

    @Test("status shows the connection, the backlog, the last message and the quarantine; then that it stopped")
    func status() async throws {
        try await withBroker { broker in
            try await withTemporaryDirectory { directory in
                var store: MonitoringStore?
                try await withIngestService(
                    broker: broker, directory: directory, configure: { $0.statusIntervalSeconds = 1 }
                ) { service in
                    store = service.store
                    let publisher = try await Publisher(broker: broker)
                    defer { publisher.close() }
                    try publisher.publish("telekit/HV10-00017/hv10", Self.weighing(1))
                    try publisher.publish("telekit/HV10-00017/hv10", #"{"serial": "HV10-00017", "weight": "#)
                    try await publisher.flush()
                    #expect(
                        try await eventually {
                            let report = try service.store.serviceReport(heartbeat: 1)
                            return report.healthy && report.lastMessageAt != nil
                                && report.quarantine == ["malformed_json": 1] && report.journalBacklog == 0
                        })
                    let report = try service.store.serviceReport(heartbeat: 1)
                    let worker = try #require(report.workers.first)
                    #expect(report.workers.count == 1)
                    #expect(worker.status.worker == .main)
                    #expect(worker.status.connection == "connected")
                    #expect(worker.status.pid == ProcessInfo.processInfo.processIdentifier)
                    #expect(worker.status.clientID == service.configuration.clientID)
                }
                let stopped = try #require(try store?.serviceReport(heartbeat: 1))
                #expect(stopped.workers.map(\.status.running) == [false])
                #expect(!stopped.healthy)
                #expect(stopped.workers.map(\.stale) == [false])
            }
        }
    }

    @Test("a service that stopped writing its status is reported as not responding")
    func staleStatus() async throws {
        try await withTemporaryDirectory { directory in
            let store = try MonitoringStore(
                path: directory.appendingPathComponent("s.sqlite").path, clock: TestCohort.clock)
            #expect(try store.serviceReport().workers.isEmpty)
            let then = TestCohort.clock.now().addingTimeInterval(-60)
            try store.recordServiceStatus(
                ServiceStatus(
                    pid: 4242, startedAt: then, updatedAt: then, broker: "127.0.0.1:1883", connection: "connected",
                    connected: true, connectionSince: then, running: true, fallingBehind: false))
            let report = try store.serviceReport(heartbeat: 5)
            #expect(report.workers.map(\.stale) == [true])
            #expect(!report.healthy)
            let (status, output) = try teleIngest(["status", "--db", store.path], in: directory)
            #expect(status == 1)
            #expect(output.contains("NOT RESPONDING"))
        }
    }
}

/// The broker's own report of dropped messages reaches the service's log — once per rise.
@Suite(.serialized) struct BrokerDropsTests {
    @Test("when the broker drops messages for a slow subscriber, the service logs it")
    func brokerDropsAreLogged() async throws {
        try await withTemporaryDirectory { directory in
            // A tiny queue limit and a $SYS report every second.
            let broker = try Broker(
                directory: directory,
                listener: ["listener {port} 127.0.0.1", "max_queued_messages 2", "sys_interval 1"])
            try await broker.start()
            defer { broker.stop() }
            try await withRegisteredService(broker: broker, directory: directory, database: "drops.sqlite") {
                store, service in
                // The service logs a rise against the count it last saw: let it see one report
                // (every second) before anything is dropped, however slow the machine.
                try await Task.sleep(for: .seconds(2))
                // A persistent subscriber that went away: the broker queues 2 messages for it and
                // drops the rest.
                let lazy = try MQTTConnection(
                    endpoint: BrokerEndpoint(host: "127.0.0.1", port: broker.port),
                    options: SessionOptions(
                        clientID: "lazy-subscriber", cleanSession: false, topicFilters: ["telekit/#"]),
                    logger: Logger(label: "test"), onMessage: { _ in })
                try lazy.start()
                #expect(await lazy.waitUntilConnected())
                lazy.stop()
                try await Task.sleep(for: .milliseconds(300))
                let publisher = try await Publisher(broker: broker)
                defer { publisher.close() }
                for number in 0..<20 {
                    try publisher.publish("telekit/HV10-00017/hv10", OperationsTests.weighing(number))
                }
                try await publisher.flush()
                // A wait, not a timing check: the broker reports every second, but under the dated
                // suites on a loaded 2-core machine 15 s was once not enough.
                #expect(
                    try await eventually(timeout: .seconds(60)) {
                        service.log.contains("the broker reports dropped messages")
                    }, "log:\n\(service.log)")
                // The service itself got everything.
                #expect(try await eventually { try store.readingCount() == 20 })
                #expect(service.log.components(separatedBy: "the broker reports dropped messages").count - 1 <= 2)
                service.stop()
            }
        }
    }
}
