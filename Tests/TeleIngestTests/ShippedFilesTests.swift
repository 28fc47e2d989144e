import DevicePayloads
import FollowUp
import Foundation
import Testing
import ThresholdRules

@testable import TeleIngest

#if canImport(Glibc)
    import Glibc
#endif

/// The shipped rule set and device profiles are found from where the binary is, not from the
/// folder it is started in; a missing one is reported as missing, with where it was looked for.
@Suite struct ShippedFilesTests {
    /// A copy of the built `tele-ingest` in `<root>/bin/`, with or without `<root>/share/tele-ingest/`.
    static func install(into root: URL, withShare: Bool) throws -> URL {
        let bin = root.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let binary = bin.appendingPathComponent("tele-ingest")
        try copyExecutable(try Paths.teleIngestExecutable, to: binary)
        if withShare {
            let share = root.appendingPathComponent("share/tele-ingest")
            try FileManager.default.createDirectory(
                at: share.appendingPathComponent("rules"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(
                at: Paths.packageRoot.appendingPathComponent(ShippedFiles.ruleFile),
                to: share.appendingPathComponent(ShippedFiles.ruleFile))
            try FileManager.default.copyItem(
                at: Paths.deviceProfiles, to: share.appendingPathComponent(ShippedFiles.profilesFolder))
        }
        return binary
    }

    /// Copies a program through a descriptor closed on exec: a program another test starts
    /// meanwhile must not inherit it, or this copy could never be run ("Text file busy").
    static func copyExecutable(_ source: URL, to destination: URL) throws {
        let data = try Data(contentsOf: source)
        let descriptor = open(destination.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o755)
        guard descriptor >= 0 else { throw TestSetupError("cannot create \(destination.path)") }
        defer { close(descriptor) }
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == data.count else { throw TestSetupError("short write to \(destination.path)") }
    }

    /// Runs `binary` in `folder`; its output goes through a file in the temporary folder, removed
    /// afterwards (not in `folder`: the install tests run in the checkout).
    static func run(_ binary: URL, _ arguments: [String], in folder: URL) throws -> (status: Int32, output: String) {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tele-ingest-test-output-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: output) }
        let child = try ChildProcess(
            executable: binary.path, arguments: arguments, output: output.path, folder: folder.path)
        let raw = child.wait()
        return ((raw >> 8) & 0xFF, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
    }

    @Test("a binary built in the checkout finds the checkout's rules and profiles")
    func fromTheCheckout() throws {
        let shipped = ShippedFiles(executable: try Paths.teleIngestExecutable.path)
        #expect(shipped.folder?.standardizedFileURL.path == Paths.packageRoot.standardizedFileURL.path)
        #expect(
            shipped.path(ShippedFiles.ruleFile)
                == Paths.packageRoot.appendingPathComponent("rules/heart-failure.yaml").path)
    }

    @Test("an installed binary, started in another folder, uses <prefix>/share/tele-ingest")
    func installed() async throws {
        try await withTemporaryDirectory { directory in
            let binary = try Self.install(into: directory.appendingPathComponent("prefix"), withShare: true)
            let elsewhere = directory.appendingPathComponent("elsewhere")
            try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
            let rules = try Self.run(binary, ["rules", "check"], in: elsewhere)
            #expect(rules.status == 0, "\(rules.output)")
            #expect(rules.output.contains("heart-failure-default"))
            let profiles = try Self.run(binary, ["profiles", "check"], in: elsewhere)
            #expect(profiles.status == 0, "\(profiles.output)")
            #expect(profiles.output.contains("6 profiles OK"))
        }
    }

    @Test("without the share folder the default rule file is reported missing, naming where it was looked for")
    func missingShare() async throws {
        try await withTemporaryDirectory { directory in
            let prefix = directory.appendingPathComponent("prefix")
            let binary = try Self.install(into: prefix, withShare: false)
            let (status, output) = try Self.run(binary, ["rules", "check"], in: directory)
            #expect(status != 0)
            let share = prefix.appendingPathComponent("share/tele-ingest").resolvingSymlinksInPath().path
            #expect(output.contains("rules/heart-failure.yaml: does not exist"), "\(output)")
            #expect(output.contains("looked for in \(share)"), "\(output)")
            #expect(!output.contains("UTF-8"), "\(output)")
            let shipped = ShippedFiles(executable: binary.path)
            #expect(shipped.folder == nil)
            #expect(shipped.searched == [share])
        }
    }

    @Test("a rule file named on the command line that is not there is reported missing, not as unreadable text")
    func missingNamedFile() async throws {
        try await withTemporaryDirectory { directory in
            let absent = directory.appendingPathComponent("my-rules.yaml").path
            let (status, output) = try teleIngest(["rules", "check", absent], in: directory)
            #expect(status != 0)
            #expect(output.contains("\(absent): does not exist"), "\(output)")
            let latin1 = directory.appendingPathComponent("latin1.yaml")
            try Data("title: Tr\u{e6}k\n".data(using: .isoLatin1)!).write(to: latin1)
            let (_, text) = try teleIngest(["rules", "check", latin1.path], in: directory)
            #expect(text.contains("\(latin1.path): is not UTF-8 text"), "\(text)")
        }
    }

    @Test("the console refuses to triage without its rules, unless told --rules none")
    func consoleNeedsRules() async throws {
        try await withTemporaryDirectory { directory in
            let store = try ConsoleFixture.store(in: directory)
            let who = ["--db", store.path, "--user", "Test Nurse", "--role", "nurse"]
            let week = [
                "worklist", "--week", ISOWeek(containing: ConsoleFixture.friday, in: ConsoleFixture.zone).description,
            ]
            // From a folder with no rules/ in it, the shipped rules are used: titles, not ids.
            let shipped = try nurseConsole(week + who, in: directory)
            #expect(shipped.status == 0, "\(shipped.output)")
            #expect(shipped.output.contains("weight +2.6 kg in 3 days"))
            let absent = directory.appendingPathComponent("gone.yaml").path
            let missing = try nurseConsole(week + who + ["--rules", absent], in: directory)
            #expect(missing.status != 0)
            #expect(missing.output.contains("\(absent): does not exist"), "\(missing.output)")
            let none = try nurseConsole(week + who + ["--rules", "none"], in: directory)
            #expect(none.status == 0, "\(none.output)")
        }
    }
}
