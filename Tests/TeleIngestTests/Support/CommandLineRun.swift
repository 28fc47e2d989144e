import Foundation

/// Runs the built `tele-ingest` with `arguments` to completion, in `directory` (a temporary
/// folder, not the checkout: the programs must find their shipped files from anywhere); returns
/// exit status and output.
/// `now`: the program's clock (`TELE_INGEST_NOW`); the tests' clock when `nil`.
func teleIngest(_ arguments: [String], in directory: URL, now: Date? = nil) throws -> (status: Int32, output: String) {
    try run(Paths.teleIngestExecutable, arguments, in: directory, now: now)
}

/// Runs the built `nurse-console` with `arguments` to completion.
func nurseConsole(_ arguments: [String], in directory: URL) throws -> (status: Int32, output: String) {
    try run(Paths.nurseConsoleExecutable, arguments, in: directory)
}

private func run(_ executable: URL, _ arguments: [String], in directory: URL, now: Date? = nil) throws -> (
    status: Int32, output: String
) {
    let output = directory.appendingPathComponent("cli-\(UUID().uuidString.prefix(8)).out")
    let child = try ChildProcess(
        executable: executable.path, arguments: arguments, output: output.path, now: now, folder: directory.path)
    let raw = child.wait()
    let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
    // waitpid status: exit code in bits 8–15 when the process exited normally.
    return ((raw >> 8) & 0xFF, text)
}
