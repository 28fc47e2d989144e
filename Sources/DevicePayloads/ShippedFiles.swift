import Foundation

/// Where the rule set and device profiles that ship with the product are: found from the
/// executable's own location, never from the current folder, so `tele-ingest` and
/// `nurse-console` behave the same whichever folder they are started in.
///
/// Looked for, in order:
/// 1. `<prefix>/share/tele-ingest/`, for binaries installed in `<prefix>/bin/`;
/// 2. the source checkout the binary was built in (the nearest folder above the executable
///    holding `Package.swift`, `rules/` and `device-profiles/`), for `swift build` and `swift run`.
///
/// The configuration (`rules.file`, `profiles`) and the command-line flags point elsewhere.
public struct ShippedFiles: Sendable {
    /// The folder holding `rules/` and `device-profiles/`, or `nil` when none was found.
    public var folder: URL?
    /// Every folder looked in, in order: what a "missing" message names.
    public var searched: [String]

    /// The rule set used when the configuration names none.
    public static let ruleFile = "rules/heart-failure.yaml"
    /// The device profiles used when the configuration names none.
    public static let profilesFolder = "device-profiles"

    /// The shipped files for this process, located once from its executable.
    public static let current = ShippedFiles(executable: ShippedFiles.executablePath())

    /// Looks for the shipped files from an executable at `executable`.
    public init(executable: String?) {
        var candidates: [URL] = []
        if let executable {
            let binFolder = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
            candidates.append(binFolder.deletingLastPathComponent().appendingPathComponent("share/tele-ingest"))
            var folder = binFolder
            while folder.path != "/" {
                if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
                    candidates.append(folder)
                    break
                }
                folder = folder.deletingLastPathComponent()
            }
        }
        searched = candidates.map(\.path)
        folder = candidates.first { candidate in
            FileManager.default.fileExists(atPath: candidate.appendingPathComponent(Self.ruleFile).path)
                && FileManager.default.fileExists(atPath: candidate.appendingPathComponent(Self.profilesFolder).path)
        }
    }

    /// The path of a shipped file or folder (`rules/heart-failure.yaml`). When nothing was
    /// found it points into the first place looked, so loading it reports it missing.
    public func path(_ relative: String) -> String {
        let base = folder ?? searched.first.map(URL.init(fileURLWithPath:)) ?? URL(fileURLWithPath: "/nonexistent")
        return base.appendingPathComponent(relative).path
    }

    /// For a path that does not exist: what to say about it. For a shipped default, where it
    /// was looked for and how to point elsewhere; for any other path, just that it is missing.
    public func missing(_ path: String, setting: String) -> String {
        let isShippedDefault = [Self.ruleFile, Self.profilesFolder].contains { self.path($0) == path }
        guard isShippedDefault else { return "does not exist" }
        let places =
            searched.isEmpty ? "nowhere (the executable's location is unknown)" : searched.joined(separator: ", ")
        return
            "does not exist: the shipped \(setting) was looked for in \(places); install the product's share folder there, or set it in the configuration"
    }

    /// This process's executable, with symbolic links resolved (`/proc/self/exe` on Linux).
    static func executablePath() -> String? {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        return Bundle.main.executablePath ?? CommandLine.arguments.first
    }
}
