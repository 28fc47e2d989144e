import ArgumentParser
import FHIRExport
import Foundation
import MonitoringRecords
import StoreInterface
import TerminalUI

extension Patients {
    /// `tele-ingest patients export P-17 --out FOLDER`: everything the system holds on one
    /// patient, for a request for access or a move to another system.
    struct DataExport: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Everything held on one patient: a JSON file and a FHIR R4 Bundle.",
            discussion: """
                Writes FOLDER/ID.json (the registration and its change history, pairings, every \
                reading, flag, note, weekly review, personal setting, escalation with its answer, \
                reminder, and the audit log's entries on the patient) and FOLDER/ID.fhir.json \
                (docs/FHIR.md). Both 0600. Audited. docs/OPERATIONS.md.
                """)
        @OptionGroup var store: StoreOptions
        @Argument(help: "Patient id.") var id: PatientID
        @Option(help: "The folder to write the two files to (made if missing).") var out: String
        @Option(help: "The site's canonical base URL for the FHIR identifiers (docs/FHIR.md).")
        var systemBase = "https://fhir.teleingest.example"

        /// The JSON file's content.
        struct Everything: Encodable {
            var exportedAt: Date
            var record: PatientRecord
            var registrationChanges: [PatientChangeRecord]
            var audit: [AuditEntry]
        }

        func run() async throws {
            let folder = URL(fileURLWithPath: out)
            try FileManager.default.createDirectory(
                at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let (everything, entries) = try await store.withStore { store in
                guard let record = try await store.patientRecord(id: id, since: .distantPast) else {
                    throw ValidationErrorText("no patient with id \(id)")
                }
                let everything = Everything(
                    exportedAt: store.clock.now(), record: record,
                    registrationChanges: try await store.patientChanges(id: id),
                    audit: try await store.auditLog(patientID: id, limit: nil))
                try await store.recordOperatorAudit(
                    .recordsRead, patientID: id,
                    detail:
                        "tele-ingest patients export: \(record.readings.count) readings, \(record.flags.count) flags, \(record.escalations.count) escalations"
                )
                return (everything, PatientExport(systemBase: systemBase).entries(for: record))
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            let json = folder.appendingPathComponent("\(id.rawValue).json")
            try Output.writePrivateFile(try encoder.encode(everything), to: json)
            let fhir = folder.appendingPathComponent("\(id.rawValue).fhir.json")
            let bundle = try BundleFile(path: fhir.path)
            try bundle.write(entries)
            try bundle.finish()
            print("wrote \(json.path) and \(fhir.path) (\(everything.record.readings.count) readings)")
        }
    }
}
