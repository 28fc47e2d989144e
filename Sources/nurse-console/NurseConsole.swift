import ArgumentParser
import TeleIngest

@main
struct NurseConsole: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nurse-console",
        abstract: "The nurses' weekly follow-up console (not built yet: see the console issue).")

    func run() throws {
        print("nurse-console is not built yet; use tele-ingest patients/readings/quarantine meanwhile.")
    }
}
