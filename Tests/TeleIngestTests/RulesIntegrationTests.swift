import DevicePayloads
import Foundation
import GRDB
import MonitoringRecords
import ReadingIntake
import StoreInterface
import Testing
import ThresholdRules
import Vitals

@testable import TeleIngest

/// Rules wired into the store: flags raised in the same transaction as the readings, their
/// lifecycle, personal settings, the rule file and the command line.
@Suite struct RulesIntegrationTests {
    /// The guideline-only set: most tests here are about its rules of thumb.
    static let ruleFile = Paths.packageRoot.appendingPathComponent("rules/heart-failure-guideline.yaml")

    static func processorWithRules(in directory: URL) throws -> JournalProcessor {
        var processor = try TestCohort.processor(in: directory)
        processor.rules = RuleEngine(
            ruleSet: try RuleFile.load(from: ruleFile), defaultZone: TimeZone(identifier: "Europe/Copenhagen")!)
        return processor
    }

    /// A month of morning weights around 80 kg ending in a gain of 2.4 kg against the middle of
    /// the 3 days before, held the next morning (+2.6 kg against its own 3 days), as CSV rows.
    static func monthWithGain(serial: String = "HV10-00017") -> [String] {
        let noise = [
            0.0, 0.2, -0.1, 0.1, -0.2, 0.0, 0.1, -0.1, 0.2, 0.0, -0.1, 0.1, 0.0, -0.2, 0.1, 0.0, 0.2, -0.1, 0.0, 0.1,
            -0.1, 0.0, 0.1, -0.2, 0.0, 0.1, 0.0,
        ]
        var rows = noise.enumerated().map { day, delta in
            String(format: "%@,weight,%.1f,kg,2026-10-%02d 07:05:00", serial, 80.0 + delta, day + 1)
        }
        rows += [
            "\(serial),weight,80.2,kg,2026-10-28 07:05:00", "\(serial),weight,80.4,kg,2026-10-29 07:05:00",
            "\(serial),weight,82.6,kg,2026-10-30 07:05:00", "\(serial),weight,83.0,kg,2026-10-31 07:05:00",
        ]
        return rows
    }

    /// The default set: the personal rule with the absolute limits as safety nets.
    static let personalRuleFile = Paths.packageRoot.appendingPathComponent("rules/heart-failure.yaml")

    /// One morning of patient P-0001: the scale (HV10-00017) at 07:00, the monitor (BP7-0042) at 07:10.
    struct Morning {
        var date: String
        var weight: Double
        var pulse: Int
        var systolic: Int
    }

    /// `mornings` imported as the CSV `file` and processed through the default rule set.
    static func imported(_ mornings: [Morning], as file: String, in directory: URL) throws -> JournalProcessor {
        var processor = try TestCohort.processor(in: directory)
        processor.rules = RuleEngine(
            ruleSet: try RuleFile.load(from: personalRuleFile), defaultZone: TimeZone(identifier: "Europe/Copenhagen")!)
        let rows = mornings.flatMap { morning in
            [
                String(format: "HV10-00017,weight,%.1f,kg,%@ 07:00:00", morning.weight, morning.date),
                "BP7-0042,pulse,\(morning.pulse),bpm,\(morning.date) 07:10:00",
                "BP7-0042,systolic,\(morning.systolic),mmHg,\(morning.date) 07:10:00",
            ]
        }
        try processor.store.journal(
            .import,
            messages: rows.enumerated().map { ("import/\(file)/line/\($0.offset + 2)", Data($0.element.utf8)) })
        while try !processor.processPending(limit: 1000, source: .import).isEmpty {}
        return processor
    }

    @Test("the shipped rule files load, every rule cites a source, and between them every rule kind is used")
    func shippedRuleFile() throws {
        let ruleSet = try RuleFile.load(from: Self.ruleFile)
        let personal = try RuleFile.load(from: Self.personalRuleFile)
        #expect(ruleSet.version >= 1)
        #expect(Set((ruleSet.rules + personal.rules).map(\.kind)) == Set(RuleKind.allCases))
        #expect((ruleSet.rules + personal.rules).allSatisfy { !$0.source.isEmpty })
        #expect(personal.rules.contains { $0.kind == .personal })
        let systolic = try #require(ruleSet.rules.first { $0.id == "systolic-range" })
        #expect(systolic.parameters == ["yellowBelow": 90, "yellowAbove": 160, "redBelow": 80, "redAbove": 170])
    }

    @Test(
        "a broken rule file is refused with the line and the field",
        arguments: [
            ("kind: change", "kind: chnage", 12, "rules.0.kind", "found 'chnage'"),
            (
                "      redGain: 2.0   ", "      redGian: 2.0   ", 18, "rules.0.parameters.redGian",
                "is not a parameter of a change rule"
            ),
            ("      days: 3\n", "      days: -3\n", 17, "rules.0.parameters.days", "expected a number above 0"),
            (
                "measurement: weight\n    dailyValue: morning            # one",
                "measurement: wieght\n    dailyValue: morning            # one", 14, "rules.0.measurement",
                "found 'wieght'"
            ),
            ("version: 2", "version: two", 7, "version", "expected a whole number"),
        ])
    func brokenRuleFile(original: String, replacement: String, line: Int, field: String, expected: String) throws {
        let text = try String(contentsOf: Self.ruleFile, encoding: .utf8)
        let broken = text.replacingOccurrences(of: original, with: replacement)
        #expect(broken != text, "the test's edit did not apply")
        do {
            _ = try RuleFile.load(yaml: broken, file: "rules/heart-failure-guideline.yaml")
            Issue.record("the broken rule file was accepted")
        } catch {
            let problem = error.errors.first { $0.field == field }
            #expect(problem != nil, "errors: \(error.errors)")
            #expect(problem?.line == line, "\(String(describing: problem))")
            #expect(problem?.expected.contains(expected) == true, "\(String(describing: problem))")
            #expect(
                problem?.description.hasPrefix("rules/heart-failure-guideline.yaml:\(line): field '\(field)'") == true)
        }
    }

    @Test(
        "a problem is shared by clinical rules only, and is not another rule's id",
        arguments: [
            ("missing-weight", "mixes missing-data and clinical rules"),
            ("pulse-range", "is another rule's id"),
            ("two words", "expected a name without spaces"),
        ])
    func problemNames(problem: String, expected: String) throws {
        let text = """
            ruleSet: test
            version: 1
            rules:
              - id: pulse-range
                kind: range
                measurement: pulse
                parameters: {redAbove: 110}
                source: BEAT-HF
              - id: weight-gain-3d
                kind: change
                measurement: weight
                problem: \(problem)
                parameters: {days: 3, redGain: 2.0}
                source: ESC
              - id: missing-weight
                kind: missing
                measurement: weight
                parameters: {dailyPhaseDays: 14, dailyMaxGapDays: 2, laterMaxGapDays: 7}
                source: plan
            """
        do {
            _ = try RuleFile.load(yaml: text, file: "rules.yaml")
            Issue.record("the rule file was accepted")
        } catch {
            #expect(error.errors.contains { $0.expected.contains(expected) }, "errors: \(error.errors)")
        }
        // The same file with a problem of its own loads.
        let fine = try RuleFile.load(
            yaml: text.replacingOccurrences(of: "problem: \(problem)", with: "problem: worsening"), file: "rules.yaml")
        #expect(fine.rules.map(\.problem) == ["pulse-range", "worsening", "missing-weight"])
    }

    @Test("a reading is stored with its flags in one transaction, and the flag says why in numbers")
    func flagsWithReadings() async throws {
        try await withTemporaryDirectory { directory in
            let processor = try Self.processorWithRules(in: directory)
            let payload =
                #"{"sn": "BP7-0042", "seq": 77, "time_ms": 1795155641000, "sys": 76, "dia": 50, "pulse": 68, "unit": "mmHg"}"#
            let results = try processor.ingest("telekit/BP7-0042/bp7", payload)
            #expect(results.first?.outcome == .stored)
            let flags = try processor.store.flags(patientID: "P-0001", state: .open)
            #expect(flags.map(\.ruleID) == ["systolic-range"])
            #expect(flags.first?.severity == .red)
            #expect(flags.first?.explanation == "systolic BP 76 mmHg on 20 Nov is below the red limit 80 mmHg")
            #expect(flags.first?.readingIDs == results.first?.storedReadings.filter { $0.kind == .systolic }.map(\.id))
        }
    }

    @Test(
        "importing a month with a weight gain held on two mornings gives exactly one open red weight flag that explains it, overdue after a working day"
    )
    func importedGain() async throws {
        try await withTemporaryDirectory { directory in
            // Imported on Tuesday 1 December 2026 at 09:00 in Copenhagen.
            let importedAt = TestCohort.now
            let database = TeleIngestDatabase("import.sqlite", in: directory, now: importedAt)
            func run(_ arguments: [String], at now: Date = importedAt) throws -> String {
                try database.run(arguments, at: now)
            }
            try database.addPatientOne(
                serial: "HV10-00017", monitoringStart: "2026-10-01T00:00:00+02:00", pairedFrom: "2026-09-01T00:00:00Z")
            let csv = directory.appendingPathComponent("month.csv")
            try ([ImportRowDecoder.header] + Self.monthWithGain()).joined(separator: "\n").write(
                to: csv, atomically: true, encoding: .utf8)
            #expect(try run(["import", csv.path]).contains("31 stored"))
            // The import runs in the temporary folder: the shipped rule set is found from the binary.
            struct Row: Decodable { var flag: PatientFlag; var overdue: Bool }
            func openFlags(at now: Date) throws -> [Row] {
                let output = try run(["flags", "--patient", "P-0001", "--state", "open", "--json"], at: now)
                return try JSONDecoder.iso8601.decode([Row].self, from: Data(output.utf8))
            }
            let rows = try openFlags(at: importedAt)
            let flags = rows.map(\.flag)
            let red = flags.filter { $0.severity == .red && $0.measurement == .weight }
            #expect(red.count == 1)
            #expect(red.first?.ruleID == "weight-gain-3d")
            #expect(red.first?.problem == "worsening")
            #expect(
                red.first?.explanation
                    == "weight +2.6 kg in 2 days: 80.4 kg (29 Oct) → 83.0 kg (31 Oct); red above +2.0 kg in 3 days; also on 30 Oct (+2.4 kg)"
            )
            #expect((red.first?.readingIDs.count ?? 0) >= 3, "the weighings of 29, 30 and 31 Oct at least")
            let openedAt = try #require(red.first?.openedAt)
            #expect(abs(openedAt.timeIntervalSince(importedAt)) < 60, "opened at \(openedAt), by the import's clock")
            // Red is overdue after one working day unacknowledged: not yet on Wednesday morning,
            // overdue on Thursday morning (docs/RULES.md; rules.overdue.redWorkingDays).
            #expect(rows.allSatisfy { !$0.overdue }, "nothing is overdue the moment it opens")
            let wednesday = try Date("2026-12-02T09:00:00+01:00", strategy: .iso8601)
            let thursday = try Date("2026-12-03T09:00:00+01:00", strategy: .iso8601)
            #expect(try openFlags(at: wednesday).first { $0.flag.id == red.first?.id }?.overdue == false)
            let late = try openFlags(at: thursday)
            #expect(late.first { $0.flag.id == red.first?.id }?.overdue == true)
            #expect(late.count == rows.count)
        }
    }

    @Test("with the default rule set, a weight ramp with a pulse rise is one flag that explains both in numbers")
    func personalRampImported() async throws {
        try await withTemporaryDirectory { directory in
            // Four quiet weeks (80 kg, pulse 64, 120/75), then three mornings 1.2 kg heavier with
            // the pulse 10 beats higher: no rule of thumb fires, the patient's own normal does.
            let mornings = (1...31).map { day in
                let late = day >= 29
                let wobble = day % 2 == 0 ? 0.1 : -0.1
                return Morning(
                    date: String(format: "2026-10-%02d", day), weight: 80 + wobble + (late ? 1.2 : 0),
                    pulse: late ? 74 : 64 + Int(wobble * 10), systolic: 120 - Int(wobble * 10))
            }
            let processor = try Self.imported(mornings, as: "ramp.csv", in: directory)
            let flags = try processor.store.flags(patientID: "P-0001", state: .open)
            #expect(flags.map(\.ruleID) == ["personal-deviation"], "\(flags.map(\.explanation))")
            let flag = try #require(flags.first)
            #expect(flag.severity == .yellow)
            #expect(flag.explanation.hasPrefix("morning pulse +10 bpm: 74 bpm over 3 days against a usual 64 bpm"))
            #expect(flag.explanation.contains("weight +1.2 kg: 81.2 kg over 3 days against a usual 80.0 kg"))
            #expect(flag.explanation.hasSuffix("yellow from 3.9"))
        }
    }

    @Test(
        "with the default rule set, a small rise that lasts, below the 3-day mean's limit every day, adds up to one flag"
    )
    func smallLastingRiseImported() async throws {
        try await withTemporaryDirectory { directory in
            // Six quiet weeks (80 kg, pulse 64, 120/75), then twelve mornings 0.6 kg heavier with
            // the pulse 5 beats higher: about 3.2 usual variations a day, under the 3-day mean's
            // 3.9, but 1.45 over the slack every day, past 9 within a week.
            let first = LocalDay(iso: "2026-09-20")!
            let mornings = (0..<42).map { offset in
                let late = offset >= 30
                let wobble = offset % 2 == 0 ? 0.1 : -0.1
                return Morning(
                    date: first.adding(days: offset).description, weight: 80 + wobble + (late ? 0.6 : 0),
                    pulse: 64 + Int(wobble * 10) + (late ? 5 : 0), systolic: 120 - Int(wobble * 10))
            }
            let processor = try Self.imported(mornings, as: "slow.csv", in: directory)
            let flags = try processor.store.flags(patientID: "P-0001")
            #expect(flags.map(\.ruleID) == ["personal-accumulation"], "\(flags.map(\.explanation))")
            let flag = try #require(flags.first)
            #expect(flag.severity == .yellow)
            #expect(flag.alsoSeenBy.isEmpty, "the 3-day mean stays under its limit")
            #expect(flag.explanation.contains("accumulated over"), "\(flag.explanation)")
            #expect(flag.explanation.hasSuffix("yellow from 9.0"), "\(flag.explanation)")
        }
    }

    @Test(
        "a steeper ramp that the 3-day safety net also sees is still one flag: red, naming the confirmed gain, the patient's own normal beside it"
    )
    func steepRampImported() async throws {
        try await withTemporaryDirectory { directory in
            let ramp = [29: 81.0, 30: 82.2, 31: 83.2]
            let mornings = (1...31).map { day in
                let wobble = day % 2 == 0 ? 0.1 : -0.1
                return Morning(
                    date: String(format: "2026-10-%02d", day), weight: ramp[day] ?? 80 + wobble,
                    pulse: ramp[day] == nil ? 64 + Int(wobble * 10) : 74, systolic: 120 - Int(wobble * 10))
            }
            let processor = try Self.imported(mornings, as: "steep.csv", in: directory)
            let flags = try processor.store.flags(patientID: "P-0001")
            #expect(flags.count == 1, "\(flags.map(\.explanation))")
            let flag = try #require(flags.first)
            #expect(flag.problem == "worsening")
            #expect(flag.severity == .red)
            #expect(flag.ruleID == "weight-gain-3d")
            #expect(
                flag.explanation
                    == "weight +2.2 kg in 2 days: 81.0 kg (29 Oct) → 83.2 kg (31 Oct); red above +2.0 kg in 3 days; also on 30 Oct (+2.1 kg)"
            )
            // Both personal rules see it: the 3-day mean, and the two weeks' sum that three such
            // mornings fill.
            #expect(flag.alsoSeenBy.map(\.ruleID) == ["personal-accumulation", "personal-deviation"])
            let mean = flag.alsoSeenBy.first { $0.ruleID == "personal-deviation" }
            #expect(mean?.explanation.contains("morning pulse +10 bpm") == true)
            let sum = flag.alsoSeenBy.first { $0.ruleID == "personal-accumulation" }
            #expect(sum?.explanation.contains("accumulated over") == true, "\(sum?.explanation ?? "")")
        }
    }

    @Test("schema v8 keeps every personal setting made before it, still append-only, and takes measurement plans")
    func migrationToV8() throws {
        let queue = try DatabaseQueue()
        let v7 = "v7: one open flag per problem, with the evidence it rests on"
        try Schema.migrator.migrate(queue, upTo: v7)
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO patient (id, name, cpr, time_zone, created_at) VALUES ('P-0001', 'Test Patient', NULL, 'Europe/Copenhagen', 0);
                    INSERT INTO personal_setting (patient_id, kind, rule_id, parameter, value, valid_from, reason, set_by, set_at, open_flags)
                    VALUES ('P-0001', 'limit', 'systolic-range', 'yellowBelow', 82, 5, 'Habitually low', 'dr.berg', 5, '[]');
                    """)
            #expect(throws: DatabaseError.self) {
                try db.execute(
                    sql: """
                        INSERT INTO personal_setting (patient_id, kind, value, valid_from, reason, set_by, set_at, open_flags)
                        VALUES ('P-0001', 'plan', 3, 6, 'agreed', 'nurse', 6, '[]')
                        """)
            }
        }
        try Schema.migrator.migrate(queue)
        try queue.write { db in
            let kept = try Row.fetchAll(db, sql: "SELECT id, kind, rule_id, value, reason FROM personal_setting")
            #expect(kept.count == 1)
            #expect(kept.first?["reason"] == "Habitually low" && kept.first?["value"] == 82.0)
            try db.execute(
                sql: """
                    INSERT INTO personal_setting (patient_id, kind, value, valid_from, reason, set_by, set_at, open_flags)
                    VALUES ('P-0001', 'plan', 3, 6, 'agreed', 'nurse', 6, '[]')
                    """)
            #expect(throws: DatabaseError.self) { try db.execute(sql: "DELETE FROM personal_setting") }
            #expect(throws: DatabaseError.self) { try db.execute(sql: "UPDATE personal_setting SET value = 1") }
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM personal_setting") == 2)
        }
    }

    @Test("thresholds propose suggests a personal limit from the patient's own readings and changes nothing")
    func proposeLimits() async throws {
        try await withTemporaryDirectory { directory in
            let database = TeleIngestDatabase(
                "propose.sqlite", in: directory, now: try Date("2026-11-29T12:00:00+01:00", strategy: .iso8601))
            func run(_ arguments: [String]) throws -> String { try database.run(arguments) }
            try database.addPatientOne(
                serial: "BP7-0042", monitoringStart: "2026-11-01T00:00:00+01:00", pairedFrom: "2026-11-01T00:00:00Z")
            let systolic = [88, 92, 95, 90, 86, 93, 91]
            let rows = (2...28).map { day in
                String(format: "BP7-0042,systolic,%d,mmHg,2026-11-%02d 07:10:00", systolic[day % systolic.count], day)
            }
            let csv = directory.appendingPathComponent("low.csv")
            try ([ImportRowDecoder.header] + rows).joined(separator: "\n").write(
                to: csv, atomically: true, encoding: .utf8)
            _ = try run(["import", csv.path])
            // Proposals move yellow limits: the guideline set has them (the default keeps red safety nets only).
            let config = directory.appendingPathComponent("guideline.yaml")
            try "rules: {file: \"\(Self.ruleFile.path)\"}\n".write(to: config, atomically: true, encoding: .utf8)
            let output = try run(["thresholds", "propose", "--patient", "P-0001", "--config", config.path])
            #expect(output.contains("systolic-range yellowBelow: 90 → 82"), "\(output)")
            #expect(output.contains("to accept: tele-ingest thresholds set --patient P-0001 --rule systolic-range"))
            #expect(try run(["thresholds", "--patient", "P-0001"]).contains("no personal settings"))
        }
    }

    @Test("a cardiologist's personal limit changes what fires from that moment on, and is audited")
    func personalLimit() async throws {
        try await withTemporaryDirectory { directory in
            let processor = try Self.processorWithRules(in: directory)
            let store = processor.store
            func systolic(_ seq: Int, _ value: Int, _ time: String) throws {
                let ms = Int64(try Date(time, strategy: .iso8601).timeIntervalSince1970 * 1000)
                let payload =
                    #"{"sn": "BP7-0042", "seq": \#(seq), "time_ms": \#(ms), "sys": \#(value), "dia": 60, "unit": "mmHg"}"#
                try processor.ingest("telekit/BP7-0042/bp7", payload)
            }
            try systolic(1, 86, "2026-11-02T07:00:00+01:00")
            let first = try #require(try store.flags(patientID: "P-0001", state: .open).first)
            #expect(first.ruleID == "systolic-range")
            try store.acknowledge(
                flagID: first.id, by: Clinician(name: "nurse.hansen", role: .nurse),
                comment: "Called; he always runs low, feels well")
            let record = try store.addPersonalSetting(
                patientID: "P-0001",
                PersonalSetting(
                    .limit(ruleID: "systolic-range", parameter: "yellowBelow", value: 82),
                    validFrom: try Date("2026-11-05T12:00:00Z", strategy: .iso8601)),
                reason: "Habitually low BP, asymptomatic", by: Clinician(name: "dr.berg", role: .cardiologist),
                ruleSet: processor.rules?.evaluator.ruleSet)
            #expect(record.setBy == "dr.berg")
            #expect(record.openFlagIDs.isEmpty)
            try systolic(2, 86, "2026-11-06T07:00:00+01:00")  // above the personal 82: quiet
            #expect(try store.flags(patientID: "P-0001", state: .open).isEmpty)
            try systolic(3, 81, "2026-11-07T07:00:00+01:00")  // below it: yellow, says personal
            let flag = try #require(try store.flags(patientID: "P-0001", state: .open).first)
            #expect(
                flag.explanation == "systolic BP 81 mmHg on 7 Nov is below the yellow limit 82 mmHg (personal limit)")
            let audit = try store.personalSettings(patientID: "P-0001")
            #expect(audit.map(\.reason) == ["Habitually low BP, asymptomatic"])
            // The audit trail is append-only.
            #expect(throws: DatabaseError.self) {
                try store.database.write { try $0.execute(sql: "DELETE FROM personal_setting") }
            }
            #expect(throws: DatabaseError.self) {
                try store.database.write { try $0.execute(sql: "UPDATE personal_setting SET value = 60") }
            }
            #expect(throws: StoreError.self) {
                try store.addPersonalSetting(
                    patientID: "P-0001",
                    PersonalSetting(
                        .limit(ruleID: "systolic-range", parameter: "lowerLimit", value: 1), validFrom: TestCohort.now),
                    reason: "typo", by: Clinician(name: "dr.berg", role: .cardiologist),
                    ruleSet: processor.rules?.evaluator.ruleSet)
            }
        }
    }

    @Test("a flag raised before a late reading arrived is withdrawn in the store, and kept for the record")
    func withdrawnInStore() async throws {
        try await withTemporaryDirectory { directory in
            let processor = try Self.processorWithRules(in: directory)
            func systolic(_ seq: Int, _ value: Int, _ day: Int) throws {
                let ms = Int64(
                    try Date(String(format: "2026-11-%02dT07:00:00+01:00", day), strategy: .iso8601)
                        .timeIntervalSince1970 * 1000)
                let payload =
                    #"{"sn": "BP7-0042", "seq": \#(seq), "time_ms": \#(ms), "sys": \#(value), "dia": 70, "unit": "mmHg"}"#
                try processor.ingest("telekit/BP7-0042/bp7", payload)
            }
            // Three low readings on the 10th, 12th and 14th: 3 of the last 5 below 90.
            for (seq, day) in [(1, 10), (2, 12), (3, 14)] { try systolic(seq, 86, day) }
            #expect(try processor.store.flags(state: .open).contains { $0.ruleID == "systolic-low-persistent" })
            // The gateway delivers the 11th and 13th late: normal pressures; now 3 of 5 still low.
            try systolic(4, 120, 11)
            #expect(try processor.store.flags(state: .open).contains { $0.ruleID == "systolic-low-persistent" })
            // And three more normal days before the 14th: the 14th's window holds one low reading.
            for (seq, day) in [(5, 13), (6, 13)] { try systolic(seq, day == 13 && seq == 6 ? 121 : 122, day) }
            let flags = try processor.store.flags()
            #expect(!flags.contains { $0.ruleID == "systolic-low-persistent" && $0.state == .open })
            let withdrawn = try #require(flags.first { $0.ruleID == "systolic-low-persistent" })
            #expect(withdrawn.state == .withdrawn)
            #expect(withdrawn.closeComment == "withdrawn: late readings showed the rule does not fire")
        }
    }

    @Test("acknowledging: a red flag needs a comment, an escalated flag waits for the cardiologist")
    func acknowledging() async throws {
        try await withTemporaryDirectory { directory in
            let processor = try Self.processorWithRules(in: directory)
            let payload =
                #"{"sn": "BP7-0042", "seq": 1, "time_ms": 1795155641000, "sys": 76, "dia": 50, "pulse": 120, "unit": "mmHg"}"#
            try processor.ingest("telekit/BP7-0042/bp7", payload)
            let flags = try processor.store.flags(state: .open)
            #expect(flags.count == 2)
            let systolic = try #require(flags.first { $0.ruleID == "systolic-range" })
            #expect(throws: StoreError.self) {
                try processor.store.acknowledge(
                    flagID: systolic.id, by: Clinician(name: "nurse", role: .nurse), comment: " ")
            }
            let closed = try processor.store.acknowledge(
                flagID: systolic.id, by: Clinician(name: "nurse.hansen", role: .nurse), comment: "Called, GP informed")
            #expect(closed.state == .closed)
            #expect(closed.closedBy == "nurse.hansen")
            let pulse = try #require(flags.first { $0.ruleID == "pulse-range" })
            try processor.store.database.write {
                try $0.execute(sql: "UPDATE flag SET state = 'escalated' WHERE id = ?", arguments: [pulse.id])
            }
            #expect {
                try processor.store.acknowledge(
                    flagID: pulse.id, by: Clinician(name: "nurse", role: .nurse), comment: "x")
            } throws: {
                "\($0)".contains("escalated")
            }
        }
    }

    @Test("missing-data rules fire on the clock for a patient who stopped measuring")
    func missingData() async throws {
        try await withTemporaryDirectory { directory in
            let processor = try Self.processorWithRules(in: directory)
            let store = processor.store
            try store.journal(
                .mqtt, topic: "telekit/HV10-00017/hv10", payload: Data(JournalProcessorTests.weighing.utf8))
            try processor.processPending()
            let rules = try #require(processor.rules)
            let now = try Date("2026-12-01T09:00:00+01:00", strategy: .iso8601)
            let outcome = try store.database.write { db in try rules.evaluateMissingData(store: store, db: db, now: now)
            }
            #expect(outcome.opened.map(\.ruleID).sorted() == ["missing-blood-pressure", "missing-weight"])
            let weight = try #require(try store.flags(patientID: "P-0001").first { $0.ruleID == "missing-weight" })
            #expect(weight.explanation.hasPrefix("no weight since 20 Nov (11 days)"))
            // Run again: the same flags, not new ones.
            _ = try store.database.write { db in try rules.evaluateMissingData(store: store, db: db, now: now) }
            #expect(try store.flags(patientID: "P-0001").count == 2)
        }
    }

    @Test("rules apply --dry-run reports what would open and changes nothing; without it, it opens them")
    func applyDryRun() async throws {
        try await withTemporaryDirectory { directory in
            let processor = try TestCohort.processor(in: directory)  // stored without rules
            try processor.store.journal(
                .import,
                messages: Self.monthWithGain().enumerated().map {
                    ("import/m.csv/line/\($0.offset + 2)", Data($0.element.utf8))
                })
            try processor.processPending(source: .import)
            #expect(try processor.store.flags().isEmpty)
            let db = processor.store.path
            let dry = try teleIngest(["rules", "apply", Self.ruleFile.path, "--dry-run", "--db", db], in: directory)
            #expect(dry.status == 0, "\(dry.output)")
            #expect(dry.output.contains("would open"))
            #expect(dry.output.contains("1 × weight-gain-3d (red)"))
            #expect(dry.output.contains("nothing was changed"))
            #expect(try processor.store.flags().isEmpty)
            let real = try teleIngest(["rules", "apply", Self.ruleFile.path, "--db", db], in: directory)
            #expect(real.status == 0, "\(real.output)")
            #expect(try processor.store.flags().contains { $0.ruleID == "weight-gain-3d" && $0.severity == .red })
            // Applying again opens nothing new: one open flag per rule.
            let again = try teleIngest(["rules", "apply", Self.ruleFile.path, "--db", db], in: directory)
            #expect(again.output.contains("opened 0 flags"))
        }
    }
}
