import ArgumentParser
import BrokerSettings
import Foundation
import Logging
import MQTT
import MonitoringRecords
import Synchronization

/// A gateway that behaves as the product expects gateways to: it publishes each reading at
/// QoS 1, keeps it until the service's receipt says it was committed, and publishes it again
/// when no receipt came within `--resend-after` seconds. For `scripts/chaos`, which kills the
/// service and the broker underneath it: with this gateway, nothing may be lost.
@main
struct ChaosGateway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos-gateway",
        abstract: "Publishes readings for many devices with receipts and resends, and reports what was confirmed.")

    @Option(help: "Broker, mqtt://host:port.") var broker = "mqtt://127.0.0.1:1883"
    @Option(help: "Write the devices' patients to this roster file (`tele-ingest patients import`), then exit.")
    var roster: String?
    @Option(help: "Devices (one invented patient each).") var devices = 1000
    @Option(help: "Readings to send in all.") var readings = 100_000
    @Option(help: "Every Nth message is a reading from the future (quarantined, still confirmed).") var badEvery = 100
    @Option(help: "Messages per second.") var rate = 2000.0
    @Option(help: "Resend what has no receipt after this many seconds.") var resendAfter = 15.0
    @Option(help: "Give up after this many seconds.") var timeout = 1200.0
    @Option(help: "Write the report (JSON) here.") var report: String?

    static func serial(_ device: Int) -> String { String(format: "HV10-C%05d", device) }

    /// The report `scripts/chaos` checks the store against.
    struct Report: Codable {
        var sent: Int
        var bad: Int
        var confirmed: Int
        var resends: Int
        var unconfirmed: [String]
        var seconds: Double
    }

    /// Message ids not yet confirmed, with when they were last sent.
    final class Pending: Sendable {
        struct Message: Sendable {
            var topic: String
            var payload: Data
            var sentAt: ContinuousClock.Instant
            /// Resends so far: each waits twice as long as the one before (at most 5 minutes), so
            /// a slow service is not buried under copies of what it has not got to yet.
            var resends = 0
        }
        private let state = Mutex<(messages: [String: Message], confirmed: Int)>(([:], 0))

        func add(_ id: String, _ message: Message) { state.withLock { $0.messages[id] = message } }

        func confirm(_ receipt: Receipt) {
            state.withLock { state in
                for entry in receipt.messages {
                    guard let id = entry.messageId, state.messages.removeValue(forKey: id) != nil else { continue }
                    state.confirmed += 1
                }
            }
        }

        /// Messages whose receipt is overdue — `age` after the first send, doubling per resend —
        /// marked as sent now.
        func due(olderThan age: Duration) -> [(String, Message)] {
            let now = ContinuousClock.now
            return state.withLock { state in
                var due: [(String, Message)] = []
                for (id, message) in state.messages {
                    let wait = min(age * (1 << min(message.resends, 10)), .seconds(300))
                    guard now - message.sentAt > wait else { continue }
                    due.append((id, message))
                    state.messages[id]?.sentAt = now
                    state.messages[id]?.resends += 1
                }
                return due
            }
        }

        var count: Int { state.withLock { $0.messages.count } }
        var confirmed: Int { state.withLock { $0.confirmed } }
        var ids: [String] { state.withLock { Array($0.messages.keys) } }
    }

    func run() async throws {
        if let roster {
            let start = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01
            try Roster(
                patients: (0..<devices).map { device in
                    Roster.Patient(
                        id: PatientID(String(format: "C-%05d", device)), name: "Chaos Testpatient \(device)",
                        monitoringStart: start, serials: [DeviceSerial(Self.serial(device))])
                }
            ).write(to: URL(fileURLWithPath: roster))
            print("wrote a roster of \(devices) devices")
            return
        }
        guard let endpoint = BrokerEndpoint(url: broker) else {
            throw ValidationError("--broker expects mqtt://host:port")
        }
        let pending = Pending()
        let connection = try MQTTConnection(
            endpoint: endpoint,
            options: SessionOptions(clientID: "chaos-gateway", cleanSession: true, topicFilters: ["telekit/+/receipt"]),
            logger: Logger(label: "chaos-gateway"),
            onMessage: { message in
                if let receipt = try? JSONDecoder().decode(Receipt.self, from: message.payload) {
                    pending.confirm(receipt)
                }
            })
        try connection.start()
        guard await connection.waitUntilConnected(timeout: .seconds(30)) else {
            throw ValidationError("cannot reach the broker at \(broker)")
        }
        let clock = ContinuousClock()
        let began = clock.now
        var resends = 0
        var bad = 0
        // Measurement times: one a minute per device from 2026-02-01, so every reading is unique.
        let base = 1_769_904_000.0
        let now = Date()
        var number = 0
        var nextResendCheck = began + .seconds(1)
        while number < readings || pending.count > 0 {
            if clock.now - began > .seconds(timeout) { break }
            if number < readings {
                let device = number % devices
                let serial = Self.serial(device)
                let id = "c-\(number)"
                let isBad = badEvery > 0 && number % badEvery == badEvery - 1
                let measured =
                    isBad
                    ? now.addingTimeInterval(86_400) : Date(timeIntervalSince1970: base + Double(number / devices) * 60)
                if isBad { bad += 1 }
                let weight = 60 + Double(number % 600) / 10
                let payload = Data(
                    #"{"serial": "\#(serial)", "msg_id": "\#(id)", "measured": "\#(measured.formatted(.iso8601))", "weight": \#(weight), "unit": "kg"}"#
                        .utf8)
                let topic = "telekit/\(serial)/hv10"
                pending.add(id, Pending.Message(topic: topic, payload: payload, sentAt: clock.now))
                try? connection.publish(topic: topic, payload: payload)
                number += 1
                try await clock.sleep(until: began + .seconds(Double(number) / rate))
            } else {
                try await Task.sleep(for: .milliseconds(200))
            }
            if clock.now >= nextResendCheck {
                nextResendCheck = clock.now + .seconds(1)
                for (_, message) in pending.due(olderThan: .seconds(resendAfter)) {
                    try? connection.publish(topic: message.topic, payload: message.payload)
                    resends += 1
                }
            }
        }
        connection.stop()
        let elapsed = clock.now - began
        let result = Report(
            sent: number, bad: bad, confirmed: pending.confirmed, resends: resends, unconfirmed: pending.ids.sorted(),
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        if let report {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(result).write(to: URL(fileURLWithPath: report))
        }
        print(
            "gateway: sent \(result.sent) (\(bad) from the future), confirmed \(result.confirmed), resent \(resends), unconfirmed \(result.unconfirmed.count), \(Int(result.seconds)) s"
        )
        if !result.unconfirmed.isEmpty { throw ExitCode(1) }
    }
}
