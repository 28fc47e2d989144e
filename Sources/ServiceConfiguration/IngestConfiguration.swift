import BrokerSettings
import DevicePayloads
import Foundation
import MonitoringRecords
import StoreInterface

/// Everything `tele-ingest run` needs, from defaults, a YAML file and command-line flags (in
/// that order, later wins). See `docs/CONFIGURATION.md`.
public struct IngestConfiguration: Sendable {
    public var broker = BrokerEndpoint(host: "127.0.0.1", port: 1883)
    /// Topic filters, QoS, keep-alive and reconnect timing. Its client id is not read: the
    /// connection takes `clientID` (`mqttSession()`).
    public var session = SessionOptions(
        clientID: "tele-ingest", topicFilters: ["telekit/#", "omh/#", "phd/#"],
        publishWindow: IngestConfiguration.defaultPublishWindow)
    /// Receipts and reminders in flight to the broker at once (`broker.publishWindow`).
    public static let defaultPublishWindow: UInt32 = 1000
    /// This process's name among the ingest workers sharing the store (`ingest.worker`,
    /// `--worker`); `main` for a single service.
    public var worker = WorkerName.main
    /// `broker.clientId`: the MQTT client id if configured; `nil`: the worker's default.
    public var configuredClientID: String?
    /// `broker.sharedGroup`: with a name, the topic filters are subscribed as an MQTT shared
    /// subscription (`$share/<group>/<filter>`), so the broker gives each message to one worker
    /// of the group (docs/DELIVERY.md, several workers).
    public var sharedGroup: String?
    public var databasePath = "tele-ingest.sqlite"
    /// `database.url`: a PostgreSQL store (`postgresql://USER@HOST:PORT/DATABASE`) instead of
    /// the SQLite file. So far it serves `migrate`, `patients`, `devices`, `run`, `status` and `rules apply`
    /// (docs/POSTGRESQL.md).
    public var databaseURL: String?
    public var durability = Durability.normal
    /// `database.groupAccess`: the SQLite files readable and writable by their group too (mode
    /// 0660), for clinicians who sign in with their own operating-system accounts on the store's
    /// machine; otherwise the owner only (0600).
    public var databaseGroupAccess = false
    /// `ingest.inboxFolder`: where a worker on a PostgreSQL store keeps its inbox file
    /// (`tele-ingest.inbox`, `tele-ingest.inbox-<worker>`); the current folder if not set. On the
    /// SQLite store the inbox lies beside the database file.
    public var inboxFolder: String?

    /// The path the worker's inbox file is named after (`MessageInbox.path(forStore:worker:)`).
    public var inboxBasePath: String {
        guard databaseURL != nil else { return databasePath }
        return URL(fileURLWithPath: inboxFolder ?? FileManager.default.currentDirectoryPath)
            .appendingPathComponent("tele-ingest").path
    }
    /// The device profiles; the shipped ones (`ShippedFiles`) unless the file says otherwise.
    public var profilesDirectory = ShippedFiles.current.path(ShippedFiles.profilesFolder)
    /// Journal entries decoded and stored per transaction at most (docs/PERFORMANCE.md: the batch size).
    public var batchSize = 8000
    /// Patients' recent readings the rules keep in memory between batches, in readings (32
    /// bytes each); 0 (the default): the rules read them from the store in every batch (docs/PERFORMANCE.md,
    /// "Recent readings kept between batches"). SQLite only.
    public var keptReadings = 0
    /// How often the service writes its status for `tele-ingest status`, in seconds.
    public var statusIntervalSeconds = 5.0
    /// A journal backlog above this is "falling behind": logged once, shown by `status`.
    public var fallingBehindBacklog = 10_000
    /// Larger payloads are quarantined unread.
    public var maxPayloadBytes = 64 * 1024
    /// Seconds a measurement time may lie after the message's arrival.
    public var futureToleranceSeconds = 300.0
    /// Zone for local device times before a device is paired.
    public var defaultTimeZone = "Europe/Copenhagen"
    /// Receipts to gateways after commit, on `<topicPrefix>/<serial>/receipt`. Off by default:
    /// only gateways that resend what is unconfirmed need them.
    public var receipts = DeviceMessages()
    /// Reminders to the patient's devices on the last day the measurement plan allows without a
    /// measurement (the day before a missing-data flag), on `<topicPrefix>/<serial>/reminder`.
    /// Off by default: only devices that show reminders (a hub or tablet) can use them.
    public var reminders = DeviceMessages()
    /// swift-log level name: trace, debug, info, notice, warning, error, critical.
    public var logLevel = "info"
    /// The site's notifier (`notify.command`): an executable run with the event, the patient's
    /// id and the flag's or escalation's id — for a red flag overdue (by the service) and an
    /// escalation raised outside hotline hours (by the console). `nil`: nobody is notified.
    public var notifyCommand: String?
    /// The rule set and when rules run.
    public var rules = RuleOptions()
    /// The loopback port of `GET /metrics` and `GET /health` (`metrics.port`); `nil`: none.
    public var metricsPort: UInt16?
    /// Years a patient's health record is kept after its newest entry before `tele-ingest
    /// patients erase --basis retention-over` may remove it (`records.keepYears`; the executive
    /// order on health records: at least 10). docs/SECURITY.md.
    public var recordsKeepYears = 10
    /// How long the journal keeps raw payloads of stored messages (`journal`).
    public var journalRetention = JournalRetentionOptions()
    /// "Now" for arrivals, flags and every judgement by the time. Not read from the file: the
    /// executables set it from `TELE_INGEST_NOW` (`WallClock.fromEnvironment()`), tests fix it.
    public var clock = WallClock.system

    /// Where the rules come from and how often the clock-driven ones run.
    public struct RuleOptions: Sendable, Hashable {
        /// The rule file (YAML); `nil` turns the rules off. The shipped rule set (`ShippedFiles`)
        /// unless the file says otherwise.
        public var file: String? = ShippedFiles.current.path(ShippedFiles.ruleFile)
        /// Minutes between missing-data checks inside `tele-ingest run`.
        public var missingDataCheckMinutes = 60.0
        /// Working days before an unacknowledged red / yellow flag counts as overdue.
        public var overdueRedWorkingDays = 1
        public var overdueYellowWorkingDays = 5
        public init() {}
    }

    /// Retention of the journal's raw payloads (docs/OPERATIONS.md): a stored message's payload
    /// is removed once it is older than `keepPayloadDays`; the readings, the quarantine and the
    /// audit log stay. `tele-ingest run` prunes every `pruneIntervalMinutes`.
    public struct JournalRetentionOptions: Sendable, Hashable {
        /// `nil`: kept for ever.
        public var keepPayloadDays: Int? = 180
        public var pruneIntervalMinutes = 60.0
        public init() {}
    }

    /// Messages the service publishes to devices (receipts, reminders): whether, and under
    /// which topic prefix.
    public struct DeviceMessages: Sendable, Hashable {
        public var enabled = false
        public var topicPrefix = "telekit"
        public init() {}
    }

    public init() {}

    /// The MQTT client id: the configured one, else the worker's (`tele-ingest` for `main`,
    /// `tele-ingest-<worker>` for the others). Every worker needs its own: the broker keeps one
    /// session per client id and disconnects the older of two clients with the same id.
    public var clientID: String {
        get { configuredClientID ?? worker.defaultClientID }
        set { configuredClientID = newValue }
    }

    /// The session the service connects with: `session` under `clientID`, its topic filters as
    /// shared subscriptions when `sharedGroup` is set.
    public func mqttSession() -> SessionOptions {
        var options = session
        options.clientID = clientID
        if let sharedGroup {
            options.topicFilters = options.topicFilters.map { "$share/\(sharedGroup)/\($0)" }
        }
        return options
    }

    /// Why `group` cannot name a shared subscription group, or `nil` if it can.
    public static func sharedGroupProblem(_ group: String) -> String? {
        if group.isEmpty || group.contains("/") || group.contains("+") || group.contains("#") {
            return "expected a group name without '/', '+' or '#', found '\(group)'"
        }
        return nil
    }

    /// Defaults overlaid with the file at `url`. Relative paths in the file are resolved
    /// against the file's folder. Every problem is reported with the file and field.
    public static func load(file url: URL) throws(ConfigurationErrors) -> IngestConfiguration {
        let raw: ConfigurationFile
        do {
            raw = try YAMLFile.decode(ConfigurationFile.self, from: url)
        } catch {
            throw ConfigurationErrors([error])
        }
        var configuration = IngestConfiguration()
        try configuration.apply(raw, file: url.path, base: url.deletingLastPathComponent())
        return configuration
    }

    mutating func apply(_ raw: ConfigurationFile, file: String, base: URL) throws(ConfigurationErrors) {
        var problems: [ConfigurationError] = []
        func problem(_ field: String, _ expected: String) {
            problems.append(ConfigurationError(file: file, field: field, expected: expected))
        }
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") ? path : base.appendingPathComponent(path).path
        }
        if let broker = raw.broker {
            if let url = broker.url {
                if let endpoint = BrokerEndpoint(url: url) {
                    self.broker.host = endpoint.host
                    self.broker.port = endpoint.port
                } else {
                    problem("broker.url", "expected mqtt://host:port or mqtts://host:port, found '\(url)'")
                }
            }
            if let clientID = broker.clientId {
                if clientID.isEmpty || clientID.utf8.count > 23 {
                    problem(
                        "broker.clientId", "expected 1 to 23 characters (the MQTT 3.1.1 limit), found '\(clientID)'")
                } else {
                    configuredClientID = clientID
                }
            }
            if let group = broker.sharedGroup {
                if let reason = Self.sharedGroupProblem(group) {
                    problem("broker.sharedGroup", reason)
                } else {
                    sharedGroup = group
                }
            }
            if let topics = broker.topics {
                if topics.isEmpty { problem("broker.topics", "expected at least one topic filter") }
                session.topicFilters = topics
            }
            if let username = broker.username { self.broker.username = username }
            if let passwordFile = broker.passwordFile {
                do {
                    let text = try String(contentsOfFile: resolve(passwordFile), encoding: .utf8)
                    self.broker.password = text.trimmingCharacters(in: .whitespacesAndNewlines)
                } catch {
                    problem(
                        "broker.passwordFile",
                        "expected a readable file holding the broker password, cannot read '\(resolve(passwordFile))'")
                }
            }
            if let tls = broker.tls {
                let ca = resolve(tls.caFile)
                if !FileManager.default.isReadableFile(atPath: ca) {
                    problem("broker.tls.caFile", "expected a readable PEM file, cannot read '\(ca)'")
                }
                self.broker.tls = BrokerEndpoint.TLS(
                    caFile: ca, certFile: tls.certFile.map(resolve), keyFile: tls.keyFile.map(resolve))
                if (tls.certFile == nil) != (tls.keyFile == nil) {
                    problem("broker.tls", "expected both certFile and keyFile for a client certificate, or neither")
                }
            }
            if let keepAlive = broker.keepAliveSeconds {
                if keepAlive < 5 || keepAlive > 3600 {
                    problem("broker.keepAliveSeconds", "expected 5 to 3600, found \(keepAlive)")
                }
                session.keepAliveSeconds = Int32(clamping: keepAlive)
            }
            if let window = broker.publishWindow {
                if window < 1 || window > 65535 {
                    problem("broker.publishWindow", "expected 1 to 65535 messages, found \(window)")
                }
                session.publishWindow = UInt32(clamping: window)
            }
            if let delay = broker.reconnectDelaySeconds {
                if delay < 1 { problem("broker.reconnectDelaySeconds", "expected at least 1, found \(delay)") }
                session.reconnectDelay = UInt32(clamping: delay)
            }
            if let delay = broker.reconnectDelayMaxSeconds {
                if delay < 1 { problem("broker.reconnectDelayMaxSeconds", "expected at least 1, found \(delay)") }
                session.reconnectDelayMax = UInt32(clamping: delay)
            }
        }
        if let database = raw.database {
            if let path = database.path { databasePath = resolve(path) }
            if let groupAccess = database.groupAccess { databaseGroupAccess = groupAccess }
            if let url = database.url {
                if database.path != nil {
                    problem("database", "give path (SQLite) or url (PostgreSQL), not both")
                } else {
                    do {
                        _ = try PostgresLocation(url: url)
                        databaseURL = url
                    } catch {
                        problem("database.url", error.reason)
                    }
                }
            }
            if let synchronous = database.synchronous {
                if let durability = Durability(rawValue: synchronous.lowercased()) {
                    self.durability = durability
                } else {
                    problem("database.synchronous", "expected normal or full, found '\(synchronous)'")
                }
            }
        }
        if let profiles = raw.profiles { profilesDirectory = resolve(profiles) }
        if let ingest = raw.ingest {
            if let folder = ingest.inboxFolder { inboxFolder = resolve(folder) }
            if let name = ingest.worker {
                if let worker = WorkerName(name) {
                    self.worker = worker
                } else {
                    problem("ingest.worker", "expected \(WorkerName.expectation), found '\(name)'")
                }
            }
            if let batch = ingest.batchSize {
                if batch < 1 || batch > 10_000 { problem("ingest.batchSize", "expected 1 to 10000, found \(batch)") }
                batchSize = batch
            }
            if let kept = ingest.keptReadings {
                if kept < 0 || kept > 10_000_000 {
                    problem("ingest.keptReadings", "expected 0 to 10000000, found \(kept)")
                }
                keptReadings = kept
            }
            if let limit = ingest.maxPayloadBytes {
                if limit < 256 { problem("ingest.maxPayloadBytes", "expected at least 256, found \(limit)") }
                maxPayloadBytes = limit
            }
            if let tolerance = ingest.futureToleranceSeconds {
                if tolerance < 0 { problem("ingest.futureToleranceSeconds", "expected 0 or more, found \(tolerance)") }
                futureToleranceSeconds = tolerance
            }
            if let seconds = ingest.statusIntervalSeconds {
                if seconds < 1 || seconds > 300 {
                    problem("ingest.statusIntervalSeconds", "expected 1 to 300, found \(seconds)")
                }
                statusIntervalSeconds = seconds
            }
            if let backlog = ingest.fallingBehindBacklog {
                if backlog < 1 { problem("ingest.fallingBehindBacklog", "expected at least 1, found \(backlog)") }
                fallingBehindBacklog = backlog
            }
            if let zone = ingest.defaultTimeZone {
                if TimeZone(identifier: zone) == nil {
                    problem(
                        "ingest.defaultTimeZone", "expected a time zone name like Europe/Copenhagen, found '\(zone)'")
                }
                defaultTimeZone = zone
            }
        }
        func apply(_ raw: ConfigurationFile.DeviceMessages?, to options: inout DeviceMessages, field: String) {
            guard let raw else { return }
            if let enabled = raw.enabled { options.enabled = enabled }
            if let prefix = raw.topicPrefix {
                if prefix.isEmpty || prefix.contains("+") || prefix.contains("#") {
                    problem("\(field).topicPrefix", "expected a topic prefix without wildcards, found '\(prefix)'")
                }
                options.topicPrefix = prefix
            }
        }
        apply(raw.receipts, to: &receipts, field: "receipts")
        apply(raw.reminders, to: &reminders, field: "reminders")
        if let rules = raw.rules {
            if let file = rules.file { self.rules.file = file.isEmpty || file == "none" ? nil : resolve(file) }
            if let minutes = rules.missingDataCheckMinutes {
                if minutes < 1 || minutes > 1440 {
                    problem("rules.missingDataCheckMinutes", "expected 1 to 1440, found \(minutes)")
                }
                self.rules.missingDataCheckMinutes = minutes
            }
            if let days = rules.overdue?.redWorkingDays {
                if days < 0 { problem("rules.overdue.redWorkingDays", "expected 0 or more, found \(days)") }
                self.rules.overdueRedWorkingDays = days
            }
            if let days = rules.overdue?.yellowWorkingDays {
                if days < 0 { problem("rules.overdue.yellowWorkingDays", "expected 0 or more, found \(days)") }
                self.rules.overdueYellowWorkingDays = days
            }
        }
        if let port = raw.metrics?.port {
            if port < 1 || port > 65535 { problem("metrics.port", "expected a port from 1 to 65535, found \(port)") }
            metricsPort = UInt16(clamping: port)
        }
        if let years = raw.records?.keepYears {
            if years < 10 || years > 100 {
                problem(
                    "records.keepYears",
                    "expected 10 to 100 years (health records are kept at least ten years after the newest entry), found \(years)"
                )
            }
            recordsKeepYears = years
        }
        if let journal = raw.journal {
            switch journal.keepPayloadDays {
            case nil: break
            case .forever: journalRetention.keepPayloadDays = nil
            case .days(let days):
                if days < 1 || days > 36_500 {
                    problem("journal.keepPayloadDays", "expected 1 to 36500 days or 'forever', found \(days)")
                }
                journalRetention.keepPayloadDays = days
            case .other(let text):
                problem("journal.keepPayloadDays", "expected a number of days or 'forever', found '\(text)'")
            }
            if let minutes = journal.pruneIntervalMinutes {
                if minutes < 0.01 || minutes > 1440 {
                    problem("journal.pruneIntervalMinutes", "expected 0.01 to 1440, found \(minutes)")
                }
                journalRetention.pruneIntervalMinutes = minutes
            }
        }
        if let command = raw.notify?.command, !command.isEmpty {
            let path = resolve(command)
            if !FileManager.default.isExecutableFile(atPath: path) {
                problem("notify.command", "expected an executable file, found '\(path)'")
            }
            notifyCommand = path
        }
        if let level = raw.logging?.level {
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            if !levels.contains(level) {
                problem("logging.level", "expected one of \(levels.joined(separator: ", ")), found '\(level)'")
            }
            logLevel = level
        }
        if !problems.isEmpty { throw ConfigurationErrors(problems) }
    }
}

/// The YAML form of the configuration file; every field optional.
struct ConfigurationFile: Decodable {
    var broker: Broker?
    var database: Database?
    var profiles: String?
    var ingest: Ingest?
    var receipts: DeviceMessages?
    var reminders: DeviceMessages?
    var logging: Logging?
    var rules: Rules?
    var notify: Notify?
    var journal: Journal?
    var metrics: Metrics?
    var records: Records?

    struct Records: Decodable {
        var keepYears: Int?
    }

    struct Metrics: Decodable {
        var port: Int?
    }

    struct Journal: Decodable {
        var keepPayloadDays: Days?
        var pruneIntervalMinutes: Double?

        /// A number of days, or `forever`.
        enum Days: Decodable {
            case days(Int)
            case forever
            case other(String)

            init(from decoder: any Decoder) throws {
                let value = try decoder.singleValueContainer()
                if let days = try? value.decode(Int.self) {
                    self = .days(days)
                } else {
                    let text = try value.decode(String.self)
                    self = text == "forever" ? .forever : .other(text)
                }
            }
        }
    }

    struct Notify: Decodable {
        var command: String?
    }

    struct Rules: Decodable {
        var file: String?
        var missingDataCheckMinutes: Double?
        var overdue: Overdue?
        struct Overdue: Decodable {
            var redWorkingDays: Int?
            var yellowWorkingDays: Int?
        }
    }

    struct Broker: Decodable {
        var url: String?
        var clientId: String?
        var sharedGroup: String?
        var topics: [String]?
        var username: String?
        var passwordFile: String?
        var tls: TLS?
        var keepAliveSeconds: Int?
        var publishWindow: Int?
        var reconnectDelaySeconds: Int?
        var reconnectDelayMaxSeconds: Int?
    }
    struct TLS: Decodable {
        var caFile: String
        var certFile: String?
        var keyFile: String?
    }
    struct Database: Decodable {
        var path: String?
        var url: String?
        var groupAccess: Bool?
        var synchronous: String?
    }
    struct Ingest: Decodable {
        var worker: String?
        var batchSize: Int?
        var keptReadings: Int?
        var maxPayloadBytes: Int?
        var futureToleranceSeconds: Double?
        var defaultTimeZone: String?
        var statusIntervalSeconds: Double?
        var fallingBehindBacklog: Int?
        var inboxFolder: String?
    }
    struct DeviceMessages: Decodable {
        var enabled: Bool?
        var topicPrefix: String?
    }
    struct Logging: Decodable {
        var level: String?
    }
}
