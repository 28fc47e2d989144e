import ArgumentParser
import Foundation
import MonitoringRecords
import ReadingIntake
import StoreInterface
import TeleIngest
import TerminalUI
import Vitals

extension ReadingKind: ExpressibleByArgument {}

struct Readings: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List a patient's readings in measured-time order.")
    @OptionGroup var store: StoreOptions
    @Option(help: "Patient id.") var patient: PatientID
    @Option(help: "Only this kind: weight, systolic, diastolic or pulse.") var kind: ReadingKind?
    @Option(help: "Only readings measured since this ISO 8601 time.") var since: String?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let start = try since.map { try Output.instant($0, option: "--since") }
        let (owner, readings) = try await store.withStore { store in
            guard let owner = try await store.patient(id: patient) else {
                throw ValidationErrorText("no patient with id \(patient)")
            }
            let readings = try await store.readings(patientID: patient, kind: kind, since: start)
            try await store.recordOperatorAudit(
                .recordsRead, patientID: patient,
                detail: "tele-ingest readings\(json ? " --json" : ""): \(readings.count) readings")
            return (owner, readings)
        }
        if json { return try Output.json(readings) }
        let zone = TimeZone(identifier: owner.timeZone) ?? .gmt
        Output.table(
            ["MEASURED (\(owner.timeZone))", "KIND", "VALUE", "AS SENT", "DEVICE"],
            readings.map { reading in
                [
                    Output.local(reading.measuredAt, zone: zone), reading.kind.rawValue,
                    Quantity(reading.value, reading.unit).description,
                    Quantity(reading.originalValue, reading.originalUnit).description, reading.serial.rawValue,
                ]
            })
        if readings.isEmpty { print("no readings") }
    }
}
