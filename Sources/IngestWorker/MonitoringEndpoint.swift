import FlyingFox
import FlyingSocks
import Foundation
import MonitoringRecords

/// The service's HTTP endpoint on the loopback interface (`metrics.port`): `GET /metrics` in
/// Prometheus' text format, and `GET /health`: 200 when the service is connected to the broker
/// and keeping up, 503 with the reason otherwise — what `tele-ingest status` decides.
struct MonitoringEndpoint {
    /// What /health answers, as JSON.
    struct Health: Codable, Sendable, Equatable {
        var healthy: Bool
        var problems: [String]
        var status: ServiceStatus?
        var backlog: Int
    }

    let port: UInt16
    let metrics: ServiceMetrics
    let health: @Sendable () async -> Health

    /// Serves until the task is cancelled.
    func serve(listening: @escaping @Sendable (UInt16) -> Void) async throws {
        let server = HTTPServer(address: try .inet(ip4: "127.0.0.1", port: port))
        await server.appendRoute("GET /metrics") { [metrics] _ in
            HTTPResponse(
                statusCode: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: Data(metrics.exposition))
        }
        await server.appendRoute("GET /health") { [health] _ in
            let answer = await health()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            return HTTPResponse(
                statusCode: answer.healthy ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
                body: (try? encoder.encode(answer)) ?? Data())
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            group.addTask {
                try await server.waitUntilListening()
                listening(port)
            }
            try await group.waitForAll()
        }
    }
}
