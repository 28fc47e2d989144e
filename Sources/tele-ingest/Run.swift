import ArgumentParser
import Foundation
import IngestWorker
import Logging
import MQTT
import MonitoringRecords
import ServiceConfiguration
import ServiceLifecycle
import TeleIngest
import UnixSignals

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the ingest service until SIGTERM or SIGINT.",
        discussion: """
            Subscribes at QoS 1 with a persistent session, journals every message before it is
            acknowledged, and stores readings or quarantines messages in batches. Flags override
            the configuration file.
            """)

    @OptionGroup var store: StoreOptions

    @OptionGroup var worker: WorkerOptions

    @Option(help: "Folder of device profiles (.yaml).")
    var profiles: String?

    @Option(help: "Rule file (YAML), or 'none' to run without rules.")
    var rules: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?

    func run() async throws {
        var configuration = try store.configuration()
        try worker.apply(to: &configuration)
        if let profiles { configuration.profilesDirectory = profiles }
        if let rules { configuration.rules.file = rules == "none" ? nil : rules }
        if let logLevel { configuration.logLevel = logLevel }
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "tele-ingest")
        // A write past the file size limit (`ulimit -f`) is an error the inbox retries and the
        // store reports, not a signal that ends the process.
        signal(SIGXFSZ, SIG_IGN)
        if WallClock.isSet() {
            logger.warning(
                "the clock is set by \(WallClock.environmentVariable): arrivals and flags are stamped by it, not by the system clock",
                metadata: ["now": "\(configuration.clock.now().formatted(.iso8601))"])
        }
        let service = try await IngestService.open(configuration: configuration, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await group.run()
        } catch {
            await service.backend.close()
            throw error
        }
        await service.backend.close()
    }
}
