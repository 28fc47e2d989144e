import ArgumentParser
import BrokerSettings
import MQTT
import MonitoringRecords
import ServiceConfiguration
import TeleIngest

/// Who a worker is and how it reaches the broker: shared by `run` and `workers retire`, which
/// must connect exactly as the worker did.
struct WorkerOptions: ParsableArguments {
    @Option(help: "Broker URL, mqtt://host:port.")
    var broker: String?

    @Option(name: .customLong("topic"), help: "Topic filter to subscribe to; repeat for several.")
    var topics: [String] = []

    @Option(
        help: "MQTT client id (fixed, so the broker keeps the session); default tele-ingest, or tele-ingest-WORKER.")
    var clientId: String?

    @Option(help: "This worker's name among several sharing the store (\(WorkerName.expectation)); default main.")
    var worker: String?

    @Option(help: "Subscribe as a member of this MQTT shared subscription group ($share/GROUP/…).")
    var sharedGroup: String?

    /// Overrides the configuration file with the flags given.
    func apply(to configuration: inout IngestConfiguration) throws {
        if let broker {
            guard let endpoint = BrokerEndpoint(url: broker) else {
                throw ValidationError("--broker expects mqtt://host:port, found '\(broker)'")
            }
            configuration.broker.host = endpoint.host
            configuration.broker.port = endpoint.port
        }
        if !topics.isEmpty { configuration.session.topicFilters = topics }
        if let worker {
            guard let name = WorkerName(worker) else {
                throw ValidationError("--worker expects \(WorkerName.expectation), found '\(worker)'")
            }
            configuration.worker = name
        }
        if let clientId { configuration.clientID = clientId }
        if let sharedGroup {
            if let problem = IngestConfiguration.sharedGroupProblem(sharedGroup) {
                throw ValidationError("--shared-group \(problem)")
            }
            configuration.sharedGroup = sharedGroup
        }
    }
}
