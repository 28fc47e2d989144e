import ArgumentParser
import DevicePayloads
import Foundation
import ReadingIntake
import TeleIngest

struct Import: ParsableCommand {
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

    func run() throws {
        let configuration = try store.configuration()
        _ = try store.openStore()  // refuses a PostgreSQL store: importing there is not built yet
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
        let processor = try JournalProcessor(configuration: configuration, loadProfiles: false)
        let ids = try processor.store.journal(.import, messages: rows.map { ($0.topic, $0.payload) })
        let lines = Dictionary(uniqueKeysWithValues: zip(ids, rows.map(\.line)))
        var counts: [JournalOutcome: Int] = [:]
        var reasons: [String: Int] = [:]
        var refusals: [(line: Int, text: String)] = []
        while true {
            let results = try processor.processPending(limit: 1000, source: .import)
            if results.isEmpty { break }
            for result in results {
                counts[result.outcome, default: 0] += 1
                if let rejection = result.rejection {
                    reasons[rejection.reason.rawValue, default: 0] += 1
                    refusals.append(
                        (
                            lines[result.journalID] ?? 0,
                            "\(rejection.reason.rawValue): \(rejection.messageWithoutValues)"
                        ))
                }
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
    }
}
