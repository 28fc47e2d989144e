import Foundation
import MonitoringRecords
import ReadingIntake
import StoreInterface
import Testing
import ThresholdRules
import Vitals

@testable import TeleIngest

/// The history the ingest loads for the rules reaches back as far as every rule looks: a
/// patient's flags are the same whether the readings come one day at a time or all at once.
@Suite struct RuleHistoryTests {
    static func at(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    /// 26 mornings swinging ±1 kg, 11 quiet ones, then 3 at +1.8 kg: against 28 usual days the
    /// rise is within this patient's usual variation; against the quiet days alone it is not.
    static func mornings() -> [(topic: String, payload: Data)] {
        (0..<40).map { day in
            let kg = day < 26 ? 80 + (day % 2 == 0 ? 1.0 : -1.0) : day < 37 ? 80 + (day % 2 == 0 ? 0.1 : -0.1) : 81.8
            let date = Calendar(identifier: .gregorian).date(
                byAdding: .day, value: day, to: at("2026-10-20T07:00:00+01:00"))!
            return ReadingIntakeConformanceTests.weighing("h-\(day)", date.formatted(.iso8601), kg)
        }
    }

    static func flags(_ backend: Backend, dayByDay: Bool) async throws -> [String] {
        let ruleSet = try RuleFile.load(from: Paths.packageRoot.appendingPathComponent("rules/heart-failure.yaml"))
        let rules = RuleEngine(ruleSet: ruleSet, defaultZone: TimeZone(identifier: "Europe/Copenhagen")!)
        return try await withIntake(backend, rules: rules) { intake in
            try await ReadingIntakeConformanceTests.register(intake.registry)
            let messages = mornings()
            for batch in dayByDay ? messages.map { [$0] } : [messages] {
                try await intake.journal(.mqtt, batch, at("2026-11-29T09:00:00Z"))
                _ = try await intake.processAll()
            }
            return try await intake.flags().map { "\($0.problem) \($0.state.rawValue): \($0.explanation)" }
        }
    }

    @Test("the engine loads every rule's window: a personal rule's usual days and recent days")
    func lookback() throws {
        let ruleSet = try RuleFile.load(from: Paths.packageRoot.appendingPathComponent("rules/heart-failure.yaml"))
        let personal = try #require(ruleSet.rules.first { $0.kind == .personal })
        let window = Int(personal.parameters["baselineDays"]! + personal.parameters["recentDays"]!)
        #expect(RuleEngine(ruleSet: ruleSet, defaultZone: .gmt).lookbackDays >= window)
    }

    @Test("one day at a time or all at once, the same flags, on both backends", arguments: Backend.allCases)
    func sameFlags(backend: Backend) async throws {
        let once = try await Self.flags(backend, dayByDay: false)
        let daily = try await Self.flags(backend, dayByDay: true)
        #expect(daily == once)
        #expect(!once.contains { $0.hasPrefix("worsening") }, "\(once)")
    }
}
