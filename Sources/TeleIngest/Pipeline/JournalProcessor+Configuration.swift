import DevicePayloads
import Foundation
import MonitoringRecords
import ReadingIntake
import ServiceConfiguration

extension IngestConfiguration {
    /// The intake decisions and the rules as configured: the zone checked, the device profiles
    /// loaded (or none, for work that never decodes device messages, like a CSV import), the rule
    /// file read. The same for every backend.
    public func intakeSettings(loadProfiles: Bool = true, loadRules: Bool = true) throws -> (
        intake: ReadingIntake, rules: RuleEngine?
    ) {
        guard let zone = TimeZone(identifier: defaultTimeZone) else {
            throw ConfigurationError(
                file: "configuration", field: "ingest.defaultTimeZone",
                expected: "expected a time zone name, found '\(defaultTimeZone)'")
        }
        let profiles =
            loadProfiles
            ? try DeviceProfileSet.load(directory: URL(fileURLWithPath: profilesDirectory))
            : DeviceProfileSet([])
        let intake = ReadingIntake(
            decoder: MessageDecoder(profiles: profiles, maxPayloadBytes: maxPayloadBytes),
            futureTolerance: futureToleranceSeconds, defaultTimeZone: zone)
        var rules: RuleEngine?
        if loadRules, let file = self.rules.file {
            rules = RuleEngine(ruleSet: try RuleFile.load(from: URL(fileURLWithPath: file)), defaultZone: zone)
            // A request to measure again is a reminder: recorded only where reminders go out.
            if !reminders.enabled { rules?.asksToConfirm = false }
        }
        return (intake, rules)
    }
}

extension JournalProcessor {
    /// A processor as configured (`IngestConfiguration.intakeSettings`) on the SQLite store it
    /// opens. `backgroundCheckpoints`: the caller checkpoints the store itself
    /// (`MonitoringStore.checkpoint()`).
    public init(
        configuration: IngestConfiguration, loadProfiles: Bool = true, loadRules: Bool = true,
        backgroundCheckpoints: Bool = false
    ) throws {
        // Never a local file in place of the PostgreSQL store the configuration names.
        if configuration.databaseURL != nil {
            throw StoreError(
                "opening the journal processor",
                "it runs on the SQLite store (database.path); the configuration names a PostgreSQL store (database.url)",
                code: .invalid)
        }
        let settings = try configuration.intakeSettings(loadProfiles: loadProfiles, loadRules: loadRules)
        let store = try MonitoringStore(
            path: configuration.databasePath, durability: configuration.durability,
            backgroundCheckpoints: backgroundCheckpoints, groupAccess: configuration.databaseGroupAccess,
            clock: configuration.clock)
        self.init(
            store: store, decoder: settings.intake.decoder, futureTolerance: settings.intake.futureTolerance,
            defaultTimeZone: settings.intake.defaultTimeZone)
        importDecoder = settings.intake.importDecoder
        rules = settings.rules
    }
}
