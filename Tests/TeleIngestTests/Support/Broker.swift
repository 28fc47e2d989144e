import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real mosquitto, started on a free loopback port with the shipped configuration (its
/// listener and storage folder replaced), and stopped when the test ends.
final class Broker: @unchecked Sendable {
    // @unchecked: `process` is only touched by the test that owns the broker, one call at a time.
    private(set) var port: Int
    let directory: URL
    private var process: ChildProcess?
    private let configuration: URL
    private let shippedText: String
    private let listener: [String]?
    private var hasStarted = false

    var url: String { "mqtt://127.0.0.1:\(port)" }

    /// - Parameter listener: lines that replace the plain loopback listener (TLS, passwords);
    ///   `{port}` stands for the chosen port.
    /// - Parameter shipped: the shipped configuration to start from; its listeners, storage
    ///   folder, log destination, and its password file, ACL and certificate paths are replaced.
    init(directory: URL, listener: [String]? = nil, shipped: URL = Paths.brokerConfiguration) throws {
        self.directory = directory
        self.port = try freeLoopbackPort()
        self.configuration = directory.appendingPathComponent("mosquitto.conf")
        self.shippedText = try String(contentsOf: shipped, encoding: .utf8)
        self.listener = listener
        try writeConfiguration()
    }

    private func writeConfiguration() throws {
        let replaced = [
            "listener", "persistence_location", "log_dest", "pid_file", "user", "password_file", "acl_file", "cafile",
            "certfile", "keyfile", "tls_version",
        ]
        let kept = shippedText.split(separator: "\n", omittingEmptySubsequences: false).filter { line in
            !replaced.contains { line.hasPrefix($0 + " ") }
                && !((listener ?? []).contains { $0.hasPrefix("allow_anonymous") } && line.hasPrefix("allow_anonymous"))
        }
        let listenerLines = (listener ?? ["listener {port} 127.0.0.1"]).map {
            $0.replacingOccurrences(of: "{port}", with: String(port))
        }
        let written =
            kept.joined(separator: "\n") + """

                \(listenerLines.joined(separator: "\n"))
                persistence_location \(directory.path)/
                log_dest file \(directory.path)/mosquitto.log
                user \(currentUserName())

                """
        try written.write(to: configuration, atomically: true, encoding: .utf8)
    }

    /// Starts mosquitto and waits until it accepts connections. A free port can be taken by
    /// someone else between choosing it and mosquitto binding it (tests start brokers and
    /// clusters at once): if mosquitto exits, it is started again, twice at most — on another
    /// port the first time the broker starts, on the same one when a test restarts it (its
    /// clients know that port) — and a third exit fails with its log.
    func start() async throws {
        let restart = hasStarted
        hasStarted = true
        for attempt in 1...3 {
            let process = try ChildProcess(
                executable: Paths.program("mosquitto").path, arguments: ["-c", configuration.path],
                output: directory.appendingPathComponent("mosquitto.out").path)
            self.process = process
            let port = self.port
            // Generous: on a loaded machine (the dated re-runs, several brokers starting at once) 10 s was not always enough.
            let listening = await eventually(timeout: .seconds(30)) { canConnect(port: port) || !process.isRunning }
            if listening && process.isRunning { return }
            self.process = nil
            if process.isRunning {
                _ = process.stop(signal: SIGKILL)
                throw TestSetupError("mosquitto did not start listening on port \(port) within 30 s")
            }
            let log =
                (try? String(contentsOf: directory.appendingPathComponent("mosquitto.log"), encoding: .utf8)) ?? ""
            if attempt == 3 {
                throw TestSetupError("mosquitto exited at start on port \(port); its log:\n\(log)")
            }
            if restart {
                try await Task.sleep(for: .seconds(1))
            } else {
                self.port = try freeLoopbackPort()
                try writeConfiguration()
            }
        }
    }

    /// Stops the broker: SIGTERM saves its persistence file, SIGKILL does not.
    func stop(signal: Int32 = SIGTERM) {
        guard let process else { return }
        process.stop(signal: signal)
        self.process = nil
    }

    deinit { stop() }
}

/// Runs `body` with a started broker in a fresh folder and stops the broker afterwards.
func withBroker<T>(_ body: (Broker) async throws -> T) async throws -> T {
    try await withTemporaryDirectory { directory in
        let broker = try Broker(directory: directory)
        try await broker.start()
        defer { broker.stop() }
        return try await body(broker)
    }
}

/// A port the kernel just handed out on 127.0.0.1 (bound, read, released).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestSetupError("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw TestSetupError("bind() failed") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// The user running the tests; mosquitto started as root would otherwise switch to the
/// `mosquitto` user, who cannot write the test's folder.
func currentUserName() -> String {
    guard let entry = getpwuid(getuid()), let name = entry.pointee.pw_name else { return "root" }
    return String(cString: name)
}

func canConnect(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    } == 0
}
