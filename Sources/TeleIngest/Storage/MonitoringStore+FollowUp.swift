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
            lines.reserveCapacity(try Int.fetchOne(db, sql: "SELECT count(*) FROM patient") ?? 0)
            // The periods ended and not reopened, read apart: few patients have one, and the
            // `patient_monitoring` view's join searched the index for every patient (half the
            // patients' read).
            var ends: [PatientID: MonitoringEnd] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT patient_id, reason AS end_reason, comment AS end_comment, ended_by, ended_at
                    FROM monitoring_end WHERE reopened_at IS NULL
                    """)
            {
                ends[row[0]] = MonitoringEnd(row: row)
            }
            // Most patients live in the default zone: read the zone name only when it differs.
            let patientRead = try db.cachedStatement(
                sql: """
                    SELECT id, name, cpr, CASE WHEN time_zone = ? THEN NULL ELSE time_zone END, created_at, monitoring_start,
                        team
                    FROM patient ORDER BY id
                    """)
            let patients = try Row.fetchCursor(patientRead, arguments: [Self.defaultZoneName])
            var columns = StatementColumns(patientRead)
            while try patients.next() != nil {
                let id = PatientID(rawValue: columns.text(0) ?? "")
                lines.append(
                    WorklistSnapshot.Line(
                        patient: Patient(
                            id: id, name: columns.text(1) ?? "", cpr: columns.text(2),
                            timeZone: columns.text(3) ?? Self.defaultZoneName,
                            createdAt: Date(millisecondsSince1970: columns.int(4)),
                            monitoringStart: columns.optionalInt(5).map(Date.init(millisecondsSince1970:)),
                            monitoringEnd: ends.isEmpty ? nil : ends[id], team: columns.text(6))))
            }
            // The other reads come in patient order too: walk forward to each row's patient. A
            // dictionary is built only if that walk ever misses (an order SQLite and Swift disagree on).
            var cursor = 0
            var index: [PatientID: Int]?
            // The patient id the walk stands at, as bytes: rows of the same patient follow one
            // another, and comparing bytes saves making a string of every repeated id.
            var walkedID: [UInt8] = []
            var walkedLine: Int?
            func line(atColumn column: Int32) -> Int? {
                if !columns.text(column, equals: walkedID) {
                    walkedID = columns.textBytes(column)
                    walkedLine = line(for: PatientID(rawValue: String(decoding: walkedID, as: UTF8.self)))
                }
                return walkedLine
            }
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
            let flagRead = try db.cachedStatement(
                sql: """
                    SELECT patient_id, id, rule_id,
                        CASE measurement WHEN 'weight' THEN 0 WHEN 'systolic' THEN 1 WHEN 'diastolic' THEN 2 ELSE 3 END,
                        severity = 'red', state = 'escalated', explanation, opened_at
                    FROM flag INDEXED BY flag_open WHERE state IN ('open', 'escalated') ORDER BY patient_id
                    """)
            let flags = try Row.fetchCursor(flagRead)
            columns = StatementColumns(flagRead)
            let measurements: [ReadingKind] = [.weight, .systolic, .diastolic, .pulse]
            // A rule set has a few dozen rule ids: each is made a string once.
            var ruleIDs: [(bytes: [UInt8], id: String)] = []
            func ruleID() -> String {
                if let known = ruleIDs.first(where: { columns.text(2, equals: $0.bytes) }) { return known.id }
                let bytes = columns.textBytes(2)
                ruleIDs.append((bytes, String(decoding: bytes, as: UTF8.self)))
                return ruleIDs[ruleIDs.count - 1].id
            }
            (cursor, walkedID, walkedLine) = (0, [], nil)
            while try flags.next() != nil {
                guard let at = line(atColumn: 0) else { continue }
                lines[at].openFlags.append(
                    WorklistSnapshot.OpenFlag(
                        id: columns.int(1), ruleID: ruleID(), measurement: measurements[Int(columns.int(3))],
                        severity: columns.int(4) != 0 ? .red : .yellow, escalated: columns.int(5) != 0,
                        explanation: columns.text(6) ?? "", openedAt: Date(millisecondsSince1970: columns.int(7))))
            }

            // The kind as its position in `measurements`, so that no row makes a string of it.
            let latestRead = try db.cachedStatement(
                sql: """
                    SELECT patient_id,
                        CASE kind WHEN 'weight' THEN 0 WHEN 'systolic' THEN 1 WHEN 'diastolic' THEN 2 WHEN 'pulse' THEN 3 END,
                        value, measured_at, week, previous_value, week_days
                    FROM latest_reading WHERE value IS NOT NULL
                    """)
            let latest = try Row.fetchCursor(latestRead)
            columns = StatementColumns(latestRead)
            (cursor, walkedID, walkedLine) = (0, [], nil)
            while try latest.next() != nil {
                guard let at = line(atColumn: 0), let kind = columns.optionalInt(1) else { continue }
                let value = WorklistSnapshot.Latest(
                    value: columns.double(2), measuredAt: Date(millisecondsSince1970: columns.int(3)),
                    weekMonday: Int(columns.int(4)), previousWeekValue: columns.optionalDouble(5),
                    weekDays: Int(columns.int(6)))
                lines[at].keep(value, of: measurements[Int(kind)])
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
