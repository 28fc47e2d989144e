import ArgumentParser
import BrokerSettings
import Foundation
import Logging
import MQTT
import MonitoringRecords
import Synchronization
import TelekitSimulation

@main
struct TelekitSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "telekit-sim",
        abstract: "Publishes an invented cohort's telekit readings over MQTT in the shipped device formats.",
        discussion: """
            Deterministic for a seed. Gateways go offline and flush their backlog, clocks drift,
            some messages are delivered twice, and --bad-fraction of them are broken. Assumptions:
            docs/SIMULATOR.md. All patients, names and CPR numbers (day 00) are invented.
            """)

    @Option(help: "Broker URL, mqtt://host:port.") var broker = "mqtt://127.0.0.1:1883"
    @Option(help: "Patients in the cohort.") var patients = 30
    @Option(help: "Days of follow-up.") var days = 56
    @Option(help: "Seed: the same seed publishes the same messages.") var seed: UInt64 = 1
    @Option(help: "First day, YYYY-MM-DD (default: so that the period ends today).") var start: String?
    @Option(help: "Publishing rate: max, or messages per second.") var rate = "max"
    @Option(help: "Fraction of messages replaced by malformed ones (0 sends none).") var badFraction = 0.0
    @Option(help: "Write the ground truth (episodes, malformed messages, counts) as JSON here.") var truth: String?
    @Option(help: "Write the cohort's patients and devices to this roster file, for `tele-ingest patients import`.")
    var roster: String?
    @Option(
        help: ArgumentHelp(
            "Keep at most this many messages unconfirmed by the service's receipts, as a gateway does.",
            discussion:
                "Needs receipts on in tele-ingest. Paces the publisher to what the service stores, so a long replay never fills the broker's queue (max_queued_messages)."
        )) var window: Int?
    @Option(help: "Receipt topic prefix, as configured in the service (with --window).") var receiptPrefix = "telekit"
    @Flag(help: "Print the plan's counts and publish nothing.") var dryRun = false

    func run() async throws {
        guard (0...1).contains(badFraction) else { throw ValidationError("--bad-fraction must be between 0 and 1") }
        let messagesPerSecond: Double? = rate == "max" ? nil : Double(rate)
        if rate != "max", (messagesPerSecond ?? 0) <= 0 {
            throw ValidationError("--rate expects max or a positive number")
        }
        if let window, window < 1 { throw ValidationError("--window expects a positive number of messages") }
        let zone = TimeZone(identifier: "Europe/Copenhagen")!
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let now = try WallClock.fromEnvironment().now()
        let first: Date
        if let start {
            guard let date = try? Date(start + "T00:00:00Z", strategy: .iso8601) else {
                throw ValidationError("--start expects YYYY-MM-DD, found '\(start)'")
            }
            first = calendar.startOfDay(for: date.addingTimeInterval(12 * 3600))
        } else {
            first = calendar.date(byAdding: .day, value: -(days - 1), to: calendar.startOfDay(for: now))!
        }
        let plan = TrafficPlan.make(
            CohortSimulator(seed: seed, patients: patients, days: days, start: first, zone: zone),
            badFraction: badFraction
        ).sent(by: now)
        let entries = plan.entries
        let truthValue = plan.truth
        if let truth {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            try encoder.encode(truthValue).write(to: URL(fileURLWithPath: truth))
        }
        if let roster {
            try Roster(
                patients: plan.patients.map {
                    Roster.Patient(
                        id: PatientID($0.id), name: $0.name, cpr: $0.cpr, monitoringStart: $0.monitoringStart,
                        serials: $0.kit.serials.map { DeviceSerial($0) }, kitReturned: $0.kitReturned)
                }
            ).write(to: URL(fileURLWithPath: roster))
        }
        print(
            "\(patients) patients\(plan.patients.count > patients ? " (+\(plan.patients.count - patients) given a returned kit)" : "") × \(days) days (seed \(seed)): \(truthValue.messages) messages, \(truthValue.expectedReadings) readings, \(truthValue.duplicates) duplicates, \(truthValue.malformed.count) malformed, \(truthValue.patients.flatMap(\.episodes).count) decompensation episodes"
        )
        guard !dryRun else { return }
        guard let endpoint = BrokerEndpoint(url: broker) else {
            throw ValidationError("--broker expects mqtt://host:port")
        }
        // Receipt entries counted so far: each is one message the service has committed.
        let confirmed = Atomic<Int>(0)
        let connection = try MQTTConnection(
            endpoint: endpoint,
            options: SessionOptions(
                clientID: "telekit-sim-\(UInt32.random(in: 0...UInt32.max))", cleanSession: true,
                topicFilters: window == nil ? [] : ["\(receiptPrefix)/+/receipt"]),
            logger: Logger(label: "telekit-sim"),
            onMessage: { message in
                guard let receipt = try? JSONDecoder().decode(Receipt.self, from: message.payload) else { return }
                confirmed.add(receipt.messages.count, ordering: .relaxed)
            })
        try connection.start()
        guard await connection.waitUntilConnected() else {
            throw ValidationError("cannot reach the broker at \(broker)")
        }
        let clock = ContinuousClock()
        let began = clock.now
        for (number, entry) in entries.enumerated() {
            if let window {
                while number - confirmed.load(ordering: .relaxed) >= window {
                    try await Task.sleep(for: .milliseconds(2))
                }
            }
            try connection.publish(topic: entry.message.topic, payload: Data(entry.message.payload.utf8))
            if let messagesPerSecond {
                try await clock.sleep(until: began + .seconds(Double(number + 1) / messagesPerSecond))
            } else if number % 1000 == 999 {
                // Let the broker catch up rather than queue everything in this process.
                try await connection.waitUntilAcknowledged(number - 500, checking: .milliseconds(5))
            }
        }
        try await connection.waitUntilAcknowledged(entries.count, checking: .milliseconds(10))
        if window != nil {
            // Malformed messages without a readable serial get no receipt: wait until every
            // message is confirmed or receipts stop coming for 30 s.
            var last = (count: confirmed.load(ordering: .relaxed), at: clock.now)
            while last.count < entries.count, clock.now - last.at < .seconds(30) {
                try await Task.sleep(for: .milliseconds(50))
                let now = confirmed.load(ordering: .relaxed)
                if now != last.count { last = (now, clock.now) }
            }
            print("\(last.count) of \(entries.count) messages confirmed by the service's receipts")
        }
        connection.stop()
        print("published \(entries.count) messages, all acknowledged by the broker")
    }
}
