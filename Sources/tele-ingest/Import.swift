import ArgumentParser
import DevicePayloads
import Foundation
import PostgresStore
import ReadingIntake
import ServiceConfiguration
import StoreInterface
import TeleIngest

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import historical readings from CSV through the same validation and attribution as MQTT.",
        discussion: """
            Columns: \(ImportRowDecoder.header) (header line required). A spreadsheet's CSV reads
            as it is: UTF-8 with or without a byte order mark, LF or CR LF line ends, quoted
            fields, and ';' between the columns with decimal commas (82,4). measured_at is
            ISO 8601; without an offset it is read in the patient's time zone. Rows that fail go
            to the quarantine, listed by line; importing the same file twice stores nothing twice.
            """)
    @OptionGroup var store: StoreOptions
    @Argument(help: "CSV file.") var file: String

    func run() async throws {
        let configuration = try store.configuration()
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ValidationErrorText(
                FileManager.default.fileExists(atPath: file) ? "\(file): cannot be read" : "\(file): does not exist")
        }
        let importFile: ImportFile
        do {
            importFile = try ImportFile(data: data, name: URL(fileURLWithPath: file).lastPathComponent)
        } catch {
            throw ValidationErrorText("\(file): \(error)")
        }
        let rows = importFile.rows
        let messages = rows.map { (topic: $0.topic, payload: $0.payload) }
        // The rows are journaled, then the journal's import rows processed until none wait.
        var ids: [Int64] = []
        var processed: [MessageResult] = []
        if let url = configuration.databaseURL {
            let settings = try configuration.intakeSettings(loadProfiles: false)
            try await PostgresMonitoringStore.with(PostgresLocation(url: url), clock: configuration.clock) { store in
                ids = try await store.journal(.import, messages: messages)
                while true {
                    let results = try await store.processPending(
                        limit: 1000, intake: settings.intake, rules: settings.rules, source: .import)
                    if results.isEmpty { break }
                    processed += results
                }
            }
        } else {
            let processor = try JournalProcessor(configuration: configuration, loadProfiles: false)
            ids = try processor.store.journal(.import, messages: messages)
            while true {
                let results = try processor.processPending(limit: 1000, source: .import)
                if results.isEmpty { break }
                processed += results
            }
        }
        let lines = Dictionary(uniqueKeysWithValues: zip(ids, rows.map(\.line)))
        var counts: [JournalOutcome: Int] = [:]
        var reasons: [String: Int] = [:]
        var refusals: [(line: Int, text: String)] = []
        for result in processed where lines[result.journalID] != nil {
            counts[result.outcome, default: 0] += 1
            if let rejection = result.rejection {
                reasons[rejection.reason.rawValue, default: 0] += 1
                refusals.append(
                    (lines[result.journalID] ?? 0, "\(rejection.reason.rawValue): \(rejection.messageWithoutValues)"))
            }
        }
        print(
            "imported \(rows.count) rows: \(counts[.stored] ?? 0) stored, \(counts[.duplicate] ?? 0) already stored, \(counts[.quarantined] ?? 0) quarantined"
        )
        for (reason, count) in reasons.sorted(by: { $0.key < $1.key }) { print("  \(count) × \(reason)") }
        let shown = 20
        for refusal in refusals.sorted(by: { $0.line < $1.line }).prefix(shown) {
            print("  line \(refusal.line): \(refusal.text)")
        }
        if refusals.count > shown { print("  … and \(refusals.count - shown) more") }
        if !reasons.isEmpty { print("the values found are in the quarantine: tele-ingest quarantine") }
        let elsewhere = rows.count - counts.values.reduce(0, +)
        if elsewhere > 0 {
            print(
                "  \(elsewhere) rows were processed by a running ingest worker meanwhile (tele-ingest readings, quarantine)"
            )
        }
    }
}
