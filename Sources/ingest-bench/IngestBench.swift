import ArgumentParser
import BrokerSettings
import Foundation
import Logging
import MQTT
import MonitoringRecords
import Synchronization

/// Publish-to-commit latency from outside the service: messages go out at a steady rate, and
/// the service's receipts (published after the transaction that stores the readings and their
/// flags commits) come back. Used by `scripts/bench-latency`.
@main
struct IngestBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest-bench",
        abstract: "Measures publish-to-flag latency through a running tele-ingest with receipts on.")

    @Option(help: "Broker URL.") var broker = "mqtt://127.0.0.1:1883"
    @Option(help: "Messages to publish.") var messages = 30_000
    @Option(help: "The first message's number: a later run goes on from an earlier one's last message (ids and times).")
    var first = 0
    @Option(help: "Messages per second.") var rate = 1000.0
    @Option(help: "Patients (one scale each) the messages are spread over.") var patients = 1000
    @Option(help: "Write the patients and scales to this roster file (`tele-ingest patients import`), then exit.")
    var roster: String?
    @Option(help: "Days before now that the first message's weighing was taken.") var daysBack = 20.0
    @Option(help: "Seconds between one scale's weighings.") var spacing = 600.0
    @Option(help: "Receipt topic prefix, as configured in the service.") var receiptPrefix = "telekit"
    @Flag(help: "Publish as fast as the broker takes the messages instead of at --rate.") var unpaced = false
    @Flag(help: "Measure no latency: publish and exit (for a service running without receipts).")
    var noReceipts = false
    @Option(help: "Also write each message's latency to this CSV file (seconds since the first publish, milliseconds).")
    var latencies: String?

    func run() async throws {
        // The service's clock (`TELE_INGEST_NOW`, else the system's): the weighings' times are
        // placed against it, and a time ahead of the service's would be quarantined.
        let wallClock = try WallClock.fromEnvironment()
        let serials = (0..<patients).map { String(format: "HV10-LAT%05d", $0) }
        if let roster {
            // Monitoring (and the scales' pairings) began before the first weighing.
            let start = wallClock.now().addingTimeInterval(-max(30, daysBack + 1) * 86_400)
            try Roster(
                patients: serials.enumerated().map { index, serial in
                    Roster.Patient(
                        id: PatientID(String(format: "LAT-%05d", index)), name: "Latency Patient \(index)",
                        monitoringStart: start,
                        serials: [DeviceSerial(serial)])
                }
            ).write(to: URL(fileURLWithPath: roster))
            print("wrote a roster of \(patients) patients")
            return
        }
        guard let endpoint = BrokerEndpoint(url: broker) else {
            throw ValidationError("--broker expects mqtt://host:port")
        }
        let sent = Mutex<[String: ContinuousClock.Instant]>([:])
        // Each receipted message: when it was published and its latency.
        let measured = Mutex<[(sent: ContinuousClock.Instant, ms: Double)]>([])
        let clock = ContinuousClock()
        // Without receipts there is nothing to subscribe to: only the publisher connects.
        let receipts =
            noReceipts
            ? nil
            : try MQTTConnection(
                endpoint: endpoint,
                options: SessionOptions(
                    clientID: "bench-receipts-\(UInt32.random(in: 0...UInt32.max))", cleanSession: true,
                    topicFilters: ["\(receiptPrefix)/+/receipt"]),
                logger: Logger(label: "ingest-bench")
            ) { message in
                let arrived = clock.now
                guard let receipt = try? JSONDecoder().decode(Receipt.self, from: message.payload) else { return }
                for entry in receipt.messages {
                    guard let id = entry.messageId, let start = sent.withLock({ $0[id] }) else { continue }
                    let ms = (arrived - start) / .milliseconds(1)
                    measured.withLock { $0.append((start, ms)) }
                }
            }
        try receipts?.start()
        let publisher = try MQTTConnection(
            endpoint: endpoint,
            options: SessionOptions(
                clientID: "bench-pub-\(UInt32.random(in: 0...UInt32.max))", cleanSession: true, publishWindow: 1000),
            logger: Logger(label: "ingest-bench"), onMessage: { _ in })
        try publisher.start()
        guard await receipts?.waitUntilConnected() ?? true, await publisher.waitUntilConnected() else {
            throw ValidationError("cannot reach the broker at \(broker)")
        }
        let startedAt = clock.now
        if latencies != nil {
            print("first publish at \(wallClock.now().formatted(.iso8601.time(includingFractionalSeconds: true)))")
        }
        let base = wallClock.now().addingTimeInterval(-daysBack * 86_400)
        for number in first..<(first + messages) {
            let serial = serials[number % serials.count]
            let id = "lat-\(number)"
            // Distinct measurement times per scale, `spacing` apart from `daysBack` days ago.
            let measured = base.addingTimeInterval(Double((number - first) / serials.count) * spacing)
            let payload =
                #"{"serial": "\#(serial)", "msg_id": "\#(id)", "measured": "\#(measured.formatted(.iso8601))", "weight": \#(70 + Double(number % 50) / 10), "unit": "kg"}"#
            if unpaced {
                // Keep at most a few thousand messages in this process's queue.
                try await publisher.waitUntilAcknowledged(number - first - 2000)
            } else {
                try await clock.sleep(until: startedAt + .seconds(Double(number - first) / rate))
            }
            if !noReceipts { sent.withLock { $0[id] = clock.now } }
            try publisher.publish(topic: "telekit/\(serial)/hv10", payload: Data(payload.utf8))
        }
        try await publisher.waitUntilAcknowledged(messages)
        let elapsed = clock.now - startedAt
        if noReceipts {
            publisher.stop()
            let seconds = elapsed / .seconds(1)
            print(
                String(
                    format:
                        "published %d messages over %d patients in %.2f s (%.0f msg/s), all acknowledged by the broker",
                    messages, patients, seconds, Double(messages) / seconds))
            return
        }
        let deadline = clock.now + .seconds(60)
        while measured.withLock({ $0.count }) < messages, clock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        publisher.stop()
        receipts?.stop()
        let results = measured.withLock { $0 }
        if let latencies {
            let lines = results.sorted { $0.sent < $1.sent }.map {
                String(format: "%.4f,%.3f", ($0.sent - startedAt) / .seconds(1), $0.ms)
            }
            try (["sent_s,latency_ms"] + lines).joined(separator: "\n").appending("\n")
                .write(toFile: latencies, atomically: true, encoding: .utf8)
        }
        let sorted = results.map(\.ms).sorted()
        guard !sorted.isEmpty else {
            throw ValidationError("no receipts arrived: is tele-ingest running with receipts.enabled?")
        }
        func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        let seconds = elapsed / .seconds(1)
        print(
            String(
                format: "published %d messages in %.1f s (%.0f msg/s); receipts for %d", messages, seconds,
                Double(messages) / seconds, sorted.count))
        print(
            String(
                format:
                    "publish → committed (readings and flags) → receipt, ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f",
                percentile(0.5), percentile(0.9), percentile(0.99), sorted.last!))
    }
}
