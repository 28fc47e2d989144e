import DevicePayloads
import Foundation
import MonitoringRecords
import ReadingIntake
import TelekitSimulation
import Testing

@testable import TeleIngest

/// `telekit-sim` through a real broker into the real `tele-ingest`.
@Suite(.serialized) struct SimulationIntegrationTests {
    @Test(
        "a short simulation ends with every well-formed reading stored once on the right patient — returned kits included — and every malformed message in quarantine"
    )
    func shortSimulation() async throws {
        try await withBroker { broker in
            try await withTemporaryDirectory { directory in
                let database = directory.appendingPathComponent("sim.sqlite")
                let truthFile = directory.appendingPathComponent("truth.json")
                let simulator = try Paths.teleIngestExecutable.deletingLastPathComponent().appendingPathComponent(
                    "telekit-sim")
                let arguments = [
                    "--broker", broker.url, "--patients", "12", "--days", "60", "--seed", "3", "--start", "2026-09-01",
                    "--bad-fraction", "0.05", "--truth", truthFile.path,
                ]
                // Register first (a dry run writes the roster), so the service attributes
                // everything it receives; importing it twice adds nothing the second time.
                let roster = directory.appendingPathComponent("roster.json").path
                let register = try ChildProcess(
                    executable: simulator.path, arguments: arguments + ["--roster", roster, "--dry-run"],
                    output: directory.appendingPathComponent("sim-register.log").path)
                #expect(register.wait() == 0)
                let (status, imported) = try teleIngest(
                    ["patients", "import", roster, "--db", database.path], in: directory)
                #expect(status == 0, "\(imported)")
                #expect(imported.contains(": 14 patients; added 14 patients"), "12, and 2 given a returned kit")
                let (_, again) = try teleIngest(["patients", "import", roster, "--db", database.path], in: directory)
                #expect(again.contains("added 0 patients and 0 pairings"), "\(again)")
                let service = ServiceProcess(broker: broker, database: database, directory: directory)
                try service.start()
                try await service.waitUntilConnected()
                let publish = try ChildProcess(
                    executable: simulator.path, arguments: arguments,
                    output: directory.appendingPathComponent("sim.log").path)
                #expect(
                    publish.wait() == 0,
                    "\((try? String(contentsOf: directory.appendingPathComponent("sim.log"), encoding: .utf8)) ?? "")")

                let decoder = JSONDecoder()
                decoder.dateDecodingStrategy = .iso8601
                let truth = try decoder.decode(TrafficPlan.Truth.self, from: Data(contentsOf: truthFile))
                #expect(truth.malformed.count > 0)
                #expect(truth.duplicates > 0)
                let store = try MonitoringStore(path: database.path, clock: TestCohort.clock)
                let settled = try await eventually(timeout: .seconds(60)) {
                    try store.journalBacklog() == 0 && store.readingCount() == truth.expectedReadings
                        && store.quarantine().count == truth.malformed.count
                }
                let stored = try store.readingCount()
                let quarantined = try store.quarantine().count
                #expect(
                    settled,
                    "readings \(stored)/\(truth.expectedReadings), quarantine \(quarantined)/\(truth.malformed.count)")
                let reasons = try store.quarantine().map(\.reason.rawValue).sorted()
                #expect(reasons == truth.malformed.map(\.reason).sorted())
                let outcomes = try store.journalOutcomes()
                #expect(outcomes[.duplicate] == truth.duplicates)
                #expect(outcomes[.stored] == truth.wellFormedMessages)
                // Each patient has exactly their own readings: a kit handed to a new patient puts
                // nothing on the one who returned it, and nothing of theirs on the new one.
                let returned = truth.patients.filter { $0.kitReturned != nil }
                #expect(returned.count == 2, "seed 3 hands two kits over; the test relies on it")
                for patient in truth.patients {
                    #expect(
                        try store.readings(patientID: PatientID(patient.id)).count == patient.expectedReadings,
                        "\(patient.id)")
                }
                for patient in returned {
                    #expect(
                        try store.readings(patientID: PatientID(patient.id)).allSatisfy {
                            $0.measuredAt < patient.kitReturned!
                        })
                }
                service.stop()
            }
        }
    }
}
