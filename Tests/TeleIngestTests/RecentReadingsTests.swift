import Foundation
import GRDB
import MonitoringRecords
import ReadingIntake
import StoreInterface
import Testing
import ThresholdRules

@testable import TeleIngest

/// The service's processor keeps each patient's recent readings for the rules between batches
/// (`RecentReadings`): the flags are those of reading the store in every batch, and a write by
/// anyone else makes it read the store again.
@Suite struct RecentReadingsTests {
    static let zone = TimeZone(identifier: "Europe/Copenhagen")!

    static func processor(in directory: URL, keeping: Bool, capacity: Int = RecentReadings.defaultCapacity) throws
        -> (JournalProcessor, MessageInbox)
    {
        var processor = try TestCohort.processor(in: directory)
        let ruleSet = try RuleFile.load(from: Paths.packageRoot.appendingPathComponent("rules/heart-failure.yaml"))
        processor.rules = RuleEngine(ruleSet: ruleSet, defaultZone: zone)
        if keeping { processor.recentReadings = RecentReadings(capacity: capacity) }
        return (processor, try MessageInbox(storePath: processor.store.path))
    }

    /// Processes `messages` as the service does: appended to the inbox, then one batch.
    @discardableResult
    static func process(
        _ messages: [(topic: String, payload: Data)], _ processor: JournalProcessor, _ inbox: MessageInbox
    ) throws -> [MessageResult] {
        for message in messages {
            try inbox.append(topic: message.topic, payload: message.payload, receivedAt: TestCohort.now)
        }
        return try processor.processInbox(inbox, limit: 500).results
    }

    /// RuleHistoryTests' 40 mornings, one batch a day, with day 12 arriving late (after day 30)
    /// and day 5 sent twice (a duplicate).
    static func batches() -> [[(topic: String, payload: Data)]] {
        let mornings = RuleHistoryTests.mornings()
        var order = Array(0..<40).filter { $0 != 12 }
        order.insert(12, at: 30)
        order.insert(5, at: 20)
        return order.map { [mornings[$0]] }
    }

    @Test(
        "kept readings give the same flags as reading the store in every batch (late reading, duplicate, a bound of 100)",
        arguments: [RecentReadings.defaultCapacity, 100])
    func sameFlags(capacity: Int) async throws {
        try await withTemporaryDirectory { directory in
            var flags: [[String]] = []
            for keeping in [false, true] {
                let folder = directory.appendingPathComponent(keeping ? "kept" : "read")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                let (processor, inbox) = try Self.processor(in: folder, keeping: keeping, capacity: capacity)
                for batch in Self.batches() { try Self.process(batch, processor, inbox) }
                if keeping, capacity == RecentReadings.defaultCapacity {
                    // Read once, then again for the late reading only.
                    #expect(processor.recentReadings?.storeReads == 2)
                }
                flags.append(
                    try processor.store.flags().map {
                        "\($0.problem) \($0.state.rawValue) \($0.severity): \($0.explanation)"
                    }.sorted())
            }
            #expect(!flags[0].isEmpty)
            #expect(flags[1] == flags[0])
        }
    }

    @Test("a reading another connection stores is read from the store in the next batch")
    func anotherWriter() async throws {
        try await withTemporaryDirectory { directory in
            let (processor, inbox) = try Self.processor(in: directory, keeping: true)
            let other = JournalProcessor(
                store: try MonitoringStore(path: processor.store.path, clock: .fixed(TestCohort.now)),
                decoder: processor.decoder, defaultTimeZone: Self.zone)
            let mornings = RuleHistoryTests.mornings()
            try Self.process(Array(mornings[0..<20]), processor, inbox)
            try other.store.journal(.mqtt, messages: [mornings[20]], receivedAt: TestCohort.now)
            #expect(try other.processPending().map(\.outcome) == [.stored])
            try Self.process([mornings[21]], processor, inbox)

            let recent = try #require(processor.recentReadings)
            #expect(recent.storeReads == 1, "emptied, then read again")
            let firstMorning = RuleHistoryTests.at("2026-10-20T07:00:00+01:00").millisecondsSince1970
            let kept = try #require(recent.observations(patientID: "P-0001", from: firstMorning))
            #expect(kept.count == 22, "the other connection's reading is among them")
        }
    }

    @Test("a write on the processor's own connection between two batches empties the kept readings")
    func ownConnection() async throws {
        try await withTemporaryDirectory { directory in
            let (processor, inbox) = try Self.processor(in: directory, keeping: true)
            let mornings = RuleHistoryTests.mornings()
            try Self.process(Array(mornings[0..<5]), processor, inbox)
            let recent = try #require(processor.recentReadings)
            try Self.process([mornings[5]], processor, inbox)
            #expect(recent.storeReads == 1, "kept from the first batch")
            #expect(recent.count == 6)
            // A reading written outside a batch on the same connection (as a bulk load does).
            let measured = RuleHistoryTests.at("2026-10-26T07:30:00+01:00").millisecondsSince1970
            try processor.store.database.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO reading (patient_id, serial, kind, value, unit, original_value, original_unit,
                                             measured_at, received_at, journal_id, message_id, profile_id)
                        SELECT patient_id, serial, kind, value, unit, original_value, original_unit,
                               ?, received_at, journal_id, 'written-directly', profile_id
                        FROM reading LIMIT 1
                        """, arguments: [measured])
            }
            try Self.process([mornings[7]], processor, inbox)
            #expect(recent.storeReads == 1, "emptied, then read again")
            #expect(recent.count == 8, "the reading written directly is among them")
        }
    }
}
