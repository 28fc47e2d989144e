import DevicePayloads
import FollowUp
import Foundation
import GRDB
import MonitoringRecords
import ReadingIntake
import ThresholdRules

@testable import TeleIngest

/// A small follow-up caseload for the console tests, filled the way a clinic back-fills one:
/// readings imported as CSV through the import pipeline with the shipped rules, on a clock the
/// test sets. CPR numbers are recognisably fake (day 00).
enum ConsoleFixture {
    /// Friday 20 November 2026, 10:00 in Copenhagen: week 2026-W47, the hotline open.
    static let friday = try! Date("2026-11-20T10:00:00+01:00", strategy: .iso8601)
    static let zone = TimeZone(identifier: "Europe/Copenhagen")!
    static let nurse = Clinician(name: "Test Nurse", role: .nurse)
    static let cardiologist = Clinician(name: "Test Cardiologist", role: .cardiologist)

    struct Patient: Sendable {
        var id: PatientID
        var name: String
        var cpr: String
        var serial: DeviceSerial
        /// Weight, systolic, diastolic, pulse on `day` days before today (0 = today); nil: no reading.
        var values: @Sendable (Int) -> (Double, Double, Double, Double)?
    }

    /// Red (weight +2.6 kg in 3 days), yellow (systolic 86 today), missing data (nothing for 12
    /// days) and stable.
    static let patients: [Patient] = [
        Patient(id: "P-STABLE", name: "Test Patient Stable", cpr: "000450-1004", serial: "SC-STABLE") { day in
            (75.0 + (day % 3 == 0 ? 0.2 : 0), 124, 78, 68)
        },
        Patient(id: "P-QUIET", name: "Test Patient Quiet", cpr: "000350-1003", serial: "SC-QUIET") { day in
            day >= 12 ? (90.0, 130, 80, 72) : nil
        },
        Patient(id: "P-YELLOW", name: "Test Patient Yellow", cpr: "000250-1002", serial: "SC-YELLOW") { day in
            (70.0, day == 0 ? 86 : 112, day == 0 ? 58 : 70, 74)
        },
        Patient(id: "P-RED", name: "Test Patient Red", cpr: "000150-1001", serial: "SC-RED") { day in
            let weight = day > 3 ? 80.0 + Double(day % 2) * 0.2 : [82.6, 81.9, 80.8, 80.0][day]
            return (weight, day <= 3 ? 104 : 118, 66, day <= 3 ? 94 : 72)
        },
    ]

    /// The day the fixture's last readings fall on: today, or yesterday before 07:05.
    static func lastDay(now: Date) -> LocalDay {
        let today = LocalDay(now, in: zone)
        return today.start(in: zone).addingTimeInterval(7 * 3600 + 300) < now ? today : today.adding(days: -1)
    }

    /// The CSV rows for the 30 days up to `lastDay(now:)` (readings at 07:00 and 07:05 local time).
    static func csv(now: Date) -> String {
        var lines = [ImportRowDecoder.header]
        let today = lastDay(now: now)
        for patient in patients {
            for day in (0..<30).reversed() {
                guard let (weight, systolic, diastolic, pulse) = patient.values(day) else { continue }
                let start = today.adding(days: -day).start(in: zone)
                let weighed = start.addingTimeInterval(7 * 3600)
                let measured = start.addingTimeInterval(7 * 3600 + 300)
                lines.append("\(patient.serial),weight,\(weight),kg,\(weighed.formatted(.iso8601))")
                for (kind, value) in [("systolic", systolic), ("diastolic", diastolic), ("pulse", pulse)] {
                    let unit = kind == "pulse" ? "bpm" : "mmHg"
                    lines.append("\(patient.serial),\(kind),\(value),\(unit),\(measured.formatted(.iso8601))")
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Registers the patients (monitored for 40 days) and their scales in `store`.
    static func register(in store: MonitoringStore, now: Date) throws {
        let start = now.addingTimeInterval(-40 * 86_400)
        for patient in patients {
            try store.addPatient(id: patient.id, name: patient.name, cpr: patient.cpr, monitoringStart: start)
            try store.pair(serial: patient.serial, patientID: patient.id, from: start)
        }
    }

    /// The shipped rule set.
    static func ruleSet() throws -> RuleSet {
        try RuleFile.load(from: Paths.packageRoot.appendingPathComponent("rules/heart-failure-guideline.yaml"))
    }

    /// A store in `directory` filled through the import pipeline with the rules, at `now`, and
    /// the missing-data check run once.
    static func store(in directory: URL, now: Date = friday) throws -> MonitoringStore {
        let store = try MonitoringStore(
            path: directory.appendingPathComponent("console.sqlite").path, clock: .fixed(now))
        try register(in: store, now: now)
        try importRows(csv(now: now).split(separator: "\n").dropFirst().map(String.init), into: store, now: now)
        _ = try store.database.write { db in
            try RuleEngine(ruleSet: try ruleSet(), defaultZone: zone).evaluateMissingData(
                store: store, db: db, now: now)
        }
        return store
    }

    /// Imports CSV rows (without the header) through the pipeline with the rules, at `now`.
    static func importRows(_ rows: [String], into store: MonitoringStore, now: Date) throws {
        var processor = JournalProcessor(
            store: store, decoder: MessageDecoder(profiles: DeviceProfileSet([])), defaultTimeZone: zone)
        processor.rules = RuleEngine(ruleSet: try ruleSet(), defaultZone: zone)
        let messages = rows.enumerated().map {
            (topic: "import/console.csv/line/\($0.offset + 2)", payload: Data($0.element.utf8))
        }
        try store.journal(.import, messages: messages, receivedAt: now)
        while try !processor.processPending(limit: 1000, source: .import).isEmpty {}
    }

    static func session(_ store: MonitoringStore, as clinician: Clinician = nurse, now: Date = friday)
        throws -> FollowUpSession
    {
        FollowUpSession(
            store: store, clinician: clinician, ruleSet: try ruleSet(), timeZone: zone,
            hotline: HotlineSchedule(name: "Heart-failure hotline (test)", phone: "the test line"),
            now: { now })
    }
}
