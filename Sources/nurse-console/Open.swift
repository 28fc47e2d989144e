import ArgumentParser
import ConsoleScreens
import Foundation
import MonitoringRecords
import Synchronization
import TerminalUI

/// The full-screen console.
struct Open: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open", abstract: "Open the full-screen console (the default).")

    @OptionGroup var options: ConsoleOptions
    @Option(help: "Open on this patient's record (also one whose monitoring has ended).") var patient: PatientID?
    @Option(help: "Read the screen again after this many seconds without a key (R: at once).")
    var refreshSeconds = 60

    func validate() throws {
        guard refreshSeconds >= 1 else {
            throw ValidationError("--refresh-seconds: expected 1 or more, found \(refreshSeconds)")
        }
    }

    func run() async throws {
        guard Terminal.isInteractive else {
            throw ValidationError(
                "the full-screen console needs a terminal; use the subcommands (worklist, patient, …) in scripts")
        }
        let environment = ProcessInfo.processInfo.environment
        // The terminal is read with a short timeout between keys; the store answers in between.
        try await options.withSession { session in
            let app = try await ConsoleApp(session: session, glyphs: Terminal.glyphs(environment: environment))
            if let patient { try await app.openPatient(patient) }
            let colour = Terminal.colourWanted(environment: environment)
            let terminal = Terminal()
            terminal.enterFullScreen()
            defer { terminal.restore() }
            var size = terminal.size()
            terminal.write(app.render(width: size.width, height: size.height).ansi(colour: colour))
            // What other people and the service change shows up without a key: the screen is
            // read again after `refreshSeconds` without one.
            var idleSince = ContinuousClock.now
            while !Terminal.stopRequested.load(ordering: .relaxed) {
                let keys = terminal.readKeys(timeout: 250)
                let newSize = terminal.size()
                if keys.isEmpty && newSize == size {
                    guard ContinuousClock.now - idleSince >= .seconds(refreshSeconds) else { continue }
                    idleSince = ContinuousClock.now
                    if await app.refresh() {
                        terminal.write(app.render(width: size.width, height: size.height).ansi(colour: colour))
                    }
                    continue
                }
                idleSince = ContinuousClock.now
                if newSize != size { terminal.write("\u{1B}[2J") }
                size = newSize
                for key in keys where !(await app.handle(key)) { return }
                terminal.write(app.render(width: size.width, height: size.height).ansi(colour: colour))
            }
        }
    }
}
