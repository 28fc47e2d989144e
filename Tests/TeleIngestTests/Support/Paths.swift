import Foundation

/// Paths relative to the package root, so fixtures and shipped files are found from any checkout.
enum Paths {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let deviceProfiles = packageRoot.appendingPathComponent("device-profiles")
    static let fixtures = packageRoot.appendingPathComponent("Tests/TeleIngestTests/Fixtures")
    static let brokerConfiguration = packageRoot.appendingPathComponent("deploy/mosquitto/mosquitto.conf")

    /// The built `tele-ingest` executable, beside the test bundle in the build folder.
    static var teleIngestExecutable: URL {
        get throws { try built("tele-ingest") }
    }

    /// The built `nurse-console` executable.
    static var nurseConsoleExecutable: URL {
        get throws { try built("nurse-console") }
    }

    /// A product of this package, beside the test bundle in the build folder.
    static func built(_ name: String) throws -> URL {
        var candidates: [URL] = []
        if let executable = Bundle.main.executableURL { candidates.append(executable.deletingLastPathComponent()) }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        for directory in candidates {
            let url = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw TestSetupError("\(name) executable not found next to the tests (looked in \(candidates.map(\.path)))")
    }

    /// A program on PATH or in the usual sbin folders (mosquitto lives in /usr/sbin).
    static func program(_ name: String) throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/local/sbin", "/sbin"] {
            let url = URL(fileURLWithPath: directory).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw TestSetupError("\(name) is not installed (apt-get install mosquitto mosquitto-clients)")
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A fresh folder under the system's temporary directory, removed afterwards.
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("tele-ingest-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url)
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(20), _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(25))
    }
    return try condition()
}

/// Polls an asynchronous `condition` (a query to a database server) until it holds or `timeout`
/// passes; returns whether it held.
func eventually(timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}
