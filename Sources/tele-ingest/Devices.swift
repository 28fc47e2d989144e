import ArgumentParser
import Foundation
import TeleIngest
import TerminalUI

struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pair devices with patients, unpair them, list them.",
        subcommands: [Pair.self, Unpair.self, List.self], defaultSubcommand: List.self)

    struct Pair: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give a device to a patient from a point in time.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Device serial.") var serial: String
        @Option(help: "Patient id.") var patient: String
        @Option(help: "Start of the pairing, ISO 8601 (default: now).") var from: String?

        func run() throws {
            let start = try from.map { try Output.instant($0, option: "--from") }
            let pairing = try store.openStore().pair(serial: serial, patientID: patient, from: start)
            print("paired \(pairing.serial) with \(pairing.patientID) from \(Output.utc(pairing.validFrom))")
        }
    }

    struct Unpair: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End a device's current pairing.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Device serial.") var serial: String
        @Option(help: "End of the pairing, ISO 8601 (default: now).") var at: String?

        func run() throws {
            let end = try at.map { try Output.instant($0, option: "--at") }
            let pairing = try store.openStore().unpair(serial: serial, at: end)
            print(
                "unpaired \(pairing.serial) from \(pairing.patientID) at \(Output.utc(pairing.validTo ?? pairing.validFrom))"
            )
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List devices and their pairings.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let devices = try store.openStore().devices()
            if json { return try Output.json(devices) }
            var rows: [[String]] = []
            for device in devices {
                if device.pairings.isEmpty { rows.append([device.serial, "-", "-", "-"]) }
                for pairing in device.pairings {
                    rows.append([
                        device.serial, pairing.patientID, Output.utc(pairing.validFrom),
                        pairing.validTo.map(Output.utc) ?? "(paired)",
                    ])
                }
            }
            Output.table(["SERIAL", "PATIENT", "FROM", "TO"], rows)
            if rows.isEmpty { print("no devices") }
        }
    }
}
