import Foundation
import GRDB
import MonitoringRecords
import ReadingIntake
import StoreInterface
import ThresholdRules
import Vitals

extension MonitoringStore {
    /// Reads what the worklist for `week` needs: every patient, their open flags, their latest
    /// values with last week's reference and this week's days (kept by `LatestReading`), for a
    /// past week their weighings in `window`, and the reviews of `week`. Each query walks an index in
    /// patient order and the lines are merged, so the cost grows with the rows, not with
    /// per-patient searches.
    static let defaultZoneName = "Europe/Copenhagen"

    /// `weighings`: the window to read weighings from, needed for a past week only.
    /// `at`: the moment whose measurement plans apply (default: the store's clock).
    public func worklistSnapshot(week: String, weighings window: Range<Date>?, at now: Date? = nil) throws
        -> WorklistSnapshot
    {
        let now = now ?? clock.now()
        return try database.read { db in
            var lines: [WorklistSnapshot.Line] = []
            // Most patients live in the default zone: read the zone name only when it differs.
            let patients = try Row.fetchCursor(
                db,
                sql: """
                    SELECT id, name, cpr, CASE WHEN time_zone = ? THEN NULL ELSE time_zone END, created_at, monitoring_start,
                        end_reason, end_comment, ended_by, ended_at, team
                    FROM patient_monitoring ORDER BY id
                    """,
                arguments: [Self.defaultZoneName])
            while let row = try patients.next() {
                let start: Int64? = row[5]
                lines.append(
                    WorklistSnapshot.Line(
                        patient: Patient(
                            id: row[0], name: row[1], cpr: row[2], timeZone: row[3] ?? Self.defaultZoneName,
                            createdAt: Date(millisecondsSince1970: row[4]),
                            monitoringStart: start.map(Date.init(millisecondsSince1970:)),
                            monitoringEnd: MonitoringEnd(row: row), team: row[10])))
            }
            // The other reads come in patient order too: walk forward to each row's patient. A
            // dictionary is built only if that walk ever misses (an order SQLite and Swift disagree on).
            var cursor = 0
            var index: [PatientID: Int]?
            func line(for id: PatientID) -> Int? {
                while cursor < lines.count, lines[cursor].patient.id < id { cursor += 1 }
                if cursor < lines.count, lines[cursor].patient.id == id { return cursor }
                if index == nil {
                    index = Dictionary(
                        lines.indices.map { (lines[$0].patient.id, $0) }, uniquingKeysWith: { a, _ in a })
                }
                guard let found = index?[id] else { return nil }
                cursor = found
                return found
            }

            // Small columns as numbers: 1 for red, 1 for escalated, the measurement's position.
            let flags = try Row.fetchCursor(
                db,
                sql: """
                    SELECT patient_id, id, rule_id,
                        CASE measurement WHEN 'weight' THEN 0 WHEN 'systolic' THEN 1 WHEN 'diastolic' THEN 2 ELSE 3 END,
                        severity = 'red', state = 'escalated', explanation, opened_at
                    FROM flag INDEXED BY flag_open WHERE state IN ('open', 'escalated') ORDER BY patient_id
                    """)
            let measurements: [ReadingKind] = [.weight, .systolic, .diastolic, .pulse]
            cursor = 0
            while let row = try flags.next() {
                guard let at = line(for: row[0]) else { continue }
                lines[at].openFlags.append(
                    WorklistSnapshot.OpenFlag(
                        id: row[1], ruleID: row[2], measurement: measurements[row[3]],
                        severity: row[4] ? .red : .yellow, escalated: row[5], explanation: row[6],
                        openedAt: Date(millisecondsSince1970: row[7])))
            }

            let latest = try Row.fetchCursor(
                db,
                sql: "SELECT patient_id, kind, value, measured_at, week, previous_value, week_days FROM latest_reading")
            cursor = 0
            while let row = try latest.next() {
                guard let at = line(for: row[0]), let kind = ReadingKind(rawValue: row[1]) else { continue }
                let value = WorklistSnapshot.Latest(
                    value: row[2], measuredAt: Date(millisecondsSince1970: row[3]), weekMonday: row[4] ?? 0,
                    previousWeekValue: row[5], weekDays: row[6])
                lines[at].keep(value, of: kind)
            }

            if let window {
                for index in lines.indices { lines[index].weighings = [] }
                let weighings = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT r.patient_id, r.measured_at FROM patient p CROSS JOIN reading r
                        WHERE r.patient_id = p.id AND r.kind = 'weight' AND r.measured_at >= ? AND r.measured_at < ?
                        ORDER BY p.id
                        """,
                    arguments: [window.lowerBound.millisecondsSince1970, window.upperBound.millisecondsSince1970])
                cursor = 0
                while let row = try weighings.next() {
                    guard let at = line(for: row[0]) else { continue }
                    lines[at].weighings?.append(Date(millisecondsSince1970: row[1]))
                }
            }

            // Each patient's own measurement plan in force at `now`: few patients have one.
            let plans = try Row.fetchAll(
                db,
                sql: """
                    SELECT patient_id, value FROM personal_setting s
                    WHERE kind = 'plan' AND valid_from <= ? AND NOT EXISTS (
                        SELECT 1 FROM personal_setting later
                        WHERE later.patient_id = s.patient_id AND later.kind = 'plan' AND later.valid_from <= ?
                            AND (later.valid_from, later.id) > (s.valid_from, s.id))
                    ORDER BY patient_id
                    """,
                arguments: [now.millisecondsSince1970, now.millisecondsSince1970])
            cursor = 0
            for row in plans {
                guard let at = line(for: row[0]) else { continue }
                lines[at].daysAWeek = (row[1] as Double?).map { Int($0) }
            }

            var reviews: [PatientID: WeeklyReview] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM review WHERE week = ?", arguments: [week]) {
                let review = WeeklyReview(row: row)
                reviews[review.patientID] = review
            }
            var pending: [PatientID: WorklistSnapshot.PendingEscalation] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT id, patient_id, escalated_at FROM escalation WHERE answered_at IS NULL")
            {
                pending[row[1]] = WorklistSnapshot.PendingEscalation(
                    id: row[0], escalatedAt: Date(millisecondsSince1970: row[2]))
            }
            var snapshot = WorklistSnapshot(lines: lines, reviews: reviews, pendingEscalations: pending)
            // The review dates the cardiologists set, and whether anyone has reviewed since.
            for row in try Row.fetchAll(
                db,
                sql:
                    "SELECT patient_id, next_review FROM escalation WHERE next_review IS NOT NULL AND id IN (SELECT max(id) FROM escalation WHERE answered_at IS NOT NULL GROUP BY patient_id)"
            ) {
                snapshot.nextReviews[row[0]] = row[1]
            }
            for row in try Row.fetchAll(db, sql: "SELECT patient_id, max(week) FROM review GROUP BY patient_id") {
                snapshot.lastReviewedWeeks[row[0]] = row[1]
            }
            return snapshot
        }
    }

    /// One patient's record: readings and closed flags since `since`, everything else in full.
    /// `nil` when there is no such patient.
    public func patientRecord(id: PatientID, since: Date) throws -> PatientRecord? {
        try database.read { db in
            guard
                let patient = try Row.fetchOne(
                    db, sql: "SELECT * FROM patient_monitoring WHERE id = ?", arguments: [id]
                ).map(
                    Patient.init(row:))
            else { return nil }
            let stamp = since.millisecondsSince1970
            let readings = try Row.fetchAll(
                db,
                sql: "SELECT * FROM reading \(Self.recentReadingsFilter) ORDER BY measured_at, kind",
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
                reviews: try reviews(patientID: id, db: db),
                reminders: try reminders(patientID: id, since: since, db: db))
        }
    }
}
