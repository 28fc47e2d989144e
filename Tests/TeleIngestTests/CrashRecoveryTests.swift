import Foundation
import GRDB
import MonitoringRecords
import ReadingIntake
import Testing

@testable import TeleIngest

#if canImport(Glibc)
    import Glibc
#endif

/// The real `tele-ingest` process, stopped gracefully or killed mid-stream, then restarted:
/// every published reading must be stored exactly once.
@Suite(.serialized) struct CrashRecoveryTests {
    static let base = try! Date("2026-09-01T06:00:00Z", strategy: .iso8601)

    static func weighing(_ index: Int) -> String {
        let measured = base.addingTimeInterval(Double(index) * 600).formatted(.iso8601)
        return
            #"{"serial": "HV10-00017", "msg_id": "s-\#(index)", "measured": "\#(measured)", "weight": \#(70 + Double(index % 100) / 10), "unit": "kg"}"#
    }

    /// Publishes `range` as weighings and waits for the broker's acknowledgements.
    static func publish(_ range: Range<Int>, with publisher: Publisher) async throws {
        for index in range { try publisher.publish("telekit/HV10-00017/hv10", weighing(index)) }
        try await publisher.flush(timeout: .seconds(60))
    }

    /// A broker, a store with the test cohort, and the real service connected to both.
    static func withRunningService(_ body: (Broker, MonitoringStore, ServiceProcess) async throws -> Void) async throws
    {
        try await withBroker { broker in
            try await withTemporaryDirectory { directory in
                try await withRegisteredService(broker: broker, directory: directory) { store, service in
                    try await body(broker, store, service)
                }
            }
        }
    }

    static func expectExactlyOnce(_ store: MonitoringStore, count: Int) async throws {
        #expect(try await eventually(timeout: .seconds(60)) { try store.readingCount() == count })
        let readings = try store.readings(patientID: "P-0001")
        #expect(readings.count == count)
        #expect(Set(readings.compactMap(\.messageID)) == Set((0..<count).map { "s-\($0)" }))
        #expect(try store.journalBacklog() == 0)
        #expect(try store.quarantine().isEmpty)
    }

    @Test(
        "stopped with SIGTERM or SIGKILL mid-stream and restarted, every reading is stored exactly once",
        arguments: [SIGTERM, SIGKILL])
    func stopMidStream(signal: Int32) async throws {
        try await Self.withRunningService { broker, store, service in
            let publisher = try await Publisher(broker: broker)
            defer { publisher.close() }

            // A paced stream of 3,000 readings (about 3 s), still being published when the
            // service is stopped, and published on while it is down.
            let stream = Task {
                for index in 0..<3000 {
                    try publisher.publish("telekit/HV10-00017/hv10", Self.weighing(index))
                    if index % 10 == 9 { try await Task.sleep(for: .milliseconds(10)) }
                }
            }
            let working = try await eventually(timeout: .seconds(30)) { try store.readingCount() > 300 }
            try #require(working, "the service stored no more than 300 readings of the stream; log:\n\(service.log)")
            let status = service.stop(signal: signal)
            let storedAtStop = try store.readingCount()
            if signal == SIGTERM {
                #expect(status == 0, "a graceful stop exits 0; log:\n\(service.log)")
                #expect(service.log.contains("stopped; journal processed"))
            }
            #expect(storedAtStop < 3000, "the stop came after the stream had been stored, not in the middle of it")
            // While it is down the broker keeps the persistent session's messages.
            try await stream.value
            try await Self.publish(3000..<4000, with: publisher)
            try service.start()
            try await service.waitUntilConnected(times: 2)
            try await Self.publish(4000..<5000, with: publisher)
            try await Self.expectExactlyOnce(store, count: 5000)
            service.stop()
        }
    }

    @Test(
        "killed while the inbox cannot be written (its file may not grow), the unacknowledged message is delivered again"
    )
    func pubackOnlyAfterJournal() async throws {
        try await withBroker { broker in
            try await withTemporaryDirectory { directory in
                let database = directory.appendingPathComponent("ingest.sqlite")
                let store = try MonitoringStore(path: database.path, clock: TestCohort.clock)
                try TestCohort.register(in: store)
                let service = ServiceProcess(
                    broker: broker, database: database, directory: directory, logThroughPipe: true)
                try service.start()
                try await service.waitUntilConnected()
                let inbox = MessageInbox.path(forStore: store.path)
                let size = try #require(try FileManager.default.attributesOfItem(atPath: inbox)[.size] as? NSNumber)
                // No file of the service may grow past the inbox's size now, as on a full disk:
                // the append inside on_message fails and is retried. (Its log goes through a
                // pipe, which the limit does not cover.)
                let pid = try #require(service.pid)
                let (limited, output) = try toolOutput(
                    URL(fileURLWithPath: "/usr/bin/prlimit"),
                    ["--pid", "\(pid)", "--fsize=\(size.intValue):\(size.intValue)"], includingErrors: true)
                try #require(limited == 0, "prlimit: \(output)")
                let publisher = try await Publisher(broker: broker)
                defer { publisher.close() }
                try await Self.publish(0..<1, with: publisher)
                // The callback is running and has not returned: the service says it is holding the ack.
                #expect(
                    try await eventually(timeout: .seconds(30)) {
                        service.log.contains("not acknowledged until it is stored")
                    }, "log:\n\(service.log)")
                service.stop(signal: SIGKILL)
                #expect(
                    try await store.database.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM journal") } == 0)
                #expect(try MessageInbox(storePath: store.path).highWater() == 0, "nothing was put in the inbox")

                // No PUBACK left the process, so the broker delivers the message again on restart.
                try service.start()
                try await service.waitUntilConnected(times: 2)
                try await Self.expectExactlyOnce(store, count: 1)
                service.stop()
            }
        }
    }
}
