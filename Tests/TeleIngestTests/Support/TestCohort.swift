import DevicePayloads
import Foundation
import MonitoringRecords
import ReadingIntake
import Testing

@testable import TeleIngest

/// The invented patients and devices the tests use. CPR numbers are recognisably fake: day 00.
enum TestCohort {
    static let pairedFrom = try! Date("2026-01-01T00:00:00Z", strategy: .iso8601)
    static let returnedAt = try! Date("2026-06-01T00:00:00Z", strategy: .iso8601)
    /// "Now" for every store and processor the tests make: after every sample payload's time
    /// (2026-11-20), whatever the date the suite runs on.
    static let now = try! Date("2026-12-01T09:00:00+01:00", strategy: .iso8601)
    /// The clock of running services and of every program a test starts (through
    /// `TELE_INGEST_NOW`): it read `now` when the tests began and runs on from there.
    static let clock = WallClock.starting(at: now)

    /// Serials of devices paired with P-0001 from 2026-01-01.
    static let serials: [DeviceSerial] = [
        "HV10-00017", "SC300-A1", "BP7-0042", "K2-9001", "TAB-3301", "00-1B-C5-FF-FE-00-12-34",
        "00-1B-C5-FF-FE-00-56-78",
    ]

    /// Registers Test Patient One (Copenhagen) with every sample device, Test Patient Two, and a
    /// returned scale HV10-RETURNED that was P-0002's until 2026-06-01.
    /// Both are monitored from 2026-01-01, before any sample payload.
    static func register(in store: MonitoringStore) throws {
        try store.addPatient(id: "P-0001", name: "Test Patient One", cpr: "000101-0001", monitoringStart: pairedFrom)
        try store.addPatient(id: "P-0002", name: "Test Patient Two", cpr: "000202-0002", monitoringStart: pairedFrom)
        for serial in serials {
            try store.pair(serial: serial, patientID: "P-0001", from: pairedFrom)
        }
        try store.pair(serial: "HV10-RETURNED", patientID: "P-0002", from: pairedFrom)
        try store.unpair(serial: "HV10-RETURNED", at: returnedAt)
    }

    static func profiles() throws -> DeviceProfileSet {
        try DeviceProfileSet.load(directory: Paths.deviceProfiles)
    }

    /// A processor on a fresh store in `directory`, cohort registered, its clock at `now`.
    static func processor(in directory: URL, now: Date = now) throws -> JournalProcessor {
        let store = try MonitoringStore(path: directory.appendingPathComponent("test.sqlite").path, clock: .fixed(now))
        try register(in: store)
        return JournalProcessor(
            store: store, decoder: MessageDecoder(profiles: try profiles()), futureTolerance: 300,
            defaultTimeZone: TimeZone(identifier: "Europe/Copenhagen")!)
    }
}

/// One entry of `Fixtures/malformed-corpus.yaml`.
struct MalformedCase: Decodable, Sendable, CustomTestStringConvertible {
    var name: String
    var topic: String
    var payload: String
    var reason: String

    static func corpus() throws -> [MalformedCase] {
        let url = Paths.fixtures.appendingPathComponent("malformed-corpus.yaml")
        return try YAMLFile.decode([MalformedCase].self, from: url)
    }

    var testDescription: String { name }
}

extension JournalProcessor {
    /// Journals one device message as the MQTT callback would, then processes the journal.
    @discardableResult
    func ingest(_ topic: String, _ payload: String) throws -> [MessageResult] {
        try store.journal(.mqtt, topic: topic, payload: Data(payload.utf8))
        return try processPending()
    }
}
