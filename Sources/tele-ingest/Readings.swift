import ArgumentParser
import Foundation
import MonitoringRecords
import ReadingIntake
import TeleIngest
import TerminalUI
import Vitals

extension ReadingKind: ExpressibleByArgument {}

struct Readings: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List a patient's readings in measured-time order.")
    @OptionGroup var store: StoreOptions
    @Option(help: "Patient id.") var patient: String
    @Option(help: "Only this kind: weight, systolic, diastolic or pulse.") var kind: ReadingKind?
    @Option(help: "Only readings measured since this ISO 8601 time.") var since: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let store = try store.openStore()
        guard let owner = try store.patient(id: patient) else {
            throw ValidationErrorText("no patient with id \(patient)")
        }
        let start = try since.map { try Output.instant($0, option: "--since") }
        let readings = try store.readings(patientID: patient, kind: kind, since: start)
        if json { return try Output.json(readings) }
        let zone = TimeZone(identifier: owner.timeZone) ?? .gmt
        Output.table(
            ["MEASURED (\(owner.timeZone))", "KIND", "VALUE", "AS SENT", "DEVICE"],
            readings.map { reading in
                [
                    Output.local(reading.measuredAt, zone: zone), reading.kind.rawValue,
                    Quantity(reading.value, reading.unit).description,
                    Quantity(reading.originalValue, reading.originalUnit).description, reading.serial,
                ]
            })
        if readings.isEmpty { print("no readings") }
    }
}
