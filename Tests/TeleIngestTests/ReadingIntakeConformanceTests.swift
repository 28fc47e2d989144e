import DevicePayloads
import Foundation
import GRDB
import MonitoringRecords
import PostgresStore
import ReadingIntake
import StoreInterface
import TelekitSimulation
import Testing
import ThresholdRules
import Vitals

@testable import TeleIngest

/// The ingest side of a backend, as the conformance tests drive it: journal a batch, process
/// what waits, reprocess the quarantine, and read back what became of it.
struct IntakeUnderTest: Sendable {
    var registry: any StoreUnderTest
    /// The same store as the console sees it.
    var followUp: any FollowUpStore
    /// The same store's retention of raw payloads.
    var retention: any JournalRetention
    /// The same store's erasure of one patient's data.
    var erasure: any PatientErasure
    /// Raw SQL on the same database behind the store's back (what the database itself refuses).
    var sql: @Sendable (_ statement: String) async throws -> Void
    var journal:
        @Sendable (_ source: MessageSource, _ messages: [(topic: String, payload: Data)], _ receivedAt: Date)
            async throws
            -> Void
    /// One batch of at most `limit` messages, read and decided `chunk` at a time.
    var process: @Sendable (_ limit: Int, _ chunk: Int) async throws -> [MessageResult]
    var reprocess: @Sendable () async throws -> [MessageResult]
    var readings: @Sendable (_ patientID: PatientID) async throws -> [StoredReading]
    var latestValues: @Sendable () async throws -> [PatientID: [ReadingKind: LatestValue]]
    var quarantine: @Sendable () async throws -> [QuarantineEntry]
    var outcomes: @Sendable () async throws -> [JournalOutcome: Int]
    /// What `tele-ingest status` reports: the journal backlog and the waiting quarantine by reason.
    var report: @Sendable () async throws -> ServiceReport
    var flags: @Sendable () async throws -> [PatientFlag]
    /// Open and escalated flags by severity, as the worker's metrics count them.
    var openFlagCounts: @Sendable () async throws -> [String: Int]
    /// `tele-ingest rules apply` from the beginning: every patient re-evaluated.
    var reevaluate: @Sendable (_ rules: RuleEngine, _ dryRun: Bool) async throws -> RuleEngine.Outcome
    /// The clock-driven missing-data check at `now`, with reminders.
    var checkMissingData: @Sendable (_ rules: RuleEngine, _ now: Date) async throws -> RuleEngine.Outcome

    /// Processes until nothing waits, `limit` messages per transaction, `chunk` at a time.
    func processAll(limit: Int = 500, chunk: Int = ReadingIntake.chunkSize) async throws -> [MessageResult] {
        var all: [MessageResult] = []
        while true {
            let batch = try await process(limit, chunk)
            if batch.isEmpty { return all }
            all += batch
        }
    }
}

/// Runs `body` with a fresh, empty store of `backend` behind its ingest side.
/// With `rules`, each batch runs them for the patients it stored readings for.
func withIntake<T>(_ backend: Backend, rules: RuleEngine? = nil, _ body: (IntakeUnderTest) async throws -> T)
    async throws -> T
{
    let zone = TimeZone(identifier: "Europe/Copenhagen")!
    let decoder = MessageDecoder(profiles: try TestCohort.profiles())
    let intake = ReadingIntake(decoder: decoder, futureTolerance: 300, defaultTimeZone: zone)
    let clock = WallClock.fixed(TestCohort.now)
    switch backend {
    case .sqlite:
        return try await withTemporaryDirectory { directory in
            let store = try MonitoringStore(path: directory.appendingPathComponent("store.sqlite").path, clock: clock)
            var processor = JournalProcessor(
                store: store, decoder: decoder, futureTolerance: 300, defaultTimeZone: zone)
            processor.rules = rules
            let configured = processor
            return try await body(
                IntakeUnderTest(
                    registry: store, followUp: store, retention: store, erasure: store,
                    sql: { statement in try store.database.write { try $0.execute(sql: statement) } },
                    journal: { try store.journal($0, messages: $1, receivedAt: $2) },
                    process: { try configured.processBatch(limit: $0, chunk: $1).results },
                    reprocess: { try configured.reprocessQuarantine() },
                    readings: { try store.readings(patientID: $0) },
                    latestValues: { try store.latestValues() },
                    quarantine: { try store.quarantine(includeResolved: true) },
                    outcomes: { try store.journalOutcomes() }, report: { try store.serviceReport() },
                    flags: { try store.flags() }, openFlagCounts: { try store.openFlagCounts() },
                    reevaluate: { rules, dryRun in
                        var total = RuleEngine.Outcome()
                        for patient in try store.patients() {
                            total.add(
                                try rules.reevaluate(
                                    patientID: patient.id, from: .distantPast, in: store, dryRun: dryRun))
                        }
                        return total
                    },
                    checkMissingData: { try $0.checkMissingData(in: store, now: $1, reminders: true) }))
        }
    case .postgresql:
        return try await withPostgres { cluster in
            let location = try PostgresLocation(url: try cluster.createDatabase())
            return try await PostgresMonitoringStore.with(location, clock: clock) { store in
                try await body(
                    IntakeUnderTest(
                        registry: store, followUp: store, retention: store, erasure: store,
                        sql: { _ = try cluster.psql(location.database, $0) },
                        journal: { try await store.journal($0, messages: $1, receivedAt: $2) },
                        process: {
                            try await store.processBatch(limit: $0, chunk: $1, intake: intake, rules: rules).results
                        },
                        reprocess: { try await store.reprocessQuarantine(intake: intake, rules: rules) },
                        readings: { try await store.readings(patientID: $0) },
                        latestValues: { try await store.latestValues() },
                        quarantine: { try await store.quarantine(includeResolved: true) },
                        outcomes: { try await store.journalOutcomes() },
                        report: { try await store.serviceReport() }, flags: { try await store.flags() },
                        openFlagCounts: { try await store.openFlagCounts() },
                        reevaluate: { rules, dryRun in
                            var total = RuleEngine.Outcome()
                            for outcome in try await store.reevaluate(from: .distantPast, rules: rules, dryRun: dryRun)
                                .values
                            {
                                total.add(outcome)
                            }
                            return total
                        },
                        checkMissingData: { try await store.checkMissingData(rules: $0, now: $1, reminders: true) }))
            }
        }
    }
}

extension MonitoringStore {
    /// `latest_reading` as the fold `LatestValue` keeps it on other backends.
    func latestValues() throws -> [PatientID: [ReadingKind: LatestValue]] {
        try database.read { db in
            var values: [PatientID: [ReadingKind: LatestValue]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM latest_reading") {
                guard let kind = ReadingKind(rawValue: row["kind"]) else { continue }
                values[row["patient_id"], default: [:]][kind] = LatestValue(
                    readingID: row["reading_id"], measuredAt: row["measured_at"], value: row["value"],
                    week: row["week"], weekDays: row["week_days"], previousValue: row["previous_value"],
                    previousAt: row["previous_at"])
            }
            return values
        }
    }
}

/// One behaviour on every backend: the journal becomes readings, latest values and quarantine
/// entries by the same decisions (`ReadingIntake`), whichever store holds them.
@Suite struct ReadingIntakeConformanceTests {
    static func at(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    /// The shipped rule set (`rules/heart-failure.yaml`), days in Copenhagen.
    static func defaultRules() throws -> RuleEngine {
        RuleEngine(
            ruleSet: try RuleFile.load(from: Paths.packageRoot.appendingPathComponent("rules/heart-failure.yaml")),
            defaultZone: TimeZone(identifier: "Europe/Copenhagen")!)
    }

    static let handover = at("2026-11-10T12:00:00Z")

    /// Test Patient One (Copenhagen) with the sample devices, Test Patient Two, a patient in
    /// Nuuk with a blood-pressure monitor sending local times, and a scale handed over from
    /// Patient Two to Patient One.
    static func register(_ registry: any StoreUnderTest) async throws {
        try await registry.addPatient(
            id: "P-0001", name: "Test Patient One", cpr: "000101-0001", timeZone: "Europe/Copenhagen",
            monitoringStart: TestCohort.pairedFrom)
        try await registry.addPatient(
            id: "P-0002", name: "Test Patient Two", cpr: "000202-0002", timeZone: "Europe/Copenhagen",
            monitoringStart: TestCohort.pairedFrom)
        try await registry.addPatient(
            id: "P-NUUK", name: "Test Patient Abroad", cpr: nil, timeZone: "America/Nuuk",
            monitoringStart: TestCohort.pairedFrom)
        for serial: DeviceSerial in ["HV10-00017", "SC300-A1", "BP7-0042"] {
            try await registry.pair(serial: serial, patientID: "P-0001", from: TestCohort.pairedFrom)
        }
        try await registry.pair(serial: "K2-5555", patientID: "P-NUUK", from: TestCohort.pairedFrom)
        try await registry.pair(serial: "HV10-77777", patientID: "P-0002", from: TestCohort.pairedFrom)
        try await registry.unpair(serial: "HV10-77777", at: handover)
        try await registry.pair(serial: "HV10-77777", patientID: "P-0001", from: handover)
    }

    static func weighing(_ id: String, _ time: String, _ kg: Double, serial: String = "HV10-00017") -> (
        topic: String, payload: Data
    ) {
        (
            "telekit/\(serial)/hv10",
            Data(
                #"{"serial": "\#(serial)", "msg_id": "\#(id)", "measured": "\#(time)", "weight": \#(kg), "unit": "kg"}"#
                    .utf8)
        )
    }

    static func message(_ topic: String, _ payload: String) -> (topic: String, payload: Data) {
        (topic, Data(payload.utf8))
    }

    static let scale = message("telekit/SC300-A1/sc300", #"{"device": "SC300-A1", "t": 1795155123, "w_lb": 181.7}"#)
    static let pressure = message(
        "telekit/BP7-0042/bp7",
        #"{"sn": "BP7-0042", "seq": 1, "time_ms": 1795155641000, "sys": 128, "dia": 79, "pulse": 66, "unit": "mmHg"}"#)

    /// A stream with every way a message can go, in three deliveries.
    static let deliveries: [(receivedAt: Date, messages: [(topic: String, payload: Data)])] = [
        (
            at("2026-11-20T08:00:00Z"),
            [
                weighing("m-1", "2026-11-20T07:12:03+01:00", 82.4),
                weighing("m-1", "2026-11-20T07:12:03+01:00", 82.4),  // redelivered within the batch
                scale,  // no message id: device, kind and time are the key
                pressure,  // three readings in one message
                message(
                    "telekit/K2-5555/k2",
                    #"{"serial": "K2-5555", "local_time": "2026-11-19 07:12:03", "systolic_kpa": 17.1, "diastolic_kpa": 10.5}"#
                ),
                weighing("n1", "2026-11-12T07:00:00+01:00", 90.1, serial: "HV10-77777"),
                weighing("o1", "2026-11-09T07:00:00+01:00", 71.5, serial: "HV10-77777"),  // the old patient's, arriving late
                weighing("u-1", "2026-11-19T07:00:00+01:00", 77.0, serial: "HV10-NEW01"),  // not registered yet
                weighing("f-1", "2026-11-20T09:10:00+01:00", 82.0),  // 70 minutes after it arrived
                message("telekit/SC300-A1/sc300", #"{"device": "SC300-A1", "t": 86400, "w_lb": 181.7}"#),  // 1970
                message("telekit/HV10-00017/hv10", "{\"serial\": "),
            ]
        ),
        (
            at("2026-11-21T08:00:00Z"),
            [
                weighing("m-1", "2026-11-20T07:12:03+01:00", 82.4),  // redelivered in a later batch
                weighing("m-1", "2026-11-20T07:12:03+01:00", 83.9),  // same id, another value
                message(
                    "telekit/BP7-0042/bp7",
                    #"{"sn": "BP7-0042", "seq": 1, "time_ms": 1795155641000, "sys": 128, "dia": 80, "pulse": 66, "unit": "mmHg"}"#
                ),
                weighing("m-0", "2026-11-18T07:00:00+01:00", 80.0),  // late, same week
                weighing("m-9", "2026-11-12T07:00:00+01:00", 79.0),  // late, the week before
                scale,
            ]
        ),
        (
            at("2026-11-25T08:00:00Z"),
            [weighing("m-2", "2026-11-24T07:00:00+01:00", 83.0)]  // a new week
        ),
    ]

    /// Everything the backend holds after the stream.
    struct Outcome: Equatable {
        var results: [[MessageResult]]
        var readings: [PatientID: [StoredReading]]
        var latest: [PatientID: [ReadingKind: LatestValue]]
        var quarantine: [QuarantineEntry]
        var outcomes: [JournalOutcome: Int]
        var report: ServiceReport
    }

    static func run(_ backend: Backend, limit: Int, chunk: Int) async throws -> Outcome {
        try await withIntake(backend) { intake in
            try await register(intake.registry)
            var results: [[MessageResult]] = []
            for delivery in deliveries {
                try await intake.journal(.mqtt, delivery.messages, delivery.receivedAt)
                results.append(try await intake.processAll(limit: limit, chunk: chunk))
            }
            // The unknown scale is registered and paired; the quarantine is run again.
            try await intake.registry.pair(serial: "HV10-NEW01", patientID: "P-0002", from: TestCohort.pairedFrom)
            results.append(try await intake.reprocess())
            var readings: [PatientID: [StoredReading]] = [:]
            for patient: PatientID in ["P-0001", "P-0002", "P-NUUK"] {
                readings[patient] = try await intake.readings(patient)
            }
            return Outcome(
                results: results, readings: readings, latest: try await intake.latestValues(),
                quarantine: try await intake.quarantine(), outcomes: try await intake.outcomes(),
                report: try await intake.report())
        }
    }

    @Test(
        "the same stream gives the same results, readings, latest values and quarantine on every backend, in batches of any size, decided in chunks of any size",
        arguments: zip(
            [1, 3, 500, 500, 5], [ReadingIntake.chunkSize, ReadingIntake.chunkSize, ReadingIntake.chunkSize, 1, 2]))
    func sameStream(limit: Int, chunk: Int) async throws {
        let sqlite = try await Self.run(.sqlite, limit: limit, chunk: chunk)
        let postgres = try await Self.run(.postgresql, limit: limit, chunk: chunk)
        #expect(postgres.results == sqlite.results)
        #expect(postgres.readings == sqlite.readings)
        #expect(postgres.latest == sqlite.latest)
        #expect(postgres.quarantine == sqlite.quarantine)
        #expect(postgres.outcomes == sqlite.outcomes)
        #expect(postgres.report == sqlite.report)
        #expect(
            sqlite.report.quarantine == [
                "clock_not_set": 1, "future_timestamp": 1, "malformed_json": 1, "conflicting_reading": 2,
            ])
        #expect(sqlite.report.journalBacklog == 0)

        // And what they agree on is what the stream should give.
        let first = try #require(sqlite.results.first)
        #expect(
            first.map(\.outcome) == [
                .stored, .duplicate, .stored, .stored, .stored, .stored, .stored, .quarantined, .quarantined,
                .quarantined, .quarantined,
            ])
        #expect(
            first.compactMap(\.rejection?.reason) == [.unknownDevice, .futureTimestamp, .clockNotSet, .malformedJSON])
        #expect(
            sqlite.results[1].map(\.outcome) == [.duplicate, .quarantined, .quarantined, .stored, .stored, .duplicate])
        #expect(sqlite.results[1].compactMap(\.rejection?.reason) == [.conflictingReading, .conflictingReading])
        #expect(sqlite.results[3].map(\.outcome) == [.stored] + Array(repeating: .quarantined, count: 5))
        #expect(sqlite.readings["P-0002"]?.map(\.value) == [71.5, 77.0])
        #expect(sqlite.readings["P-0001"]?.filter { $0.kind == .pulse }.map(\.value) == [66])
        let nuuk = try #require(sqlite.readings["P-NUUK"]?.first)
        #expect(nuuk.measuredAt == Self.at("2026-11-19T09:12:03Z"), "07:12 in Nuuk (UTC-2)")
        let weight = try #require(sqlite.latest["P-0001"]?[.weight])
        #expect(weight.value == 83.0)
        // Two scales weighed at the same second on the 20th; the one stored last counts.
        #expect(weight.previousValue == 181.7 * 0.45359237, "the newest weighing of the week before")
        #expect(weight.previousAt == Self.at("2026-11-20T06:12:03Z").millisecondsSince1970)
        #expect(weight.weekDays == 0b10, "Tuesday only in the new week")
        #expect(sqlite.quarantine.filter { $0.resolvedAt == nil }.allSatisfy { $0.attempts == 2 })
        #expect(sqlite.outcomes == [.stored: 10, .duplicate: 3, .quarantined: 5])
    }

    /// Two months of two patients, as CSV rows: Patient One's weight steady, then a steep gain
    /// with a pulse rise (29–31 October) and again in late November; Patient Two's systolic
    /// pressure high on a monitor of their own, above 170 at times.
    static func twoMonths() -> [String] {
        var rows: [String] = []
        let day = 86_400.0
        let start = at("2026-10-01T06:00:00Z")
        for index in 0..<60 {
            let date = start.addingTimeInterval(Double(index) * day)
            let time = date.formatted(.iso8601)
            let wobble = index % 2 == 0 ? 0.1 : -0.1
            let gain = [28: 1.0, 29: 2.4, 30: 3.4, 31: 3.2, 55: 1.1, 56: 2.0, 57: 2.6][index]
            rows.append(String(format: "HV10-00017,weight,%.1f,kg,%@", 80 + wobble + (gain ?? 0), time))
            rows.append("BP7-0042,pulse,\(gain == nil ? 64 + Int(wobble * 10) : 76),bpm,\(time)")
            rows.append("BP7-0042,systolic,\(120 - Int(wobble * 10)),mmHg,\(time)")
            let high = index % 9 == 4 || index % 9 == 5
            rows.append("BP7-0099,systolic,\(high ? 182 : 150 + index % 3),mmHg,\(time)")
        }
        return rows
    }

    /// The two months of `twoMonths()` through `backend` with the default rules, in batches of
    /// `limit` decided `chunk` at a time (shuffled when `limit` is above 5), in two deliveries
    /// with a personal limit set between them; the flags left.
    static func flags(_ backend: Backend, limit: Int, chunk: Int) async throws -> [PatientFlag] {
        let rules = try Self.defaultRules()
        var rows = Self.twoMonths().enumerated().map {
            ("import/two-months.csv/line/\($0.offset + 2)", Data($0.element.utf8))
        }
        if limit > 5 {
            // Late readings: every batch re-evaluates from its earliest new measurement.
            var generator = SeededGenerator(seed: UInt64(limit))
            rows.shuffle(using: &generator)
        }
        return try await withIntake(backend, rules: rules) { intake in
            try await Self.register(intake.registry)
            try await intake.registry.pair(serial: "BP7-0099", patientID: "P-0002", from: TestCohort.pairedFrom)
            let half = rows.count / 2
            try await intake.journal(.import, Array(rows[..<half]), Self.at("2026-12-01T07:00:00Z"))
            _ = try await intake.processAll(limit: limit, chunk: chunk)
            // The cardiologist lets Patient Two's pressure run higher from 1 November.
            try await intake.registry.addPersonalSetting(
                patientID: "P-0002",
                PersonalSetting(
                    .limit(ruleID: "systolic-range", parameter: "above", value: 190),
                    validFrom: Self.at("2026-11-01T00:00:00Z")),
                reason: "Runs high without symptoms", by: ClinicalRecordConformanceTests.cardiologist,
                ruleSet: rules.evaluator.ruleSet, at: nil)
            try await intake.journal(.import, Array(rows[half...]), Self.at("2026-12-01T07:30:00Z"))
            _ = try await intake.processAll(limit: limit, chunk: chunk)
            let flags = try await intake.flags()
            // The metrics' count of open flags agrees with the flags themselves.
            let open = flags.filter { $0.state == .open || $0.state == .escalated }
            #expect(
                try await intake.openFlagCounts()
                    == Dictionary(grouping: open, by: \.severity.rawValue).mapValues(\.count))
            return flags
        }
    }

    @Test(
        "with the rules, the same flags on every backend, flag by flag, in batches of any size and in any arrival order",
        arguments: [5, 7, 500])
    func sameFlags(limit: Int) async throws {
        func run(_ backend: Backend) async throws -> [PatientFlag] {
            try await Self.flags(backend, limit: limit, chunk: ReadingIntake.chunkSize)
        }
        let sqlite = try await run(.sqlite)
        let postgres = try await run(.postgresql)
        #expect(postgres == sqlite)
        #expect(Set(sqlite.map(\.patientID)) == ["P-0001", "P-0002"])
        #expect(
            sqlite.contains { $0.patientID == "P-0001" && $0.problem == "worsening" && $0.severity == .red },
            "\(sqlite.map(\.explanation))")
        #expect(sqlite.contains { $0.patientID == "P-0002" && $0.ruleID == "systolic-range" })
        #expect(
            sqlite.filter { $0.ruleID == "systolic-range" }.allSatisfy {
                $0.evidenceAt < Self.at("2026-11-01T00:00:00Z")
            }, "no pressure flag rests on a reading after the personal limit")
    }

    @Test(
        "rules apply on every backend: a dry run after ingest with the rules changes nothing; on readings stored without rules it opens the flags the ingest would have",
        arguments: Backend.allCases)
    func reevaluate(backend: Backend) async throws {
        let rules = try Self.defaultRules()
        let rows = Self.twoMonths().enumerated().map {
            ("import/two-months.csv/line/\($0.offset + 2)", Data($0.element.utf8))
        }
        /// What a standing flag says, without ids and times of writing.
        func standing(_ flags: [PatientFlag]) -> Set<String> {
            Set(
                flags.filter { $0.state == .open }.map {
                    "\($0.patientID) \($0.problem) \($0.ruleID) \($0.severity) \($0.evidenceAt) \($0.explanation)"
                })
        }
        func ingest(with engine: RuleEngine?) async throws -> (Set<String>, RuleEngine.Outcome) {
            try await withIntake(backend, rules: engine) { intake in
                try await Self.register(intake.registry)
                try await intake.registry.pair(serial: "BP7-0099", patientID: "P-0002", from: TestCohort.pairedFrom)
                try await intake.journal(.import, rows, Self.at("2026-12-01T07:00:00Z"))
                _ = try await intake.processAll(limit: 50)
                let before = standing(try await intake.flags())
                let outcome = try await intake.reevaluate(rules, engine != nil)
                let after = standing(try await intake.flags())
                if engine != nil { #expect(after == before, "a dry run changes nothing") }
                return (after, outcome)
            }
        }
        let (withRules, dryRun) = try await ingest(with: rules)
        #expect(!withRules.isEmpty)
        #expect(dryRun.opened.isEmpty && dryRun.withdrawn == 0, "\(dryRun.opened.map(\.explanation))")
        #expect(dryRun.evaluatedDays == 120, "60 days of two patients")
        let (applied, outcome) = try await ingest(with: nil)
        #expect(outcome.opened.count >= withRules.count)
        #expect(applied == withRules, "applied afterwards:\n\(applied.sorted())\nduring ingest:\n\(withRules.sorted())")
    }

    @Test("the missing-data check on every backend: the same flags and the same reminders, each reminder recorded once")
    func missingData() async throws {
        let rules = try Self.defaultRules()
        // Patient One's last weighing is on 19 November (the plan allows 7 days without one after
        // the first 14); the pressure goes on through 29 November.
        let rows = Self.twoMonths().filter { row in
            !(row.hasPrefix("HV10-00017") && row.contains("2026-11-2"))
        }
        .enumerated().map { ("import/two-months.csv/line/\($0.offset + 2)", Data($0.element.utf8)) }
        func run(_ backend: Backend) async throws -> [(RuleEngine.Outcome, [PatientFlag])] {
            try await withIntake(backend, rules: rules) { intake in
                try await Self.register(intake.registry)
                try await intake.registry.pair(serial: "BP7-0099", patientID: "P-0002", from: TestCohort.pairedFrom)
                try await intake.journal(.import, rows, Self.at("2026-12-01T07:00:00Z"))
                _ = try await intake.processAll(limit: 500)
                var checks: [(RuleEngine.Outcome, [PatientFlag])] = []
                for now in [
                    "2026-11-25T08:00:00Z", "2026-11-26T08:00:00Z", "2026-11-26T09:00:00Z", "2026-11-28T08:00:00Z",
                ] {
                    let outcome = try await intake.checkMissingData(rules, Self.at(now))
                    checks.append((outcome, try await intake.flags()))
                }
                return checks
            }
        }
        let sqlite = try await run(.sqlite)
        let postgres = try await run(.postgresql)
        for (index, (onSQLite, onPostgres)) in zip(sqlite, postgres).enumerated() {
            #expect(onPostgres.0 == onSQLite.0, "check \(index)")
            #expect(onPostgres.1 == onSQLite.1, "flags after check \(index)")
        }
        let reminders = sqlite.flatMap(\.0.reminders)
        #expect(!reminders.isEmpty, "the stream makes a reminder due")
        #expect(
            Set(reminders.map { "\($0.patientID) \($0.reminder.ruleID) \($0.reminder.due)" }).count == reminders.count,
            "each reminder once")
        #expect(
            reminders.contains {
                $0.patientID == "P-0001" && $0.reminder.ruleID == "missing-weight" && $0.serials.contains("HV10-00017")
                    && $0.reminder.due.description == "2026-11-26"
            }, "\(reminders)")
        #expect(sqlite[2].0.reminders.isEmpty, "a second check on the same day sends nothing again")
        #expect(sqlite.last?.1.contains { $0.patientID == "P-0001" && $0.ruleID == "missing-weight" } == true)
    }

    @Test(
        "a flag a nurse closed is not reopened by late readings of its days, and newer evidence opens a new one, on every backend",
        arguments: Backend.allCases)
    func closedStaysClosed(backend: Backend) async throws {
        let rules = try Self.defaultRules()
        func rows(_ lines: [String], from line: Int) -> [(String, Data)] {
            lines.enumerated().map { ("import/two-months.csv/line/\($0.offset + line)", Data($0.element.utf8)) }
        }
        let october = Self.twoMonths().filter { $0.contains("2026-10-") }
        let november = Self.twoMonths().filter { $0.contains("2026-11-") }
        try await withIntake(backend, rules: rules) { intake in
            try await Self.register(intake.registry)
            try await intake.journal(.import, rows(october, from: 2), Self.at("2026-12-01T07:00:00Z"))
            _ = try await intake.processAll()
            func worsening(_ state: PatientFlag.State) async throws -> [PatientFlag] {
                try await intake.flags().filter {
                    $0.patientID == "P-0001" && $0.problem == "worsening" && $0.state == state
                }
            }
            let gain = try #require(try await worsening(.open).first, "October's weight gain opens a flag")
            try await intake.followUp.acknowledge(
                flagID: gain.id, by: ClinicalRecordConformanceTests.nurse, comment: "Called; diuretic adjusted",
                at: Self.at("2026-12-01T07:10:00Z"))

            // An evening weighing of 30 October arrives late: the rules look at that day and the next again and
            // see the same gain, which the nurse has already dealt with.
            try await intake.journal(
                .import, rows(["HV10-00017,weight,82.5,kg,2026-10-30T18:00:00Z"], from: 2 + october.count),
                Self.at("2026-12-01T07:20:00Z"))
            _ = try await intake.processAll()
            let after = try await worsening(.open)
            #expect(
                after.isEmpty,
                "the closed flag's evidence does not open it again: \(after.map { "\($0.evidenceAt) \($0.explanation)" })"
            )
            #expect(try await worsening(.closed).map(\.id) == [gain.id])

            // November's own gain is new evidence: a new flag.
            try await intake.journal(
                .import, rows(november, from: 3 + october.count), Self.at("2026-12-01T07:30:00Z"))
            _ = try await intake.processAll()
            let reopened = try await worsening(.open)
            #expect(reopened.count == 1)
            #expect(reopened.allSatisfy { $0.id != gain.id && $0.evidenceAt > gain.evidenceAt })
        }
    }

    /// On PostgreSQL the chunk also bounds how many patients' histories the rules read at a
    /// time: chunk 1 reads the two patients' one after the other.
    @Test(
        "a batch decided in chunks flags exactly what the same batch decided whole, on every backend",
        arguments: Backend.allCases, [1, 3])
    func chunkedFlags(backend: Backend, chunk: Int) async throws {
        let whole = try await Self.flags(backend, limit: 500, chunk: 500)
        let chunked = try await Self.flags(backend, limit: 500, chunk: chunk)
        #expect(!whole.isEmpty)
        #expect(chunked == whole)
    }

    @Test(
        "a batch takes the journal in order up to its limit, chunk after chunk in one transaction, and leaves the rest",
        arguments: Backend.allCases)
    func batchAcrossChunks(backend: Backend) async throws {
        try await withIntake(backend) { intake in
            try await Self.register(intake.registry)
            let weighings = (0..<7).map { index in
                Self.weighing(
                    "k-\(index)",
                    Date(timeIntervalSince1970: 1_794_000_000 + Double(index) * 86_400).formatted(.iso8601), 80)
            }
            // The fourth message is the first one again: a redelivery one chunk later.
            try await intake.journal(
                .mqtt, Array(weighings[0..<3]) + [weighings[0]] + Array(weighings[3...]),
                Self.at("2026-11-30T08:00:00Z"))
            let first = try await intake.process(5, 2)
            #expect(first.count == 5, "three chunks of 2, 2 and 1")
            #expect(first.map(\.journalID) == first.map(\.journalID).sorted())
            #expect(first.map(\.outcome) == [.stored, .stored, .stored, .duplicate, .stored])
            #expect(try await intake.report().journalBacklog == 3)
            let rest = try await intake.process(5, 2)
            #expect(rest.map(\.outcome) == [.stored, .stored, .stored])
            let lastOfFirst = try #require(first.last).journalID
            #expect(try #require(rest.first).journalID > lastOfFirst)
            #expect(try await intake.readings("P-0001").count == 7)
        }
    }

    @Test("several workers processing one journal at once store each reading once (PostgreSQL)")
    func concurrentWorkers() async throws {
        try await withIntake(.postgresql) { intake in
            try await Self.register(intake.registry)
            // 120 weighings, each journaled twice, the copies far apart: workers taking batches
            // side by side meet the same keys.
            let weighings = (0..<120).map { index in
                Self.weighing(
                    "c-\(index)",
                    Date(timeIntervalSince1970: 1_794_000_000 + Double(index) * 3_600).formatted(.iso8601),
                    80 + Double(index % 10) / 10)
            }
            try await intake.journal(.mqtt, weighings + weighings.reversed(), Self.at("2026-11-30T08:00:00Z"))
            let results = try await withThrowingTaskGroup(of: [MessageResult].self) { group in
                for _ in 0..<4 { group.addTask { try await intake.processAll(limit: 7, chunk: 2) } }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(results.count == 240, "every message processed once")
            #expect(Set(results.map(\.journalID)).count == 240)
            #expect(try await intake.outcomes() == [.stored: 120, .duplicate: 120])
            let readings = try await intake.readings("P-0001")
            #expect(readings.count == 120)
            #expect(Set(readings.compactMap(\.messageID)).count == 120)
            #expect(
                try await intake.latestValues()["P-0001"]?[.weight]?.measuredAt
                    == readings.last?.measuredAt.millisecondsSince1970)
        }
    }
    @Test("several workers with the rules leave the same standing flags as one (PostgreSQL)")
    func concurrentWorkersWithRules() async throws {
        let rules = try Self.defaultRules()
        // Each device's rows in an order of their own, journaled in runs of 7 taking turns: side by
        // side, workers take batches of one device each, so two batches often hold readings of
        // one patient from different devices and only the patient lock keeps them apart.
        var generator = SeededGenerator(seed: 11)
        var byDevice: [String: [(String, Data)]] = [:]
        for (index, row) in Self.twoMonths().enumerated() {
            byDevice[String(row.prefix { $0 != "," }), default: []].append(
                ("import/two-months.csv/line/\(index + 2)", Data(row.utf8)))
        }
        var runs = byDevice.keys.sorted().map { serial in
            let shuffled = byDevice[serial]!.shuffled(using: &generator)
            return stride(from: 0, to: shuffled.count, by: 7).map { Array(shuffled[$0..<min($0 + 7, shuffled.count)]) }
        }
        var rows: [(String, Data)] = []
        while runs.contains(where: { !$0.isEmpty }) {
            for index in runs.indices where !runs[index].isEmpty { rows += runs[index].removeFirst() }
        }
        /// What a standing flag says, without the ids that depend on the order of storing.
        /// Reading ids depend on which worker stored a reading first: readings are compared by
        /// kind and measurement time instead.
        struct Evidence: Hashable {
            var at: Date
            var ruleID, explanation: String
            var severity: Severity
            var readings: [String]?
        }
        struct Standing: Hashable {
            var patientID: PatientID
            var problem, ruleID, explanation: String
            var severity: Severity
            var evidenceAt: Date
            var readings: [String]
            var evidence: Set<Evidence>
        }
        func standing(workers: Int) async throws -> Set<Standing> {
            try await withIntake(.postgresql, rules: rules) { intake in
                try await Self.register(intake.registry)
                try await intake.registry.pair(serial: "BP7-0099", patientID: "P-0002", from: TestCohort.pairedFrom)
                try await intake.journal(.import, rows, Self.at("2026-12-01T07:00:00Z"))
                let processed = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<workers { group.addTask { try await intake.processAll(limit: 7, chunk: 2).count } }
                    return try await group.reduce(0, +)
                }
                #expect(processed == rows.count)
                var standing: Set<Standing> = []
                var namesByPatient: [PatientID: [Int64: String]] = [:]
                for flag in try await intake.flags() where flag.state == .open {
                    if namesByPatient[flag.patientID] == nil {
                        namesByPatient[flag.patientID] = Dictionary(
                            uniqueKeysWithValues: try await intake.readings(flag.patientID).map {
                                ($0.id, "\($0.kind.rawValue) \($0.measuredAt)")
                            })
                    }
                    let names = namesByPatient[flag.patientID] ?? [:]
                    let named = { (ids: [Int64]) in ids.map { names[$0] ?? "unknown reading \($0)" }.sorted() }
                    standing.insert(
                        Standing(
                            patientID: flag.patientID, problem: flag.problem, ruleID: flag.ruleID,
                            explanation: flag.explanation, severity: flag.severity, evidenceAt: flag.evidenceAt,
                            readings: named(flag.readingIDs),
                            evidence: Set(
                                flag.evidence.map {
                                    Evidence(
                                        at: $0.at, ruleID: $0.ruleID, explanation: $0.explanation,
                                        severity: $0.severity, readings: $0.readingIDs.map(named))
                                })))
                }
                return standing
            }
        }
        let one = try await standing(workers: 1)
        let four = try await standing(workers: 4)
        #expect(!one.isEmpty)
        #expect(four == one)
    }
}

/// The latest-value fold against SQLite's one-statement upsert, on readings in every order.
@Suite struct LatestValueTests {
    @Test("a fold of readings in any arrival order gives what SQLite's upsert keeps", arguments: 0..<6)
    func foldMatchesUpsert(seed: Int) async throws {
        try await withTemporaryDirectory { directory in
            let processor = try TestCohort.processor(in: directory)
            let zone = TimeZone(identifier: "Europe/Copenhagen")!
            // Three weeks of weighings from Monday 2026-11-02, some days twice, some missing, in a shuffled order.
            var generator = SeededGenerator(seed: UInt64(seed))
            var instants: [Int64] = []
            for day in 0..<21 {
                let weighings = day % 4 == 0 ? 2 : day % 5 == 0 ? 0 : 1
                for second in 0..<weighings {
                    instants.append(1_793_597_400_000 + Int64(day) * 86_400_000 + Int64(second) * 43_200_000)
                }
            }
            instants.shuffle(using: &generator)
            var fold: LatestValue?
            for (index, instant) in instants.enumerated() {
                let value = 80 + Double(index) / 10
                try processor.store.journal(
                    .mqtt,
                    messages: [
                        ReadingIntakeConformanceTests.weighing(
                            "s-\(index)", Date(millisecondsSince1970: instant).formatted(.iso8601), value)
                    ], receivedAt: TestCohort.now)
                let result = try processor.processPending().first
                let stored = try #require(
                    result?.storedReadings.first, "reading \(index): \(String(describing: result))")
                if fold == nil {
                    fold = LatestValue(readingID: stored.id, measuredAt: instant, value: value, zone: zone)
                } else {
                    fold?.record(readingID: stored.id, measuredAt: instant, value: value, zone: zone)
                }
                #expect(try processor.store.latestValues()["P-0001"]?[.weight] == fold, "after reading \(index)")
            }
        }
    }
}
