import DevicePayloads
import Foundation
import ReadingIntake

extension JournalProcessor {
    /// A processor as configured: opens the store, loads the device profiles (or none, for
    /// work that never decodes device messages, like a CSV import) and the rule file.
    /// `backgroundCheckpoints`: the caller checkpoints the store itself (`MonitoringStore.checkpoint()`).
    public init(
        configuration: IngestConfiguration, loadProfiles: Bool = true, loadRules: Bool = true,
        backgroundCheckpoints: Bool = false
    ) throws {
        guard let zone = TimeZone(identifier: configuration.defaultTimeZone) else {
            throw ConfigurationError(
                file: "configuration", field: "ingest.defaultTimeZone",
                expected: "expected a time zone name, found '\(configuration.defaultTimeZone)'")
        }
        let profiles =
            loadProfiles
            ? try DeviceProfileSet.load(directory: URL(fileURLWithPath: configuration.profilesDirectory))
            : DeviceProfileSet([])
        let store = try MonitoringStore(
            path: configuration.databasePath, durability: configuration.durability,
            backgroundCheckpoints: backgroundCheckpoints, clock: configuration.clock)
        self.init(
            store: store, decoder: MessageDecoder(profiles: profiles, maxPayloadBytes: configuration.maxPayloadBytes),
            futureTolerance: configuration.futureToleranceSeconds, defaultTimeZone: zone)
        if loadRules, let file = configuration.rules.file {
            rules = RuleEngine(ruleSet: try RuleFile.load(from: URL(fileURLWithPath: file)), defaultZone: zone)
        }
    }
}
