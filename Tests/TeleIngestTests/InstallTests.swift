import Foundation
import Testing

/// `scripts/install`: a build installed into a temporary root (binaries, shipped files,
/// configuration, state folder, the systemd unit, the broker drop-in), and the installed
/// programs run from there (docs/OPERATIONS.md).
@Suite struct InstallTests {
    /// Installs the debug build (the tests have no release build) under `root`.
    static func install(into root: URL) throws -> String {
        let (status, output) = try ShippedFilesTests.run(
            Paths.packageRoot.appendingPathComponent("scripts/install"),
            ["--root", root.path, "--no-build", "--configuration", "debug"], in: Paths.packageRoot)
        #expect(status == 0, "scripts/install:\n\(output)")
        return output
    }

    static func mode(_ url: URL) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int) ?? -1
    }

    @Test("the files land where docs/OPERATIONS.md says, with the modes it says; the installed programs run from there")
    func installed() async throws {
        try await withTemporaryDirectory { directory in
            let root = directory.appendingPathComponent("root")
            _ = try Self.install(into: root)
            let bin = root.appendingPathComponent("usr/local/bin")
            for program in ["tele-ingest", "nurse-console", "telekit-sim", "tele-ingest-add-device"] {
                #expect(try Self.mode(bin.appendingPathComponent(program)) == 0o755, "\(program)")
            }
            let share = root.appendingPathComponent("usr/local/share/tele-ingest")
            #expect(
                FileManager.default.fileExists(atPath: share.appendingPathComponent("rules/heart-failure.yaml").path))
            let config = root.appendingPathComponent("etc/tele-ingest/tele-ingest.yaml")
            #expect(try Self.mode(config) == 0o640)
            #expect(try Self.mode(root.appendingPathComponent("etc/tele-ingest")) == 0o750)
            #expect(try Self.mode(root.appendingPathComponent("var/lib/tele-ingest")) == 0o750)
            let text = try String(contentsOf: config, encoding: .utf8)
            #expect(text.contains("  path: /var/lib/tele-ingest/tele-ingest.sqlite"))
            #expect(!text.contains("../"), "no path relative to a checkout")

            // The installed programs, started elsewhere, on the installed configuration (its store
            // moved into the temporary root).
            let elsewhere = directory.appendingPathComponent("elsewhere")
            try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
            let moved = directory.appendingPathComponent("tele-ingest.yaml")
            try text.replacingOccurrences(
                of: "/var/lib/tele-ingest", with: root.appendingPathComponent("var/lib/tele-ingest").path
            )
            .write(to: moved, atomically: true, encoding: .utf8)
            func run(_ program: String, _ arguments: [String]) throws -> String {
                let (status, output) = try ShippedFilesTests.run(
                    bin.appendingPathComponent(program), arguments, in: elsewhere)
                #expect(status == 0, "\(program) \(arguments.joined(separator: " ")):\n\(output)")
                return output
            }
            #expect(try run("tele-ingest", ["rules", "check"]).contains("heart-failure-default"))
            #expect(try run("tele-ingest", ["profiles", "check"]).contains("profiles OK"))
            _ = try run("tele-ingest", ["migrate", "--config", moved.path])
            _ = try run(
                "tele-ingest", ["patients", "add", "--id", "P-1", "--name", "Test Patient", "--config", moved.path])
            #expect(try run("tele-ingest", ["patients", "list", "--config", moved.path]).contains("P-1"))
            #expect(
                try run(
                    "nurse-console", ["worklist", "--config", moved.path, "--user", "Test Nurse", "--role", "nurse"]
                )
                .contains("Worklist"))
        }
    }

    @Test("the systemd unit passes systemd-analyze verify and carries the hardening")
    func unit() async throws {
        try await withTemporaryDirectory { directory in
            let root = directory.appendingPathComponent("root")
            _ = try Self.install(into: root)
            let unit = try String(
                contentsOf: root.appendingPathComponent("etc/systemd/system/tele-ingest.service"), encoding: .utf8)
            #expect(
                unit.contains("ExecStart=/usr/local/bin/tele-ingest run --config /etc/tele-ingest/tele-ingest.yaml"))
            for line in [
                "User=tele-ingest", "Restart=on-failure", "StateDirectory=tele-ingest", "ProtectSystem=strict",
                "NoNewPrivileges=yes", "PrivateTmp=yes", "ProtectHome=yes", "CapabilityBoundingSet=",
                "SystemCallFilter=@system-service",
            ] {
                #expect(unit.split(separator: "\n").contains { $0 == line }, "\(line)")
            }
            // verify checks that ExecStart is executable: point it at the installed binary.
            let checked = directory.appendingPathComponent("tele-ingest.service")
            try unit.replacingOccurrences(
                of: "ExecStart=/usr/local/bin/", with: "ExecStart=\(root.path)/usr/local/bin/"
            ).write(to: checked, atomically: true, encoding: .utf8)
            let (status, output) = try toolOutput(
                URL(fileURLWithPath: "/usr/bin/systemd-analyze"), ["verify", checked.path], includingErrors: true)
            #expect(status == 0 && output.isEmpty, "systemd-analyze verify:\n\(output)")
        }
    }

    @Test("the broker drop-in leaves Debian's own settings alone, and mosquitto starts with it")
    func brokerDropIn() async throws {
        try await withTemporaryDirectory { directory in
            let root = directory.appendingPathComponent("root")
            _ = try Self.install(into: root)
            let dropIn = root.appendingPathComponent("etc/mosquitto/conf.d/tele-ingest.conf")
            let lines = try String(contentsOf: dropIn, encoding: .utf8).split(separator: "\n")
            for key in ["persistence", "persistence_location", "pid_file", "log_dest"] {
                #expect(!lines.contains { $0.hasPrefix(key + " ") }, "\(key) is Debian's mosquitto.conf's")
            }
            #expect(lines.contains("allow_anonymous false") && lines.contains("max_inflight_messages 100"))
            let broker = try Broker(directory: directory, shipped: dropIn)
            try await broker.start()
            broker.stop()
        }
    }

    @Test("installing again keeps the operator's configuration and puts the new default beside it")
    func keepsConfiguration() async throws {
        try await withTemporaryDirectory { directory in
            let root = directory.appendingPathComponent("root")
            _ = try Self.install(into: root)
            let config = root.appendingPathComponent("etc/tele-ingest/tele-ingest.yaml")
            let edited = try String(contentsOf: config, encoding: .utf8) + "# the operator's change\n"
            try edited.write(to: config, atomically: true, encoding: .utf8)
            #expect(try Self.install(into: root).contains("kept"))
            #expect(try String(contentsOf: config, encoding: .utf8) == edited)
            #expect(FileManager.default.fileExists(atPath: config.path + ".dist"))
        }
    }
}
