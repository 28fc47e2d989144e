import Foundation
import Testing

/// Runs the built `tele-ingest` with `arguments` to completion, in `directory` (a temporary
/// folder, not the checkout: the programs must find their shipped files from anywhere); returns
/// exit status and output.
/// `now`: the program's clock (`TELE_INGEST_NOW`); the tests' clock when `nil`.
func teleIngest(_ arguments: [String], in directory: URL, now: Date? = nil) throws -> (status: Int32, output: String) {
    try run(Paths.teleIngestExecutable, arguments, in: directory, now: now)
}

/// Runs the built `nurse-console` with `arguments` to completion; `now` as for `teleIngest`.
func nurseConsole(_ arguments: [String], in directory: URL, now: Date? = nil) throws -> (
    status: Int32, output: String
) {
    try run(Paths.nurseConsoleExecutable, arguments, in: directory, now: now)
}

private func run(_ executable: URL, _ arguments: [String], in directory: URL, now: Date? = nil) throws -> (
    status: Int32, output: String
) {
    let output = directory.appendingPathComponent("cli-\(UUID().uuidString.prefix(8)).out")
    let child = try ChildProcess(
        executable: executable.path, arguments: arguments, output: output.path, clock: now?.formatted(.iso8601),
        folder: directory.path)
    let raw = child.wait()
    let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
    // waitpid status: exit code in bits 8–15 when the process exited normally.
    return ((raw >> 8) & 0xFF, text)
}

/// `tele-ingest` on one database in a test's folder; every call is expected to succeed.
struct TeleIngestDatabase {
    let path: String
    let directory: URL
    /// The programs' clock (`TELE_INGEST_NOW`) unless a call gives another; the tests' clock when `nil`.
    var now: Date?

    init(_ name: String, in directory: URL, now: Date? = nil) {
        path = directory.appendingPathComponent(name).path
        self.directory = directory
        self.now = now
    }

    /// Runs `tele-ingest ARGUMENTS --db PATH`; records an issue if it fails; returns its output.
    @discardableResult
    func run(_ arguments: [String], at instant: Date? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> String
    {
        let (status, output) = try teleIngest(arguments + ["--db", path], in: directory, now: instant ?? now)
        #expect(status == 0, "\(arguments.joined(separator: " ")):\n\(output)", sourceLocation: sourceLocation)
        return output
    }

    /// Registers Test Patient One (P-0001) and pairs `serial` with her from `pairedFrom`.
    func addPatientOne(serial: String, monitoringStart: String? = nil, pairedFrom: String) throws {
        try run(
            ["patients", "add", "--id", "P-0001", "--name", "Test Patient One"]
                + (monitoringStart.map { ["--monitoring-start", $0] } ?? []))
        try run(["devices", "pair", "--serial", serial, "--patient", "P-0001", "--from", pairedFrom])
    }
}

/// Runs a helper program (a checker, a PDF tool) to completion with no input; returns its exit
/// status and what it printed on standard output (and standard error, `includingErrors`).
func toolOutput(_ executable: URL, _ arguments: [String], includingErrors: Bool = false) throws -> (
    status: Int32, output: String
) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    if includingErrors { process.standardError = pipe }
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
