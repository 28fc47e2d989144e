import Foundation
import GRDB
import MonitoringRecords
import ReadingIntake
import StoreInterface
import Testing

@testable import TeleIngest

/// Retention of the journal's raw payloads (docs/OPERATIONS.md): a stored message's payload goes
/// once it is older than the retention time; readings, the quarantine and the audit log stay, and
/// the space is given back.
@Suite struct JournalRetentionTests {
    static func at(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    @Test(
        "on every backend: only stored messages older than the cut lose their payload; readings and quarantine stay",
        arguments: Backend.allCases)
    func prunes(backend: Backend) async throws {
        try await withIntake(backend) { intake in
            try await ReadingIntakeConformanceTests.register(intake.registry)
            var results: [[MessageResult]] = []
            for delivery in ReadingIntakeConformanceTests.deliveries {
                try await intake.journal(.mqtt, delivery.messages, delivery.receivedAt)
                results.append(try await intake.processAll())
            }
            let readings = try await intake.readings("P-0001")
            let quarantine = try await intake.quarantine()
            let outcomes = try await intake.outcomes()
            let total = results.map(\.count).reduce(0, +)
            // The first two deliveries (20 and 21 November) are older than the cut; their messages
            // whose readings are stored (or were stored already) lose their payload.
            let expected = results.prefix(2).joined().filter { $0.outcome != .quarantined }.count
            #expect(expected > 5 && quarantine.count > 3)

            let cut = Self.at("2026-11-22T00:00:00Z")
            let pruned = try await intake.retention.pruneAllJournalPayloads(
                receivedBefore: cut, at: Self.at("2026-11-26T00:00:00Z"), step: 2)
            #expect(pruned.messages == expected && pruned.bytes > 0)
            let payloads = try await intake.retention.journalPayloads()
            #expect(payloads.removed == expected && payloads.kept == total - expected)
            #expect(try await intake.readings("P-0001") == readings)
            #expect(try await intake.quarantine() == quarantine, "the quarantine keeps its payloads")
            #expect(try await intake.outcomes() == outcomes)

            // Nothing more before the same cut; a later cut takes the third delivery's stored one.
            let again = try await intake.retention.pruneAllJournalPayloads(
                receivedBefore: cut, at: Self.at("2026-11-26T00:00:00Z"))
            #expect(again.messages == 0)
            let later = try await intake.retention.pruneAllJournalPayloads(
                receivedBefore: Self.at("2026-12-01T00:00:00Z"), at: Self.at("2026-12-01T00:00:00Z"))
            #expect(later.messages == results[2].filter { $0.outcome != .quarantined }.count)
        }
    }

    /// `count` weighings with a 2 KiB note each, journaled at `receivedAt` and stored.
    static func bulkyWeighings(_ count: Int, into processor: JournalProcessor, receivedAt: Date) throws {
        let note = String(repeating: "x", count: 2048)
        let messages = (0..<count).map { index in
            let measured = receivedAt.addingTimeInterval(-Double(index) * 60 - 3600).formatted(.iso8601)
            return (
                topic: "telekit/HV10-00017/hv10",
                payload: Data(
                    #"{"serial": "HV10-00017", "msg_id": "bulk-\#(index)", "measured": "\#(measured)", "weight": 80.5, "unit": "kg", "note": "\#(note)"}"#
                        .utf8)
            )
        }
        try processor.store.journal(.mqtt, messages: messages, receivedAt: receivedAt)
        while try !processor.processPending(limit: 500).isEmpty {}
    }

    static func fileSize(_ path: String) -> Int {
        ["", "-wal"].reduce(0) {
            $0
                + ((try? FileManager.default.attributesOfItem(atPath: $1.isEmpty ? path : path + $1)[.size] as? Int)
                    ?? 0)
        }
    }

    @Test(
        "SQLite gives the space back: at once on a store made with incremental vacuum, after one --vacuum on an older one"
    )
    func space() async throws {
        try await withTemporaryDirectory { directory in
            let processor = try TestCohort.processor(in: directory)
            try Self.bulkyWeighings(1000, into: processor, receivedAt: TestCohort.now.addingTimeInterval(-10 * 86_400))
            let store = processor.store
            #expect(try store.readingCount() == 1000)
            #expect(try store.givesSpaceBack(), "a new store is made with incremental vacuum")
            try store.checkpoint()
            let before = Self.fileSize(store.path)
            let pruned = try await store.pruneAllJournalPayloads(receivedBefore: TestCohort.now, at: TestCohort.now)
            #expect(pruned.messages == 1000 && pruned.bytes > 2_000_000)
            let reclaimed = try #require(try store.reclaimFreedSpace())
            try store.checkpoint()
            let after = Self.fileSize(store.path)
            #expect(reclaimed > 1_500_000 && before - after > 1_500_000, "\(before) → \(after), \(reclaimed) reclaimed")
            #expect(try store.readingCount() == 1000)
        }
    }

    @Test("tele-ingest journal prune on a store made before incremental vacuum: the space stays until --vacuum")
    func command() async throws {
        try await withTemporaryDirectory { directory in
            // A store in the old layout: the file exists (without incremental vacuum) before
            // the store first opens it.
            let path = directory.appendingPathComponent("test.sqlite").path
            try DatabaseQueue(path: path).write {
                try $0.execute(sql: "CREATE TABLE made_before (x); DROP TABLE made_before")
            }
            let processor = try TestCohort.processor(in: directory)
            try Self.bulkyWeighings(1000, into: processor, receivedAt: TestCohort.now.addingTimeInterval(-200 * 86_400))
            #expect(try !processor.store.givesSpaceBack())
            let database = TeleIngestDatabase("test.sqlite", in: directory, now: TestCohort.now)
            let first = try database.run(["journal", "prune"])
            #expect(first.contains("removed the payloads of 1000 messages"), "\(first)")
            #expect(first.contains("journal: 0 payloads kept (0 KiB), 1000 removed"), "\(first)")
            #expect(first.contains("--vacuum gives it back"))
            let sizeBefore = Self.fileSize(path)
            let second = try database.run(["journal", "prune", "--vacuum"])
            #expect(second.contains("removed the payloads of 0 messages"))
            #expect(sizeBefore - Self.fileSize(path) > 1_500_000, "\(second)")
            #expect(try processor.store.givesSpaceBack() && processor.store.readingCount() == 1000)
            let (status, output) = try teleIngest(
                ["journal", "prune", "--older-than-days", "0", "--db", path], in: directory)
            #expect(status != 0 && output.contains("--older-than-days expects 1 or more"))
        }
    }

    @Test("the running service removes old payloads on its own and goes on storing; the log names no one")
    func runningService() async throws {
        try await withBroker { broker in
            try await withTemporaryDirectory { directory in
                let processor = try TestCohort.processor(in: directory)
                let store = processor.store
                try Self.bulkyWeighings(
                    300, into: processor, receivedAt: TestCohort.now.addingTimeInterval(-3 * 86_400))
                try store.checkpoint()
                let sizeBefore = Self.fileSize(store.path)
                let config = directory.appendingPathComponent("retention.yaml")
                try "journal:\n  keepPayloadDays: 1\n  pruneIntervalMinutes: 0.02\n".write(
                    to: config, atomically: true, encoding: .utf8)
                let service = ServiceProcess(
                    broker: broker, database: URL(fileURLWithPath: store.path), directory: directory,
                    extra: ["--config", config.path])
                try service.start()
                defer { service.stop() }
                try await service.waitUntilConnected()
                let publisher = try await Publisher(broker: broker)
                defer { publisher.close() }
                try await CrashRecoveryTests.publish(0..<20, with: publisher)
                #expect(
                    try await eventually(timeout: .seconds(60)) {
                        let payloads = try store.journalPayloads()
                        let readings = try store.readingCount()
                        return payloads.kept == 20 && payloads.removed == 300 && readings == 320
                    })
                #expect(
                    try await eventually(timeout: .seconds(30)) { sizeBefore - Self.fileSize(store.path) > 400_000 })
                #expect(service.log.contains("journal payloads removed"))
                // As PersonalDataInLogsTests scans: no CPR-shaped number, no name.
                #expect(
                    service.log.firstMatch(of: #/\b\d{6}-?\d{4}\b/#) == nil && !service.log.contains("Test Patient"))
                #expect(service.stop() == 0)
            }
        }
    }
}
