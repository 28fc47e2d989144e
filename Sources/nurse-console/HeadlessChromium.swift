import Foundation
import TerminalUI

/// Turns an HTML page into a PDF with Chromium in headless mode, as a browser prints it (A4 from
/// the page's CSS, no header or footer). The page is written to a private temporary folder with
/// a throwaway browser profile; nothing is fetched from the network (the page is self-contained).
struct HeadlessChromium {
    /// The browser; `chromium` (Debian's package) on the PATH when `nil`.
    var executable: String?
    /// A browser that has not finished by then is killed.
    var timeout: Duration = .seconds(90)

    func printPDF(html: String, to destination: URL) async throws {
        let browser = try resolvedExecutable()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nurse-console-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: folder) }
        let page = folder.appendingPathComponent("report.html")
        try Output.writePrivateFile(Data(html.utf8), to: page)
        let pdf = folder.appendingPathComponent("report.pdf")

        var arguments = [
            "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--user-data-dir=\(folder.appendingPathComponent("profile").path)",
            "--no-pdf-header-footer", "--print-to-pdf=\(pdf.path)", page.absoluteString,
        ]
        // Chromium's sandbox refuses to run as root; an account of its own needs no exception.
        if geteuid() == 0 { arguments.insert("--no-sandbox", at: 0) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let log = folder.appendingPathComponent("chromium.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: log)
        process.standardOutput = logHandle
        process.standardError = logHandle
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                throw ReportError("\(browser) did not finish the PDF within \(timeout); killed")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        try? logHandle.close()
        guard process.terminationStatus == 0, let data = FileManager.default.contents(atPath: pdf.path),
            data.starts(with: Data("%PDF".utf8))
        else {
            let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw ReportError(
                "\(browser) could not print the PDF (exit \(process.terminationStatus)): \(output.suffix(800))")
        }
        try Output.writePrivateFile(data, to: destination)
    }

    private func resolvedExecutable() throws -> String {
        if let executable { return executable }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            for name in ["chromium", "chromium-browser"] {
                let candidate = "\(folder)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        throw ReportError(
            "no chromium on the PATH to print the PDF: install Debian's chromium, pass --chromium PATH, or write .html")
    }
}
