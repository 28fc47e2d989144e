import Foundation
import GRDB
import MonitoringRecords
import ReadingIntake
import TelekitSimulation
import Testing
import ThresholdRules

@testable import TeleIngest

/// The latest reading per patient and kind, kept on insert with last week's reference and this
/// week's days, must equal what a search through all the readings gives — whatever order the
/// readings arrive in (gateways flush late, imports back-fill).
@Suite struct LatestReadingTests {
    struct Expected: Equatable, CustomStringConvertible {
        var value: Double
        var week: Int
        var previous: Double?
        var days: Int
        var description: String {
            let reference = previous.map { "\($0)" } ?? "none"
            return "value \(value) week \(week) previous \(reference) days \(days)"
        }
    }

    /// From scratch: the newest reading, its week, the newest before that week, that week's days.
    static func expected(_ readings: [(Date, Double)], zone: TimeZone) -> Expected {
        let latest = readings.max { $0.0 < $1.0 }!
        let week = LatestReading.week(of: latest.0, in: zone)
        let start = LocalDay(number: week).start(in: zone)
        let previous = readings.filter { $0.0 < start }.max { $0.0 < $1.0 }?.1
        var days = 0
        for (instant, _) in readings where LatestReading.week(of: instant, in: zone) == week {
            days |= 1 << (LocalDay(instant, in: zone).number - week)
        }
        return Expected(value: latest.1, week: week, previous: previous, days: days)
    }

    static func stored(_ store: MonitoringStore) throws -> Expected? {
        try store.database.read { db in
            try Row.fetchOne(
                db,
                sql:
                    "SELECT value, week, previous_value, week_days FROM latest_reading WHERE patient_id = 'P-0001' AND kind = 'weight'"
            ).map { Expected(value: $0[0], week: $0[1], previous: $0[2], days: $0[3]) }
        }
    }

    /// Each order twice: the batch's latest values written once at its end, and written after
    /// every pair of patient and kind (`LatestValueFold`'s limit of pairs reached at once).
    @Test(
        "kept on insert in any arrival order, and rebuilt the same",
        arguments: 0..<24, [LatestValueFold.pairLimit, 1])
    func anyOrder(seed: Int, pairs: Int) async throws {
        try await withTemporaryDirectory { directory in
            var processor = try TestCohort.processor(in: directory)
            processor.latestValuePairs = pairs
            let zone = TimeZone(identifier: "Europe/Copenhagen")!
            var generator = SeededGenerator(seed: UInt64(seed) + 1)
            // Five weeks around a daylight-saving change, one to three weighings on some days.
            let first = try Date("2026-10-12T00:00:00+02:00", strategy: .iso8601)
            var readings: [(Date, Double)] = []
            for day in 0..<35 where Int.random(in: 0..<3, using: &generator) > 0 {
                for _ in 0..<Int.random(in: 1...2, using: &generator) {
                    let instant = first.addingTimeInterval(
                        Double(day) * 86_400 + Double(Int.random(in: 0..<86_000, using: &generator)))
                    readings.append((instant, 70 + Double(Int.random(in: 0..<40, using: &generator)) / 10))
                }
            }
            readings.shuffle(using: &generator)
            // Arrive in a few batches, in shuffled order.
            let batches = stride(from: 0, to: readings.count, by: max(1, readings.count / 4)).map {
                Array(readings[$0..<min(readings.count, $0 + max(1, readings.count / 4))])
            }
            var arrived: [(Date, Double)] = []
            for batch in batches {
                try processor.store.journal(
                    .import,
                    messages: batch.enumerated().map { index, reading in
                        (
                            topic: "import/latest.csv/line/\(arrived.count + index + 2)",
                            payload: Data("HV10-00017,weight,\(reading.1),kg,\(reading.0.formatted(.iso8601))".utf8)
                        )
                    })
                while try !processor.processPending(source: .import).isEmpty {}
                arrived += batch
                #expect(try Self.stored(processor.store) == Self.expected(arrived, zone: zone))
            }
            try processor.store.rebuildLatestReadings(defaultZone: zone)
            #expect(try Self.stored(processor.store) == Self.expected(arrived, zone: zone))
        }
    }

    @Test(
        "a store made before v4 gets its kept values when opened: the frozen migration adds the columns, the application fills them in"
    )
    func fromBeforeV4() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("v3.sqlite").path
            // Weighings on nine days over three weeks, across the change of clocks in October.
            let first = try Date("2026-10-14T07:10:00+02:00", strategy: .iso8601)
            let readings: [(Date, Double)] = [0, 1, 3, 6, 8, 12, 13, 17, 18].map {
                (first.addingTimeInterval(Double($0) * 86_400), 80 + Double($0) / 10)
            }
            let queue = try DatabaseQueue(path: path)
            try Schema.migrator.migrate(queue, upTo: "v3: follow-up: notes, weekly reviews, escalations, audit log")
            try queue.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO patient (id, name, cpr, time_zone, created_at) VALUES ('P-0001', 'Test Patient', NULL, 'Europe/Copenhagen', 0);
                        INSERT INTO journal (id, source, topic, payload, received_at) VALUES (1, 'import', 'import/old.csv/line/2', x'', 0);
                        """)
                for (index, reading) in readings.enumerated() {
                    try db.execute(
                        sql: """
                            INSERT INTO reading (id, patient_id, serial, kind, value, unit, original_value, original_unit,
                                measured_at, received_at, journal_id, profile_id)
                            VALUES (?, 'P-0001', 'HV10-00017', 'weight', ?, 'kg', ?, 'kg', ?, 0, 1, 'csv-import')
                            """,
                        arguments: [index + 1, reading.1, reading.1, reading.0.millisecondsSince1970])
                }
                // What v1 to v3 kept: the newest reading's id and time only.
                try db.execute(
                    sql: """
                        INSERT INTO latest_reading (patient_id, kind, reading_id, measured_at)
                        SELECT patient_id, kind, id, measured_at FROM reading ORDER BY measured_at DESC LIMIT 1
                        """)
            }
            try queue.close()

            let store = try MonitoringStore(path: path, clock: TestCohort.clock)
            let zone = TimeZone(identifier: "Europe/Copenhagen")!
            #expect(try Self.stored(store) == Self.expected(readings, zone: zone))
            #expect(
                try Self.stored(store)?.previous == 80.8,
                "the last weighing, Sunday 1 November, is in the week of Monday 26 October; Thursday 22 October is the reference"
            )
            #expect(try store.database.read(Schema.keptValuesMissing) == false)
        }
    }
}
