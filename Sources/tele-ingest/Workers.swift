import ArgumentParser
import Foundation
import IngestWorker
import Logging
import MonitoringRecords
import ServiceConfiguration
import TeleIngest

struct Workers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The ingest workers sharing this store: retire one for good.",
        discussion: "`tele-ingest status` lists them. See docs/DELIVERY.md, several workers.",
        subcommands: [Retire.self])

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take a stopped worker out of service without losing what it was given.",
            discussion: """
                Run on the worker's machine, with the worker's configuration (or its --worker, \
                --client-id, --broker and --shared-group): collects what the broker still queues \
                for the worker's session, ends the session, moves the worker's inbox into the \
                journal for the other workers, and removes the worker from `status`. Refused while \
                the worker runs.
                """)
        @OptionGroup var store: StoreOptions
        @OptionGroup var worker: WorkerOptions

        func run() async throws {
            var configuration = try store.configuration()
            try worker.apply(to: &configuration)
            guard worker.worker != nil || configuration.worker != .main else {
                throw ValidationError("name the worker to retire: --worker NAME (or ingest.worker in --config)")
            }
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = .warning
                return handler
            }
            let retirement = WorkerRetirement(configuration: configuration)
            // Retiring moves messages as they are; nothing is decoded or judged here.
            let backend = try await openWorkerStore(
                configuration: configuration, backgroundCheckpoints: false, loadProfiles: false, loadRules: false
            ).store
            let outcome: WorkerRetirement.Outcome
            do {
                outcome = try await retirement.run(store: backend, logger: Logger(label: "tele-ingest"))
            } catch let refusal as WorkerRetirement.Refusal {
                await backend.close()
                throw ValidationErrorText(refusal.description)
            } catch {
                await backend.close()
                throw error
            }
            await backend.close()
            print(
                "worker \(configuration.worker) retired: \(outcome.collectedFromBroker) messages collected from the broker, \(outcome.movedToJournal) moved into the journal"
            )
        }
    }
}
