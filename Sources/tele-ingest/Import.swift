import ArgumentParser
import Foundation
import TeleIngest

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import historical readings from CSV through the same validation and attribution as MQTT.",
        discussion: """
            Columns: \(ImportRowDecoder.header) (header line required). measured_at is ISO 8601;
            without an offset it is read in the patient's time zone. Rows that fail go to the
            quarantine; importing the same file twice stores nothing twice.
            """)
    @OptionGroup var store: StoreOptions
    @Argument(help: "CSV file.") var file: String

    func run() throws {
        let configuration = try store.configuration()
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw ValidationErrorText("cannot read \(file) as UTF-8 text")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        guard let header = lines.first,
            header.replacingOccurrences(of: " ", with: "").lowercased() == ImportRowDecoder.header
        else {
            throw ValidationErrorText("\(file): line 1 must be the header '\(ImportRowDecoder.header)'")
        }
        lines.removeFirst()
        let name = URL(fileURLWithPath: file).lastPathComponent
        let rows = lines.enumerated().filter { !$0.element.trimmingCharacters(in: .whitespaces).isEmpty }.map {
            index, line in
            (topic: "import/\(name)/line/\(index + 2)", payload: Data(line.utf8))
        }
        let processor = try JournalProcessor(configuration: configuration, loadProfiles: false)
        try processor.store.journal(.import, messages: rows)
        var counts: [JournalOutcome: Int] = [:]
        var reasons: [String: Int] = [:]
        while true {
            let results = try processor.processPending(limit: 1000, source: .import)
            if results.isEmpty { break }
            for result in results {
                counts[result.outcome, default: 0] += 1
                if let reason = result.rejection?.reason { reasons[reason.rawValue, default: 0] += 1 }
            }
        }
        print(
            "imported \(rows.count) rows: \(counts[.stored] ?? 0) stored, \(counts[.duplicate] ?? 0) already stored, \(counts[.quarantined] ?? 0) quarantined"
        )
        for (reason, count) in reasons.sorted(by: { $0.key < $1.key }) { print("  \(count) × \(reason)") }
        if !reasons.isEmpty { print("see: tele-ingest quarantine") }
    }
}
