import Foundation
import MonitoringRecords
import ReadingIntake
import StoreInterface
import Testing
import ThresholdRules
import Vitals

@testable import TeleIngest

/// A request to measure again the next morning (a personal rule's `askScore`): recorded as a
/// reminder by the ingest that stored the readings, on both backends, and only for a score
/// between `askScore` and `yellowScore` on the newest day.
@Suite struct MeasurementRequestTests {
    static func at(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    /// The shipped rules with `askScore` 2 on the personal rule.
    static func asking() throws -> RuleEngine {
        var ruleSet = try RuleFile.load(from: Paths.packageRoot.appendingPathComponent("rules/heart-failure.yaml"))
        let index = try #require(ruleSet.rules.firstIndex { $0.kind == .personal })
        ruleSet.rules[index].parameters["askScore"] = 2
        return RuleEngine(ruleSet: ruleSet, defaultZone: TimeZone(identifier: "Europe/Copenhagen")!)
    }

    /// Twenty mornings at 80 kg ± 0.1 from 8 November, then three at 80 kg + `rise`; what the
    /// store then holds of requests and flags for Test Patient One.
    static func outcome(_ backend: Backend, rise: Double) async throws -> [String] {
        try await withIntake(backend, rules: try asking()) { intake in
            try await ReadingIntakeConformanceTests.register(intake.registry)
            var messages: [(topic: String, payload: Data)] = []
            for day in 0..<23 {
                let kg = day < 20 ? 80 + (day % 2 == 0 ? 0.1 : -0.1) : 80 + rise
                let date = Calendar(identifier: .gregorian).date(
                    byAdding: .day, value: day, to: at("2026-11-08T07:00:00+01:00"))!
                messages.append(
                    ReadingIntakeConformanceTests.weighing(
                        "r-\(day)", date.formatted(.iso8601), kg))
            }
            try await intake.journal(.mqtt, messages, at("2026-11-30T09:00:00Z"))
            _ = try await intake.processAll()
            let record = try #require(try await intake.followUp.patientRecord(id: "P-0001", since: .distantPast))
            return record.reminders.map { "request \($0.ruleID) \($0.measurement.rawValue) due \($0.due)" }
                + record.flags.map { "flag \($0.problem) \($0.severity.rawValue)" }
        }
    }

    @Test(
        "a rise short of a flag asks for tomorrow morning's weighing; a rise worth a flag does not ask",
        arguments: [(1.0, true), (2.0, false), (0.0, false)])
    func request(rise: Double, asked: Bool) async throws {
        let sqlite = try await Self.outcome(.sqlite, rise: rise)
        #expect(try await Self.outcome(.postgresql, rise: rise) == sqlite)
        let requests = sqlite.filter { $0.hasPrefix("request") }
        if asked {
            // The newest weighing is on 30 November; the request is for the 1st, today.
            #expect(requests == ["request personal-deviation weight due 2026-12-01"], "\(sqlite)")
            #expect(!sqlite.contains { $0.hasPrefix("flag") }, "a request is not a flag")
        } else {
            #expect(requests.isEmpty, "\(sqlite)")
        }
        if rise == 2.0 { #expect(sqlite.contains("flag worsening yellow"), "\(sqlite)") }
    }
}
