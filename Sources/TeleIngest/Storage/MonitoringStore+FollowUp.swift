import Foundation
import GRDB
import ThresholdRules
import Vitals

/// Everything the weekly worklist is built from, read in one transaction: the store's facts
/// without their meaning (triage, adherence and trends are worked out by the console).
public struct WorklistSnapshot: Sendable {
    /// An open or escalated flag, without the readings behind it.
    public struct OpenFlag: Sendable, Hashable {
        public var id: Int64
        public var ruleID: String
        public var measurement: ReadingKind
        public var severity: Severity
        public var escalated: Bool
        public var explanation: String
        public var openedAt: Date
    }

    /// A value with the instant it was measured.
    public struct Value: Sendable, Hashable {
        public var value: Double
        public var measuredAt: Date
    }

    /// An escalation still waiting for the cardiologist's answer.
    public struct PendingEscalation: Sendable, Hashable {
        public var id: Int64
        public var escalatedAt: Date
    }

    public var patients: [Patient]
    public var openFlags: [String: [OpenFlag]]
    /// Each patient's latest weight, systolic, diastolic and pulse.
    public var latest: [String: [ReadingKind: Value]]
    /// Each patient's latest value of those kinds measured before `referenceBefore`.
    public var reference: [String: [ReadingKind: Double]]
    public var referenceBefore: Date
    /// Each patient's weighings in the window asked for.
    public var weighings: [String: [Date]]
    public var reviews: [String: WeeklyReview]
    public var pendingEscalations: [String: PendingEscalation]
}

/// One patient's record as the patient view shows it, read in one transaction.
public struct PatientRecord: Sendable, Codable {
    public var patient: Patient
    /// Readings since the date asked for, in measured-time order.
    public var readings: [StoredReading]
    /// Open and escalated flags, and flags closed or withdrawn since the date asked for; newest first.
    public var flags: [PatientFlag]
    public var notes: [ContactNote]
    public var settings: [PersonalSettingRecord]
    public var escalations: [Escalation]
    public var pairings: [Pairing]
    public var reviews: [WeeklyReview]
}

extension MonitoringStore {
    /// The kinds the worklist shows.
    static let worklistKinds: [ReadingKind] = [.weight, .systolic, .diastolic, .pulse]

    /// Reads what the worklist for `week` needs: reference values before `referenceBefore`
    /// (the week's start), weighings in `weighingsFrom ..< weighingsTo`, reviews of `week`.
    public func worklistSnapshot(
        week: String, referenceBefore: Date, weighingsFrom: Date, weighingsTo: Date
    ) throws -> WorklistSnapshot {
        try database.read { db in
            let patients = try Row.fetchAll(db, sql: "SELECT * FROM patient ORDER BY id").map(Patient.init(row:))

            var flags: [String: [WorklistSnapshot.OpenFlag]] = [:]
            let flagRows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT id, patient_id, rule_id, measurement, severity, state, explanation, opened_at
                    FROM flag WHERE state IN ('open', 'escalated')
                    """)
            while let row = try flagRows.next() {
                flags[row[1], default: []].append(
                    WorklistSnapshot.OpenFlag(
                        id: row[0], ruleID: row[2], measurement: ReadingKind(rawValue: row[3]) ?? .weight,
                        severity: Severity(rawValue: row[4]) ?? .yellow, escalated: (row[5] as String) == "escalated",
                        explanation: row[6], openedAt: Date(millisecondsSince1970: row[7])))
            }

            var latest: [String: [ReadingKind: WorklistSnapshot.Value]] = [:]
            let latestRows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT l.patient_id, r.kind, r.value, r.measured_at
                    FROM latest_reading l JOIN reading r ON r.id = l.reading_id
                    WHERE l.kind IN ('weight', 'systolic', 'diastolic', 'pulse')
                    """)
            while let row = try latestRows.next() {
                guard let kind = ReadingKind(rawValue: row[1]) else { continue }
                latest[row[0], default: [:]][kind] = WorklistSnapshot.Value(
                    value: row[2], measuredAt: Date(millisecondsSince1970: row[3]))
            }

            // One index seek per patient and kind, inside SQLite.
            var reference: [String: [ReadingKind: Double]] = [:]
            let referenceRows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT p.id, k.kind,
                        (SELECT r.value FROM reading r
                         WHERE r.patient_id = p.id AND r.kind = k.kind AND r.measured_at < ?
                         ORDER BY r.measured_at DESC LIMIT 1)
                    FROM patient p CROSS JOIN (SELECT 'weight' AS kind UNION ALL SELECT 'systolic'
                                               UNION ALL SELECT 'diastolic' UNION ALL SELECT 'pulse') k
                    """,
                arguments: [referenceBefore.millisecondsSince1970])
            while let row = try referenceRows.next() {
                guard let value = row[2] as Double?, let kind = ReadingKind(rawValue: row[1]) else { continue }
                reference[row[0], default: [:]][kind] = value
            }

            var weighings: [String: [Date]] = [:]
            let weighingRows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT r.patient_id, r.measured_at FROM patient p CROSS JOIN reading r
                    WHERE r.patient_id = p.id AND r.kind = 'weight' AND r.measured_at >= ? AND r.measured_at < ?
                    """,
                arguments: [weighingsFrom.millisecondsSince1970, weighingsTo.millisecondsSince1970])
            while let row = try weighingRows.next() {
                weighings[row[0], default: []].append(Date(millisecondsSince1970: row[1]))
            }

            var reviews: [String: WeeklyReview] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM review WHERE week = ?", arguments: [week]) {
                let review = WeeklyReview(row: row)
                reviews[review.patientID] = review
            }

            var pending: [String: WorklistSnapshot.PendingEscalation] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT id, patient_id, escalated_at FROM escalation WHERE answered_at IS NULL")
            {
                pending[row[1]] = WorklistSnapshot.PendingEscalation(
                    id: row[0], escalatedAt: Date(millisecondsSince1970: row[2]))
            }
            return WorklistSnapshot(
                patients: patients, openFlags: flags, latest: latest, reference: reference,
                referenceBefore: referenceBefore, weighings: weighings, reviews: reviews, pendingEscalations: pending)
        }
    }

    /// One patient's record: readings and closed flags since `since`, everything else in full.
    /// `nil` when there is no such patient.
    public func patientRecord(id: String, since: Date) throws -> PatientRecord? {
        try database.read { db in
            guard
                let patient = try Row.fetchOne(db, sql: "SELECT * FROM patient WHERE id = ?", arguments: [id]).map(
                    Patient.init(row:))
            else { return nil }
            let stamp = since.millisecondsSince1970
            let readings = try Row.fetchAll(
                db,
                sql: "SELECT * FROM reading WHERE patient_id = ? AND measured_at >= ? ORDER BY measured_at, kind",
                arguments: [id, stamp]
            ).map(StoredReading.init(row:))
            let flags = try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM flag WHERE patient_id = ?
                        AND (state IN ('open', 'escalated') OR closed_at >= ? OR opened_at >= ?)
                    ORDER BY opened_at DESC, id DESC
                    """,
                arguments: [id, stamp, stamp]
            ).map(PatientFlag.init(row:))
            let pairings = try Row.fetchAll(
                db, sql: "SELECT * FROM pairing WHERE patient_id = ? ORDER BY valid_from DESC", arguments: [id]
            ).map(Pairing.init(row:))
            return PatientRecord(
                patient: patient, readings: readings, flags: flags,
                notes: try notes(patientID: id, limit: nil, db: db),
                settings: try personalSettings(patientID: id, db: db),
                escalations: try escalations(patientID: id, db: db), pairings: pairings,
                reviews: try reviews(patientID: id, db: db))
        }
    }
}
