import ArgumentParser
import FHIRExport
import Foundation
import MonitoringRecords
import StoreInterface
import TerminalUI

/// `tele-ingest export …`: what leaves the system.
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export records for other systems.", subcommands: [FHIRBundle.self])

    struct FHIRBundle: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fhir",
            abstract: "Write a FHIR R4 transaction Bundle: patients, devices, observations, flags, escalations.",
            discussion: """
                Observations are conditional creates on the PHD IG's identifier, everything else \
                conditional updates on its identifier, so sending a Bundle again stores nothing twice. \
                Codes and choices: docs/FHIR.md. Audited as a read of each exported patient's records.
                """)
        @OptionGroup var store: StoreOptions
        @Option(help: "Only this patient (default: every patient).") var patient: PatientID?
        @Option(help: "Only readings measured, and flags open or closed, since this ISO 8601 time.")
        var since: String?
        @Option(help: "The file to write the Bundle to (created 0600: it holds CPR numbers; never standard output).")
        var out: String
        @Option(
            help:
                "The site's canonical base URL: the namespace of its own identifiers (patient ids, serials, flags, escalations) and of the original-quantity extension."
        )
        var systemBase = "https://fhir.teleingest.example"

        func run() async throws {
            let start = try since.map { try Output.instant($0, option: "--since") } ?? .distantPast
            let export = PatientExport(systemBase: systemBase)
            guard URL(string: export.systemBase)?.scheme != nil else {
                throw ValidationErrorText("--system-base expects an absolute URL, found '\(systemBase)'")
            }
            let sink = try BundleFile(path: out)
            let counts = try await store.withStore { store in
                let ids: [PatientID]
                if let patient { ids = [patient] } else { ids = try await store.patients().map(\.id) }
                var counts = (patients: 0, entries: 0)
                for id in ids {
                    guard let record = try await store.patientRecord(id: id, since: start) else {
                        throw ValidationErrorText("no patient with id \(id)")
                    }
                    let entries = export.entries(for: record)
                    try sink.write(entries)
                    try await store.recordOperatorAudit(
                        .recordsRead, patientID: id,
                        detail: "tele-ingest export fhir: \(entries.count) entries since \(since ?? "the start")")
                    counts.patients += 1
                    counts.entries += entries.count
                }
                return counts
            }
            try sink.finish()
            print("wrote \(counts.entries) entries for \(counts.patients) patients to \(out)")
        }
    }
}

/// A transaction Bundle written entry by entry, so that exporting every patient holds one
/// patient's entries in memory at a time. Each entry is written as `JSONEncoder` writes it
/// (sorted keys, indented), so the same record gives the same bytes.
final class BundleFile {
    private let handle: FileHandle
    private var first = true
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return encoder
    }()

    init(path: String) throws {
        try Output.writePrivateFile(Data(), to: URL(fileURLWithPath: path))
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.write(contentsOf: Data("{\n  \"entry\" : [\n".utf8))
    }

    func write(_ entries: [FHIR.TransactionBundle.Entry]) throws {
        for entry in entries {
            var text = String(decoding: try encoder.encode(entry), as: UTF8.self)
            text = text.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(
                separator: "\n")
            try handle.write(contentsOf: Data(((first ? "" : ",\n") + text).utf8))
            first = false
        }
    }

    func finish() throws {
        try handle.write(
            contentsOf: Data("\n  ],\n  \"resourceType\" : \"Bundle\",\n  \"type\" : \"transaction\"\n}\n".utf8))
        try handle.close()
    }
}
