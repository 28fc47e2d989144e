import BrokerSettings
import ConsoleScreens
import DevicePayloads
import FollowUp
import Foundation
import GRDB
import IngestWorker
import MQTT
import MonitoringRecords
import ReadingIntake
import ServiceConfiguration
import StoreInterface
import Synchronization
import TerminalUI
import Testing
import Vitals

@testable import TeleIngest

#if canImport(Glibc)
    import Glibc
#endif

/// The service against a real mosquitto on a free loopback port and a real SQLite file.
@Suite(.serialized) struct BrokerIntegrationTests {
    @Test("each profile's samples published to the broker are found as readings")
    func samplesThroughBroker() async throws {
        try await withBroker { broker in
            try await withTemporaryDirectory { directory in
                try await withIngestService(broker: broker, directory: directory) { service in
                    let publisher = try await Publisher(broker: broker)
                    defer { publisher.close() }
                    var expected: [(String, ReadingKind, Double)] = []
                    for profile in service.processor.decoder.profiles.profiles {
                        for sample in profile.samples where sample.expectRejection == nil {
                            try publisher.publish(sample.topic, sample.payload)
                            expected += sample.expect.map { (profile.id, $0.kind, $0.value) }
                        }
                    }
                    try await publisher.flush()
                    let store = service.store
                    #expect(try await eventually { try store.readingCount() == expected.count })
                    let stored = try store.readings(patientID: "P-0001")
                    for (profileID, kind, value) in expected {
                        #expect(
                            stored.contains {
                                $0.profileID == profileID && $0.kind == kind && abs($0.value - value) < 0.05
                            },
                            "missing \(profileID) \(kind) \(value)")
                    }
                    #expect(try store.quarantine().isEmpty)
                }
            }
        }
    }

    @Test("the same message published twice gives one reading")
    func duplicateDelivery() async throws {
        try await withBroker { broker in
            try await withTemporaryDirectory { directory in
                try await withIngestService(broker: broker, directory: directory) { service in
                    let publisher = try await Publisher(broker: broker)
                    defer { publisher.close() }
                    try publisher.publish("telekit/HV10-00017/hv10", JournalProcessorTests.weighing)
                    try publisher.publish("telekit/HV10-00017/hv10", JournalProcessorTests.weighing)
                    try await publisher.flush()
                    let store = service.store
                    #expect(try await eventually { try store.journalOutcomes() == [.stored: 1, .duplicate: 1] })
                    #expect(try store.readingCount() == 1)
                }
            }
        }
    }

    @Test(
        "every malformed message through the broker ends in quarantine with its reason, and the service keeps running")
    func malformedThroughBroker() async throws {
        // Only what the service subscribes to reaches it; a topic outside its filters never arrives.
        let corpus = try MalformedCase.corpus().filter {
            ["telekit/", "omh/", "phd/"].contains(where: $0.topic.hasPrefix)
        }
        try await withBroker { broker in
            try await withTemporaryDirectory { directory in
                try await withIngestService(broker: broker, directory: directory) { service in
                    let publisher = try await Publisher(broker: broker)
                    defer { publisher.close() }
                    for sample in corpus { try publisher.publish(sample.topic, sample.payload) }
                    try publisher.publish("telekit/HV10-00017/hv10", Data(repeating: 0x20, count: 100_000))
                    try publisher.publish("telekit/HV10-00017/hv10", Data([0xFF, 0x00, 0xFE]))
                    // A good reading after all that still gets through.
                    try publisher.publish("telekit/HV10-00017/hv10", JournalProcessorTests.weighing)
                    try await publisher.flush()
                    let store = service.store
                    #expect(
                        try await eventually {
                            try store.journalBacklog() == 0 && store.readingCount() == 1
                                && store.quarantine().count == corpus.count + 2
                        })
                    let entries = try store.quarantine()
                    for sample in corpus {
                        let entry = entries.first {
                            $0.payload == Data(sample.payload.utf8) && $0.topic == sample.topic
                        }
                        #expect(
                            entry?.reason.rawValue == sample.reason,
                            "\(sample.name): \(entry?.message ?? "not in quarantine")")
                    }
                    #expect(entries.contains { $0.reason == .oversized && $0.payload.count == 100_000 })
                    #expect(service.brokerState == .connected)
                }
            }
        }
    }

    @Test("after the broker restarts, the service reconnects on its own and its session still delivers")
    func reconnectsAfterBrokerRestart() async throws {
        try await withBroker { broker in
            try await withTemporaryDirectory { directory in
                try await withIngestService(
                    broker: broker, directory: directory, configure: { $0.session.reconnectDelayMax = 2 }
                ) { service in
                    broker.stop(signal: SIGTERM)
                    #expect(
                        try await eventually(timeout: .seconds(10)) {
                            if case .disconnected = service.brokerState { return true } else { return false }
                        })
                    try await broker.start()
                    #expect(try await eventually(timeout: .seconds(20)) { service.brokerState == .connected })
                    let publisher = try await Publisher(broker: broker)
                    defer { publisher.close() }
                    try publisher.publish("telekit/HV10-00017/hv10", JournalProcessorTests.weighing)
                    try await publisher.flush()
                    let store = service.store
                    #expect(try await eventually { try store.readingCount() == 1 })
                }
            }
        }
    }

    @Test("the running service checks for missing data on its own, without any message arriving")
    func missingDataTimer() async throws {
        try await withBroker { broker in
            try await withTemporaryDirectory { directory in
                let started = TestCohort.clock.now().addingTimeInterval(-30 * 86_400)
                try await withIngestService(
                    broker: broker, directory: directory,
                    prepare: { store in
                        try store.addPatient(id: "P-QUIET", name: "Test Patient Quiet", monitoringStart: started)
                        try store.pair(serial: "HV10-QUIET", patientID: "P-QUIET", from: started)
                    }
                ) { service in
                    let store = service.store
                    #expect(
                        try await eventually {
                            try Set(store.flags(patientID: "P-QUIET", state: .open).map(\.ruleID)) == [
                                "missing-weight", "missing-blood-pressure",
                            ]
                        })
                    let flag = try #require(
                        try store.flags(patientID: "P-QUIET").first { $0.ruleID == "missing-weight" })
                    #expect(flag.explanation.hasPrefix("no weight since monitoring started"))
                }
            }
        }
    }

    @Test(
        "with reminders on, the patient's devices are told on the last day the plan allows, once, and no flag opens"
    )
    func reminders() async throws {
        try await withBroker { broker in
            try await withTemporaryDirectory { directory in
                // Subscribed before the service starts: its first missing-data check runs at once.
                let received = ReceivedReminders()
                let tablet = try await Publisher(
                    broker: broker, subscribe: ["telekit/+/reminder"], onMessage: received.append)
                defer { tablet.close() }
                let started = TestCohort.clock.now().addingTimeInterval(-30 * 86_400)
                try await withIngestService(
                    broker: broker, directory: directory, configure: { $0.reminders.enabled = true },
                    prepare: { store in
                        try store.addPatient(id: "P-REMIND", name: "Test Patient Remind", monitoringStart: started)
                        try store.pair(serial: "HV10-REMIND", patientID: "P-REMIND", from: started)
                        try store.pair(serial: "BP7-REMIND", patientID: "P-REMIND", from: started)
                        // Tuesday 1 Dec: weighed last Tuesday (7 days: the last day once a week
                        // allows), blood pressure on Sunday.
                        let rows = [
                            "HV10-REMIND,weight,80.0,kg,2026-11-24 07:05:00",
                            "BP7-REMIND,systolic,120,mmHg,2026-11-29 07:10:00",
                            "BP7-REMIND,diastolic,75,mmHg,2026-11-29 07:10:00",
                        ]
                        try store.journal(
                            .import,
                            messages: rows.enumerated().map {
                                ("import/remind.csv/line/\($0.offset + 2)", Data($0.element.utf8))
                            })
                    }
                ) { service in
                    let store = service.store
                    #expect(try await eventually { received.all.count == 2 })
                    #expect(Set(received.all.map(\.serial)) == ["HV10-REMIND", "BP7-REMIND"])
                    #expect(
                        received.all.allSatisfy {
                            $0.measurement == "weight" && $0.due == "2026-12-01" && $0.lastMeasured == "2026-11-24"
                                && $0.plan == "after the daily phase"
                        })
                    #expect(try store.reminders(patientID: "P-REMIND").map(\.due) == ["2026-12-01"])
                    // The nurse sees it on the patient view: the patient was asked before any flag.
                    let overview = try await ConsoleFixture.session(store, now: store.clock.now()).overview(
                        patientID: "P-REMIND", audited: false)
                    #expect(overview.record.reminders.map(\.measurement) == [.weight])
                    let screen = PatientScreen(overview: overview, glyphs: .ascii).document(width: 100, height: 60)
                        .lines.map { $0.map(\.text).joined() }
                    #expect(screen.contains("  reminded to measure: weight on 2026-12-01"), "\(screen)")
                    #expect(try store.flags(patientID: "P-REMIND", state: .open).isEmpty, "a reminder, not a flag")
                    // Its own reminders come back through the subscription to telekit/#: not readings.
                    try await Task.sleep(for: .milliseconds(300))
                    #expect(try store.quarantine().isEmpty)
                    // A second check the same day records and sends nothing new.
                    let again = try await store.database.write { db in
                        try #require(service.processor.rules).evaluateMissingData(
                            store: store, db: db, now: store.clock.now(), reminders: true)
                    }
                    #expect(again.reminders.isEmpty)
                }
            }
        }
    }

    @Test("with receipts on, the gateway is told which messages were committed")
    func receipts() async throws {
        try await withBroker { broker in
            try await withTemporaryDirectory { directory in
                try await withIngestService(
                    broker: broker, directory: directory, configure: { $0.receipts.enabled = true }
                ) { service in
                    let received = ReceivedMessages()
                    let gateway = try await Publisher(
                        broker: broker, subscribe: ["telekit/+/receipt"], onMessage: received.append)
                    defer { gateway.close() }
                    try gateway.publish("telekit/HV10-00017/hv10", JournalProcessorTests.weighing)
                    try gateway.publish("telekit/HV10-00017/hv10", JournalProcessorTests.weighing)
                    try await gateway.flush()
                    #expect(try await eventually { received.all.flatMap(\.messages).count == 2 })
                    let receipts = received.all
                    #expect(receipts.allSatisfy { $0.serial == "HV10-00017" })
                    #expect(
                        receipts.flatMap(\.messages) == [
                            Receipt.Entry(messageId: "m-1", outcome: "stored"),
                            Receipt.Entry(messageId: "m-1", outcome: "duplicate"),
                        ])
                    // The subscription to telekit/# brings the service its own receipts back:
                    // they are not device messages and must not fill the journal or quarantine
                    // (found by scripts/chaos).
                    try gateway.publish("telekit/HV10-00017/hv10", JournalProcessorTests.weighing)
                    try await gateway.flush()
                    #expect(try await eventually { received.all.flatMap(\.messages).count == 3 })
                    try await Task.sleep(for: .milliseconds(300))
                    #expect(try service.store.quarantine().isEmpty)
                    #expect(try service.store.journalOutcomes().values.reduce(0, +) == 3)
                }
            }
        }
    }
}

final class ReceivedMessages: Sendable {
    private let messages = Mutex<[Receipt]>([])
    func append(_ message: MQTTMessage) {
        if let receipt = try? JSONDecoder().decode(Receipt.self, from: message.payload) {
            messages.withLock { $0.append(receipt) }
        }
    }
    var all: [Receipt] { messages.withLock { $0 } }
}

final class ReceivedReminders: Sendable {
    private let messages = Mutex<[ReminderMessage]>([])
    func append(_ message: MQTTMessage) {
        if let reminder = try? JSONDecoder().decode(ReminderMessage.self, from: message.payload) {
            messages.withLock { $0.append(reminder) }
        }
    }
    var all: [ReminderMessage] { messages.withLock { $0 } }
}
