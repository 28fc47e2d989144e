import ArgumentParser
import Foundation
import MonitoringRecords
import StoreInterface
import TeleIngest
import TerminalUI

struct Devices: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pair devices with patients, unpair them, list them.",
        subcommands: [Pair.self, Unpair.self, Backdate.self, List.self], defaultSubcommand: List.self)

    struct Pair: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give a device to a patient from a point in time.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Device serial.") var serial: DeviceSerial
        @Option(help: "Patient id.") var patient: PatientID
        @Option(help: "Start of the pairing, ISO 8601 (default: now).") var from: String?

        func run() async throws {
            let start = try from.map { try Output.instant($0, option: "--from") }
            let pairing = try await store.withRegistry {
                try await $0.pair(serial: serial, patientID: patient, from: start)
            }
            print("paired \(pairing.serial) with \(pairing.patientID) from \(Output.utc(pairing.validFrom))")
        }
    }

    struct Backdate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move the start of a device's newest pairing earlier (a kit handed out before it was paired).",
            discussion: """
                Audited. The messages the device sent in between wait in the quarantine as \
                unpaired; tele-ingest reprocess stores those the pairing now covers.
                """)
        @OptionGroup var store: StoreOptions
        @Option(help: "Device serial.") var serial: DeviceSerial
        @Option(help: "The new start, ISO 8601.") var from: String

        func run() async throws {
            let start = try Output.instant(from, option: "--from")
            let (pairing, waiting) = try await store.withStore { store in
                try await store.backdatePairing(serial: serial, from: start, account: try await store.sessionAccount())
            }
            print(
                "\(serial) is paired with \(pairing.patientID) from \(pairing.validFrom.formatted(.iso8601))"
                    + (waiting > 0
                        ? "; \(waiting) of its messages wait in the quarantine: tele-ingest reprocess" : ""))
        }
    }

    struct Unpair: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End a device's current pairing.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Device serial.") var serial: DeviceSerial
        @Option(help: "End of the pairing, ISO 8601 (default: now).") var at: String?

        func run() async throws {
            let end = try at.map { try Output.instant($0, option: "--at") }
            let pairing = try await store.withRegistry { try await $0.unpair(serial: serial, at: end) }
            print(
                "unpaired \(pairing.serial) from \(pairing.patientID) at \(Output.utc(pairing.validTo ?? pairing.validFrom))"
            )
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List devices and their pairings.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let devices = try await store.withRegistry { try await $0.devices() }
            if json { return try Output.json(devices) }
            var rows: [[String]] = []
            for device in devices {
                if device.pairings.isEmpty { rows.append([device.serial.rawValue, "-", "-", "-"]) }
                for pairing in device.pairings {
                    rows.append([
                        device.serial.rawValue, pairing.patientID.rawValue, Output.utc(pairing.validFrom),
                        pairing.validTo.map(Output.utc) ?? "(paired)",
                    ])
                }
            }
            Output.table(["SERIAL", "PATIENT", "FROM", "TO"], rows)
            if rows.isEmpty { print("no devices") }
        }
    }
}
