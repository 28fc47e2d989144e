import Foundation
import StoreInterface
import TeleIngest
import Testing
import ThresholdRules

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `GET /metrics` and `GET /health` of the running service (`metrics.port`,
/// docs/OPERATIONS.md), scraped over HTTP as Prometheus would.
@Suite struct MonitoringEndpointTests {
    /// Fetches `path` from the service; `nil` while nothing answers.
    static func get(_ port: Int, _ path: String) async -> (status: Int, body: String)? {
        guard let url = URL(string: "http://127.0.0.1:\(port)\(path)"),
            let (data, response) = try? await URLSession.shared.data(from: url),
            let http = response as? HTTPURLResponse
        else { return nil }
        return (http.statusCode, String(decoding: data, as: UTF8.self))
    }

    /// The value of an unlabelled or labelled sample in a scrape, `nil` when absent.
    static func sample(_ name: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == name { return Double(parts[1]) }
        }
        return nil
    }

    @Test(
        "a scrape counts what arrived, was stored and was quarantined; /health says healthy, then not when the broker goes"
    )
    func scrape() async throws {
        try await withBroker { broker in
            try await withTemporaryDirectory { directory in
                let port = try freeLoopbackPort()
                let config = directory.appendingPathComponent("metrics.yaml")
                try "metrics:\n  port: \(port)\ningest:\n  statusIntervalSeconds: 1\n".write(
                    to: config, atomically: true, encoding: .utf8)
                try await withRegisteredService(broker: broker, directory: directory, extra: ["--config", config.path])
                {
                    store, service in
                    let publisher = try await Publisher(broker: broker)
                    defer { publisher.close() }
                    try await CrashRecoveryTests.publish(0..<20, with: publisher)
                    try publisher.publish("telekit/HV10-00017/hv10", "{\"serial\": ")
                    // A pulse of 130: the guideline set's red limit is 110.
                    try publisher.publish(
                        "telekit/BP7-0042/bp7",
                        #"{"sn": "BP7-0042", "seq": 9, "time_ms": 1795155641000, "sys": 128, "dia": 79, "pulse": 130, "unit": "mmHg"}"#
                    )
                    try await publisher.flush(timeout: .seconds(30))

                    var text = ""
                    #expect(
                        await eventually(timeout: .seconds(30)) {
                            text = await Self.get(port, "/metrics")?.body ?? ""
                            return Self.sample("tele_ingest_messages_received_total", in: text) == 22
                                && Self.sample("tele_ingest_readings_stored_total", in: text) == 23
                                && Self.sample(#"tele_ingest_quarantined_total{reason="malformed_json"}"#, in: text)
                                    == 1
                                && Self.sample("tele_ingest_broker_connected", in: text) == 1
                        }, "\(text)")
                    #expect(
                        Self.sample(#"tele_ingest_quarantined_total{reason="malformed_json"}"#, in: text) == 1,
                        "\(text)")
                    #expect(Self.sample(#"tele_ingest_messages_processed_total{outcome="stored"}"#, in: text) == 21)
                    #expect(Self.sample("tele_ingest_backlog_messages", in: text) != nil)
                    #expect(text.contains("tele_ingest_batch_duration_seconds_bucket"))
                    #expect(text.contains("# TYPE tele_ingest_messages_received_total counter"))
                    #expect(try store.readingCount() == 23)
                    let open = try store.flags().filter { $0.state == .open || $0.state == .escalated }
                    #expect(open.contains { $0.severity == .red }, "the pulse of 130 opened a red flag")
                    // The gauge is the store's count at the last heartbeat. The missing-data
                    // check may open or close a flag between two reads on a slow machine, so
                    // each try compares a scrape with the store's count read just before it.
                    for severity in ["red", "yellow"] {
                        let sample = #"tele_ingest_open_flags{severity=""# + severity + #""}"#
                        var seen = (store: -1.0, scrape: -1.0)
                        #expect(
                            await eventually(timeout: .seconds(10)) {
                                let counted = (try? store.openFlagCounts()).map { Double($0[severity] ?? 0) } ?? -1
                                let scraped =
                                    Self.sample(sample, in: await Self.get(port, "/metrics")?.body ?? "") ?? -2
                                seen = (counted, scraped)
                                return scraped == counted
                            }, "\(severity): the store counted \(seen.store), the scrape said \(seen.scrape)")
                    }

                    // Every flag in the store was opened by this service: on a reading or by the
                    // missing-data check (a severity can rise later, so the total is compared).
                    let everFlagged = Double(try store.flags().count)
                    #expect(
                        await eventually(timeout: .seconds(10)) {
                            let scrape = await Self.get(port, "/metrics")?.body ?? ""
                            let red = Self.sample(#"tele_ingest_flags_opened_total{severity="red"}"#, in: scrape) ?? -1
                            let yellow =
                                Self.sample(#"tele_ingest_flags_opened_total{severity="yellow"}"#, in: scrape) ?? -1
                            return red >= 1 && red + yellow == everFlagged
                        }, "flags opened")
                    let scraped = await Self.get(port, "/metrics")?.body ?? ""
                    #expect((Self.sample("tele_ingest_rule_evaluation_duration_seconds_count", in: scraped) ?? 0) >= 1)

                    let health = await Self.get(port, "/health")
                    #expect(
                        health?.status == 200 && health?.body.contains(#""healthy":true"#) == true,
                        "\(String(describing: health))")

                    broker.stop()
                    #expect(
                        await eventually(timeout: .seconds(30)) { await Self.get(port, "/health")?.status == 503 })
                    let down = await Self.get(port, "/health")
                    #expect(down?.body.contains("not connected to the broker") == true, "\(String(describing: down))")
                    #expect(service.stop() == 0)
                }
            }
        }
    }
}
