import DevicePayloads
import Foundation
import ThresholdRules
import Vitals
import Yams

/// Reads a YAML rule file into a `RuleSet`, reporting every problem with the file, the line
/// and the field. The format is described in `docs/RULES.md`.
public enum RuleFile {
    struct File: Decodable {
        var ruleSet: String
        var version: Int
        var rules: [RuleEntry]
    }

    struct RuleEntry: Decodable {
        var id: String
        var title: String?
        var kind: String
        var measurement: String
        var severity: String?
        var dailyValue: String?
        var relativeTo: String?
        var parameters: [String: Double]
        var source: String?
        var problem: String?
        var reference: String?
    }

    /// Loads and checks the rule file at `url`.
    public static func load(from url: URL) throws(ConfigurationErrors) -> RuleSet {
        let text: String
        do {
            text = try YAMLFile.text(of: url, setting: "rule file (rules.file)")
        } catch {
            throw ConfigurationErrors([error])
        }
        return try load(yaml: text, file: url.path)
    }

    /// Loads and checks rule-file text; `file` names it in errors.
    public static func load(yaml text: String, file: String) throws(ConfigurationErrors) -> RuleSet {
        let raw: File
        do {
            raw = try YAMLFile.decode(File.self, from: text, file: file)
        } catch {
            var located = error
            located.line = located.line ?? YAMLFile.line(of: error.field, in: text)
            throw ConfigurationErrors([located])
        }
        var problems: [ConfigurationError] = []
        func problem(_ field: String, _ expected: String) {
            problems.append(
                ConfigurationError(
                    file: file, field: field, expected: expected, line: YAMLFile.line(of: field, in: text)))
        }
        func choice<T: RawRepresentable & CaseIterable>(_ value: String, _ type: T.Type, _ field: String) -> T?
        where T.RawValue == String {
            if let parsed = T(rawValue: value) { return parsed }
            problem(field, "expected one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), found '\(value)'")
            return nil
        }
        if raw.version < 1 { problem("version", "expected a whole number from 1, found \(raw.version)") }
        var rules: [Rule] = []
        var seen: Set<String> = []
        for (index, entry) in raw.rules.enumerated() {
            let field = "rules.\(index)"
            if !seen.insert(entry.id).inserted {
                problem("\(field).id", "'\(entry.id)' is used twice; rule ids must be unique")
            }
            if entry.id.isEmpty || entry.id.contains(where: \.isWhitespace) {
                problem("\(field).id", "expected an id without spaces, found '\(entry.id)'")
            }
            if let shared = entry.problem, shared.isEmpty || shared.contains(where: \.isWhitespace) {
                problem("\(field).problem", "expected a name without spaces, found '\(shared)'")
            }
            let kind = choice(entry.kind, RuleKind.self, "\(field).kind")
            let measurement = choice(entry.measurement, ReadingKind.self, "\(field).measurement")
            let severity = entry.severity.map { choice($0, Severity.self, "\(field).severity") } ?? .yellow
            let daily = entry.dailyValue.map { choice($0, DailyValue.self, "\(field).dailyValue") } ?? .morning
            let reference =
                entry.reference.map { choice($0, ChangeReference.self, "\(field).reference") } ?? .lowest
            if let relative = entry.relativeTo, relative != "dryWeight" {
                problem("\(field).relativeTo", "expected dryWeight, found '\(relative)'")
            }
            guard let kind, let measurement, let severity, let daily, let reference else { continue }
            if entry.reference != nil, kind != .change {
                problem("\(field).reference", "applies to change rules only")
            }
            let rule = Rule(
                id: entry.id, kind: kind, measurement: measurement, parameters: entry.parameters, severity: severity,
                dailyValue: daily, relativeToDryWeight: entry.relativeTo == "dryWeight", source: entry.source ?? "",
                title: entry.title ?? "", problem: entry.problem, reference: reference)
            for (name, expected) in rule.problems() { problem("\(field).\(name)", expected) }
            if (entry.source ?? "").isEmpty {
                problem("\(field).source", "is required: say where the numbers come from")
            }
            rules.append(rule)
        }
        if raw.rules.isEmpty { problem("rules", "expected at least one rule") }
        // Adherence is not a clinical flag: a missing-data rule never shares a flag with others.
        for (index, rule) in rules.enumerated() {
            let sharing = rules.filter { $0.problem == rule.problem && $0.id != rule.id }
            if sharing.contains(where: { ($0.kind == .missing) != (rule.kind == .missing) }) {
                problem(
                    "rules.\(index).problem",
                    "'\(rule.problem)' mixes missing-data and clinical rules; expected missing-data rules in a problem of their own"
                )
            }
            if rule.problem != rule.id, rules.contains(where: { $0.id == rule.problem }) {
                problem(
                    "rules.\(index).problem",
                    "'\(rule.problem)' is another rule's id; expected a problem name that is not a rule id")
            }
        }
        guard problems.isEmpty else { throw ConfigurationErrors(problems) }
        return RuleSet(id: raw.ruleSet, version: raw.version, rules: rules)
    }
}
