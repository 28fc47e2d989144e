import Foundation

/// All device profiles of a folder, tried in file-name order: the first that recognises a
/// message decodes it.
public struct DeviceProfileSet: Sendable {
    /// The profiles, in the order they are tried.
    public var profiles: [DeviceProfile]

    public init(_ profiles: [DeviceProfile]) {
        self.profiles = profiles
    }

    /// Loads every `.yaml`/`.yml` file in `directory`. Refuses a folder with no profiles, a
    /// profile with errors, or two profiles with the same id; all problems are reported at once.
    public static func load(directory: URL) throws(ConfigurationErrors) -> DeviceProfileSet {
        let names: [String]
        guard FileManager.default.fileExists(atPath: directory.path) else {
            throw ConfigurationErrors([
                ConfigurationError(
                    file: directory.path, field: "",
                    expected: ShippedFiles.current.missing(directory.path, setting: "device profiles folder (profiles)")
                )
            ])
        }
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw ConfigurationErrors([
                ConfigurationError(
                    file: directory.path, field: "",
                    expected: "expected a folder of device profiles (.yaml); it cannot be read")
            ])
        }
        var problems: [ConfigurationError] = []
        var profiles: [DeviceProfile] = []
        var seen: [String: String] = [:]
        for name in names.sorted() where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            let url = directory.appendingPathComponent(name)
            do {
                let profile = try DeviceProfile.load(from: url)
                if let other = seen[profile.id] {
                    problems.append(
                        ConfigurationError(
                            file: url.path, field: "id",
                            expected: "'\(profile.id)' is already used by \(other); ids must be unique"))
                }
                seen[profile.id] = url.path
                profiles.append(profile)
            } catch {
                problems += error.errors
            }
        }
        if profiles.isEmpty, problems.isEmpty {
            problems.append(
                ConfigurationError(
                    file: directory.path, field: "",
                    expected: "expected at least one device profile (.yaml) in this folder"))
        }
        guard problems.isEmpty else { throw ConfigurationErrors(problems) }
        return DeviceProfileSet(profiles)
    }

    /// The first profile that recognises the message.
    public func profile(for topic: String, payload: JSONValue) -> DeviceProfile? {
        profiles.first { $0.recognises(topic: topic, payload: payload) }
    }
}
