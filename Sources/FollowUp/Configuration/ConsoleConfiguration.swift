import DevicePayloads
import Foundation
import MonitoringRecords
import ServiceConfiguration
import StoreInterface
import ThresholdRules

/// What the console reads from the shared configuration file: the store and rules (the same
/// fields `tele-ingest` reads) and the `console:` section — who is using it, the nurse's time
/// zone, and the hotline. Every problem names the file, the field and what was expected.
public struct ConsoleConfiguration: Sendable {
    /// Database path, durability, rule file and default time zone, as `tele-ingest` reads them.
    public var ingest = IngestConfiguration()
    /// Who is using the console when no `--user`/`--role` is given.
    public var user: Clinician?
    /// The zone that defines "this week" for the worklist.
    public var timeZone = TimeZone(identifier: "Europe/Copenhagen")!
    public var hotline = HotlineSchedule()
    /// When a flag (`rules.overdue`) or an escalation (`console.escalationAnswerHours`) has
    /// waited too long.
    public var limits = WaitingLimits()

    public init() {}

    /// Defaults overlaid with the file at `url`.
    public static func load(file url: URL) throws(ConfigurationErrors) -> ConsoleConfiguration {
        var configuration = ConsoleConfiguration()
        configuration.ingest = try IngestConfiguration.load(file: url)
        configuration.timeZone = TimeZone(identifier: configuration.ingest.defaultTimeZone) ?? configuration.timeZone
        configuration.hotline.timeZone = configuration.timeZone
        configuration.limits.flags = OverduePolicy(
            redWorkingDays: configuration.ingest.rules.overdueRedWorkingDays,
            yellowWorkingDays: configuration.ingest.rules.overdueYellowWorkingDays)
        let raw: File
        do {
            raw = try YAMLFile.decode(File.self, from: url)
        } catch {
            throw ConfigurationErrors([error])
        }
        guard let console = raw.console else { return configuration }
        var problems: [ConfigurationError] = []
        func problem(_ field: String, _ expected: String) {
            problems.append(ConfigurationError(file: url.path, field: "console." + field, expected: expected))
        }
        func zone(_ name: String, _ field: String) -> TimeZone? {
            if let zone = TimeZone(identifier: name) { return zone }
            problem(field, "expected a time zone name like Europe/Copenhagen, found '\(name)'")
            return nil
        }
        if let user = console.user {
            if let role = Clinician.Role(rawValue: user.role), !user.name.trimmingCharacters(in: .whitespaces).isEmpty {
                configuration.user = Clinician(name: user.name, role: role)
            } else {
                problem(
                    "user", "expected a name and a role (nurse or cardiologist), found '\(user.name)', '\(user.role)'")
            }
        }
        if let name = console.timeZone, let zone = zone(name, "timeZone") {
            configuration.timeZone = zone
            configuration.hotline.timeZone = zone
        }
        if let hours = console.escalationAnswerHours {
            if hours > 0 {
                configuration.limits.escalationAnswer = hours * 3600
            } else {
                problem("escalationAnswerHours", "expected a number of hours above 0, found \(hours)")
            }
        }
        if let hotline = console.hotline {
            if let name = hotline.name { configuration.hotline.name = name }
            if let phone = hotline.phone { configuration.hotline.phone = phone }
            if let days = hotline.days {
                let names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                var weekdays: Set<Int> = []
                for day in days {
                    if let index = names.firstIndex(of: String(day.lowercased().prefix(3))) {
                        weekdays.insert(index + 1)
                    } else {
                        problem("hotline.days", "expected day names like Mon, Tue, found '\(day)'")
                    }
                }
                configuration.hotline.weekdays = weekdays
            }
            for (field, text, keyPath) in [
                ("hotline.opens", hotline.opens, \HotlineSchedule.opensAtMinute),
                ("hotline.closes", hotline.closes, \HotlineSchedule.closesAtMinute),
            ] {
                guard let text else { continue }
                let parts = text.split(separator: ":")
                if parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]), (0...24).contains(hour),
                    (0..<60).contains(minute), hour * 60 + minute <= 24 * 60
                {
                    configuration.hotline[keyPath: keyPath] = hour * 60 + minute
                } else {
                    problem(field, "expected a time like 08:00, found '\(text)'")
                }
            }
            if configuration.hotline.opensAtMinute >= configuration.hotline.closesAtMinute {
                problem("hotline", "expected the hotline to open before it closes")
            }
            if let name = hotline.timeZone, let zone = zone(name, "hotline.timeZone") {
                configuration.hotline.timeZone = zone
            }
            if let dates = hotline.closedDates {
                for date in dates where !Self.isDate(date) {
                    problem("hotline.closedDates", "expected dates like 2026-12-24, found '\(date)'")
                }
                configuration.hotline.closedDates = Set(dates)
            }
            if let instruction = hotline.acuteInstruction {
                if instruction.trimmingCharacters(in: .whitespaces).isEmpty {
                    problem("hotline.acuteInstruction", "expected what to do when the hotline is closed")
                }
                configuration.hotline.acuteInstruction = instruction
            }
        }
        if !problems.isEmpty { throw ConfigurationErrors(problems) }
        return configuration
    }

    static func isDate(_ text: String) -> Bool {
        text.count == 10 && text.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression) != nil
    }

    struct File: Decodable {
        var console: Console?
        struct Console: Decodable {
            var user: User?
            var timeZone: String?
            var escalationAnswerHours: Double?
            var hotline: Hotline?
        }
        struct User: Decodable {
            var name: String
            var role: String
        }
        struct Hotline: Decodable {
            var name: String?
            var phone: String?
            var days: [String]?
            var opens: String?
            var closes: String?
            var timeZone: String?
            var closedDates: [String]?
            var acuteInstruction: String?
        }
    }
}
