import DevicePayloads
import Foundation
import GRDB
import MonitoringRecords
import ReadingIntake
import ServiceConfiguration
import Testing
import Vitals

@testable import TeleIngest

/// The journal → readings/quarantine stages on a real SQLite file, without a broker.
@Suite struct JournalProcessorTests {
    static let weighing =
        #"{"serial": "HV10-00017", "msg_id": "m-1", "measured": "2026-11-20T07:12:03+01:00", "weight": 82.4, "unit": "kg"}"#

    /// Journals one message and processes the journal; returns what it became.
    @discardableResult
    func ingest(_ processor: JournalProcessor, _ topic: String, _ payload: String, receivedAt: Date? = nil) throws
        -> MessageResult
    {
        try processor.store.journal(.mqtt, topic: topic, payload: Data(payload.utf8), receivedAt: receivedAt)
        let results = try processor.processPending()
        return try #require(results.last)
    }

    @Test("the database runs in WAL mode with the configured synchronous level")
    func walMode() async throws {
        try await withTemporaryDirectory { directory in
            let normal = try MonitoringStore(
                path: directory.appendingPathComponent("n.sqlite").path, clock: TestCohort.clock)
            #expect(try normal.journalMode() == "wal")
            #expect(try normal.synchronousLevel() == 1)
            let full = try MonitoringStore(
                path: directory.appendingPathComponent("f.sqlite").path, durability: .full, clock: TestCohort.clock)
            #expect(try full.journalMode() == "wal")
            #expect(try full.synchronousLevel() == 2)
        }
    }

    @Test(
        "with background checkpoints the writer leaves the WAL to checkpoint(), which copies it while journal writes go on"
    )
    func backgroundCheckpoints() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("c.sqlite").path
            let store = try MonitoringStore(path: path, backgroundCheckpoints: true, clock: TestCohort.clock)
            let autocheckpoint = try await store.database.write { db in
                try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint")
            }
            #expect(autocheckpoint == MonitoringStore.backstopCheckpointPages)
            for index in 0..<300 {
                try store.journal(.mqtt, topic: "telekit/S/hv10", payload: Data("message \(index)".utf8))
            }
            let first = try store.checkpoint()
            #expect(first.walFrames >= 300, "each journal write is a commit of its own")
            #expect(first.checkpointed == first.walFrames, "no reader holds the WAL back")
            // A reader in the middle of a transaction pins what it sees; the checkpoint still runs
            // and the journal write does not wait for either.
            try await store.database.read { db in
                _ = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM journal")
                try store.journal(.mqtt, topic: "telekit/S/hv10", payload: Data("during a read".utf8))
                _ = try store.checkpoint()
            }
            #expect(try store.journalBacklog() == 301)
            let ordinary = try MonitoringStore(
                path: directory.appendingPathComponent("o.sqlite").path, clock: TestCohort.clock)
            let ordinaryAutocheckpoint = try await ordinary.database.write { db in
                try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint")
            }
            #expect(ordinaryAutocheckpoint == MonitoringStore.checkpointPages)
        }
    }

    @Test("every profile sample becomes readings on the patient the device is paired with")
    func samplesAreStored() async throws {
        try await withTemporaryDirectory { directory in
            let processor = try TestCohort.processor(in: directory)
            var expected = 0
            for profile in processor.decoder.profiles.profiles {
                for sample in profile.samples where sample.expectRejection == nil {
                    let result = try ingest(processor, sample.topic, sample.payload)
                    #expect(
                        result.outcome == .stored,
                        "\(profile.id) / \(sample.name): \(String(describing: result.rejection))")
                    #expect(result.storedReadings.map(\.kind) == sample.expect.map(\.kind))
                    #expect(result.storedReadings.allSatisfy { $0.patientID == "P-0001" })
                    expected += sample.expect.count
                }
            }
            #expect(try processor.store.readingCount() == expected)
            #expect(try processor.store.journalBacklog() == 0)
        }
    }

    @Test(
        "every malformed message ends in quarantine with its reason, and nothing else is stored",
        arguments: try MalformedCase.corpus())
    func malformed(sample: MalformedCase) async throws {
        try await withTemporaryDirectory { directory in
            let processor = try TestCohort.processor(in: directory)
            let result = try ingest(processor, sample.topic, sample.payload)
            #expect(result.outcome == .quarantined)
            let entry = try #require(try processor.store.quarantine().first)
            #expect(entry.reason.rawValue == sample.reason, "\(entry.message)")
            #expect(!entry.message.isEmpty)
            #expect(entry.payload == Data(sample.payload.utf8))
            #expect(entry.topic == sample.topic)
            #expect(try processor.store.readingCount() == 0)
        }
    }

    @Test("the same message delivered twice is stored once")
    func redeliveryByMessageID() async throws {
        try await withTemporaryDirectory { directory in
            let processor = try TestCohort.processor(in: directory)
            #expect(try ingest(processor, "telekit/HV10-00017/hv10", Self.weighing).outcome == .stored)
            #expect(try ingest(processor, "telekit/HV10-00017/hv10", Self.weighing).outcome == .duplicate)
            #expect(try processor.store.readingCount() == 1)
            #expect(try processor.store.journalOutcomes() == [.stored: 1, .duplicate: 1])
        }
    }

    @Test("without a message id, device, kind and time identify a reading")
    func redeliveryByNaturalKey() async throws {
        try await withTemporaryDirectory { directory in
            let processor = try TestCohort.processor(in: directory)
            let payload = #"{"device": "SC300-A1", "t": 1795155123, "w_lb": 181.7}"#
            #expect(try ingest(processor, "telekit/SC300-A1/sc300", payload).outcome == .stored)
            #expect(try ingest(processor, "telekit/SC300-A1/sc300", payload).outcome == .duplicate)
            let later = #"{"device": "SC300-A1", "t": 1795241523, "w_lb": 182.0}"#
            #expect(try ingest(processor, "telekit/SC300-A1/sc300", later).outcome == .stored)
            #expect(try processor.store.readingCount() == 2)
        }
    }

    @Test("a different value under the same key is quarantined as a conflict, not overwritten")
    func conflict() async throws {
        try await withTemporaryDirectory { directory in
            let processor = try TestCohort.processor(in: directory)
            try ingest(processor, "telekit/HV10-00017/hv10", Self.weighing)
            let changed = Self.weighing.replacingOccurrences(of: "82.4", with: "83.9")
            let result = try ingest(processor, "telekit/HV10-00017/hv10", changed)
            #expect(result.rejection?.reason == .conflictingReading)
            #expect(result.rejection?.message.contains("82.4 kg") == true)
            #expect(result.rejection?.message.contains("83.9 kg") == true)
            #expect(try processor.store.readings(patientID: "P-0001").map(\.value) == [82.4])
        }
    }

    @Test("a device re-paired to a new patient keeps old readings on the old patient, even when they arrive late")
    func repairing() async throws {
        try await withTemporaryDirectory { directory in
            let processor = try TestCohort.processor(in: directory)
            let store = processor.store
            let handover = try Date("2026-11-10T12:00:00Z", strategy: .iso8601)
            try store.pair(serial: "HV10-77777", patientID: "P-0002", from: TestCohort.pairedFrom)
            try store.unpair(serial: "HV10-77777", at: handover)
            try store.pair(serial: "HV10-77777", patientID: "P-0001", from: handover)
            func weighing(_ id: String, _ time: String, _ kg: Double) -> String {
                #"{"serial": "HV10-77777", "msg_id": "\#(id)", "measured": "\#(time)", "weight": \#(kg), "unit": "kg"}"#
            }
            // The gateway was offline: the old patient's last weighings arrive after the handover.
            try ingest(processor, "telekit/HV10-77777/hv10", weighing("n1", "2026-11-12T07:00:00+01:00", 90.1))
            try ingest(processor, "telekit/HV10-77777/hv10", weighing("o1", "2026-11-09T07:00:00+01:00", 71.5))
            try ingest(processor, "telekit/HV10-77777/hv10", weighing("o2", "2026-11-10T12:59:59+01:00", 71.6))
            try ingest(processor, "telekit/HV10-77777/hv10", weighing("n2", "2026-11-10T13:00:00+01:00", 90.0))
            #expect(try store.readings(patientID: "P-0002").map(\.value) == [71.5, 71.6])
            #expect(try store.readings(patientID: "P-0001").map(\.value) == [90.0, 90.1])
        }
    }

    @Test("pairing refuses to overlap an existing pairing")
    func overlappingPairing() async throws {
        try await withTemporaryDirectory { directory in
            let processor = try TestCohort.processor(in: directory)
            #expect {
                try processor.store.pair(serial: "HV10-00017", patientID: "P-0002", from: TestCohort.now)
            } throws: { error in
                "\(error)".contains("unpair it first")
            }
        }
    }

    @Test("a local device time is read in the patient's own time zone")
    func localTimeInPatientZone() async throws {
        try await withTemporaryDirectory { directory in
            let processor = try TestCohort.processor(in: directory)
            try processor.store.addPatient(id: "P-NY", name: "Test Patient Abroad", timeZone: "America/New_York")
            try processor.store.pair(serial: "K2-5555", patientID: "P-NY", from: TestCohort.pairedFrom)
            let payload =
                #"{"serial": "K2-5555", "local_time": "2026-11-20 07:12:03", "systolic_kpa": 17.1, "diastolic_kpa": 10.5}"#
            let result = try ingest(processor, "telekit/K2-5555/k2", payload)
            #expect(result.storedReadings.first?.measuredAt == (try Date("2026-11-20T12:12:03Z", strategy: .iso8601)))
        }
    }

    @Test("a quarantined message from an unknown device is stored after pairing and reprocessing")
    func reprocess() async throws {
        try await withTemporaryDirectory { directory in
            let processor = try TestCohort.processor(in: directory)
            let payload = Self.weighing.replacingOccurrences(of: "HV10-00017", with: "HV10-NEW01")
            #expect(try ingest(processor, "telekit/HV10-NEW01/hv10", payload).rejection?.reason == .unknownDevice)
            #expect(try processor.reprocessQuarantine().first?.outcome == .quarantined)
            #expect(try processor.store.quarantine().first?.attempts == 2)
            try processor.store.pair(serial: "HV10-NEW01", patientID: "P-0002", from: TestCohort.pairedFrom)
            let results = try processor.reprocessQuarantine()
            #expect(results.map(\.outcome) == [.stored])
            #expect(try processor.store.quarantine().isEmpty)
            #expect(try processor.store.quarantine(includeResolved: true).first?.resolvedAt != nil)
            #expect(try processor.store.readings(patientID: "P-0002").map(\.value) == [82.4])
        }
    }

    @Test("the latest reading per patient and kind follows measured time, not arrival order")
    func latestReadings() async throws {
        try await withTemporaryDirectory { directory in
            let processor = try TestCohort.processor(in: directory)
            try ingest(processor, "telekit/HV10-00017/hv10", Self.weighing)
            let older = Self.weighing.replacingOccurrences(of: "m-1", with: "m-0").replacingOccurrences(
                of: "2026-11-20", with: "2026-11-18"
            )
            .replacingOccurrences(of: "82.4", with: "80.0")
            try ingest(processor, "telekit/HV10-00017/hv10", older)
            let latest = try processor.store.latestReadings()
            #expect(latest.map(\.value) == [82.4])
        }
    }

    @Test("a message is stored whole or not at all")
    func wholeMessage() async throws {
        try await withTemporaryDirectory { directory in
            let processor = try TestCohort.processor(in: directory)
            let first =
                #"{"sn": "BP7-0042", "seq": 1, "time_ms": 1795155641000, "sys": 128, "dia": 79, "unit": "mmHg"}"#
            try ingest(processor, "telekit/BP7-0042/bp7", first)
            // Same message id, new pulse, changed diastolic: the conflict quarantines all of it.
            let changed =
                #"{"sn": "BP7-0042", "seq": 1, "time_ms": 1795155641000, "sys": 128, "dia": 80, "pulse": 70, "unit": "mmHg"}"#
            #expect(try ingest(processor, "telekit/BP7-0042/bp7", changed).outcome == .quarantined)
            #expect(try processor.store.readings(patientID: "P-0001").map(\.kind) == [.diastolic, .systolic])
        }
    }

    @Test("imported CSV rows go through the same validation and attribution")
    func importRows() async throws {
        try await withTemporaryDirectory { directory in
            let processor = try TestCohort.processor(in: directory)
            let rows = [
                "HV10-00017,weight,82.4,kg,2026-11-01T07:00:00+01:00",
                "HV10-00017,weight,181.7,lb,2026-11-02 07:00:00",
                "BP7-0042,systolic,17.1,kPa,2026-11-02T07:05:00+01:00",
                "BP7-0042,systolic,128,kg,2026-11-02T07:05:00+01:00",
                "HV10-99999,weight,82.4,kg,2026-11-01T07:00:00+01:00",
                "HV10-00017,weight,700,kg,2026-11-03T07:00:00+01:00",
                "HV10-00017,weight,82.4,kg",
            ]
            try processor.store.journal(
                .import,
                messages: rows.enumerated().map { ("import/test.csv/line/\($0.offset + 2)", Data($0.element.utf8)) })
            let results = try processor.processPending(source: .import)
            #expect(
                results.map(\.outcome) == [
                    .stored, .stored, .stored, .quarantined, .quarantined, .quarantined, .quarantined,
                ])
            #expect(
                results.compactMap(\.rejection?.reason) == [
                    .wrongUnit, .unknownDevice, .implausibleValue, .missingField,
                ])
            let readings = try processor.store.readings(patientID: "P-0001")
            #expect(readings.count == 3)
            // A local time in the CSV is the patient's (Copenhagen, UTC+1 in November).
            #expect(
                readings.contains {
                    $0.measuredAt == (try! Date("2026-11-02T06:00:00Z", strategy: .iso8601))
                        && $0.originalUnit == .pound
                })
        }
    }

    @Test("CPR numbers are masked in lists and must have ten digits")
    func cpr() async throws {
        try await withTemporaryDirectory { directory in
            let processor = try TestCohort.processor(in: directory)
            #expect(try processor.store.patient(id: "P-0001")?.maskedCPR == "000101-****")
            #expect(throws: StoreError.self) { try processor.store.addPatient(id: "P-X", name: "X", cpr: "12345") }
        }
    }
}
