import Foundation
import GRDB
import MonitoringRecords
import ThresholdRules

/// Keeps `latest_reading`: per patient and kind, the newest reading with its value, the ISO week
/// it falls in (the patient-local day number of that week's Monday), the days of that week with
/// a reading of the kind (bit 0 Monday … bit 6 Sunday: the worklist's adherence), and the
/// reference for the worklist's trend arrow — the newest value measured before that week began.
///
/// On every stored reading, in the ingest transaction:
/// * newer than the latest, in a later week: the old latest becomes the reference;
/// * newer, same week: the reference stays;
/// * any reading in the latest's week adds its day to the week's days; a later week starts them
///   afresh;
/// * older than the latest (a late reading), from an earlier week and newer than the reference:
///   it becomes the reference.
enum LatestReading {
    /// The local day number of the Monday of the week `instant` falls in, in `zone`.
    static func week(of instant: Date, in zone: TimeZone) -> Int {
        LocalDay(instant, in: zone).monday.number
    }

    static let upsert = """
        INSERT INTO latest_reading (patient_id, kind, reading_id, measured_at, value, week, week_days)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (patient_id, kind) DO UPDATE SET
            week_days = CASE
                WHEN excluded.week > latest_reading.week THEN excluded.week_days
                WHEN excluded.week = latest_reading.week THEN latest_reading.week_days | excluded.week_days
                ELSE latest_reading.week_days END,
            previous_value = CASE
                WHEN excluded.measured_at >= latest_reading.measured_at AND excluded.week > latest_reading.week
                    THEN latest_reading.value
                WHEN excluded.measured_at < latest_reading.measured_at AND excluded.week < latest_reading.week
                    AND excluded.measured_at > COALESCE(latest_reading.previous_at, 0)
                    THEN excluded.value
                ELSE latest_reading.previous_value END,
            previous_at = CASE
                WHEN excluded.measured_at >= latest_reading.measured_at AND excluded.week > latest_reading.week
                    THEN latest_reading.measured_at
                WHEN excluded.measured_at < latest_reading.measured_at AND excluded.week < latest_reading.week
                    AND excluded.measured_at > COALESCE(latest_reading.previous_at, 0)
                    THEN excluded.measured_at
                ELSE latest_reading.previous_at END,
            reading_id = CASE WHEN excluded.measured_at >= latest_reading.measured_at
                THEN excluded.reading_id ELSE latest_reading.reading_id END,
            value = CASE WHEN excluded.measured_at >= latest_reading.measured_at
                THEN excluded.value ELSE latest_reading.value END,
            week = CASE WHEN excluded.measured_at >= latest_reading.measured_at
                THEN excluded.week ELSE latest_reading.week END,
            measured_at = MAX(excluded.measured_at, latest_reading.measured_at)
        """

    /// Records a newly stored reading, with `statement` prepared from `upsert`.
    static func record(
        patientID: PatientID, kind: String, readingID: Int64, measuredAt: Date, value: Double, zone: TimeZone,
        statement: Statement, db: Database
    ) throws {
        let day = LocalDay(measuredAt, in: zone)
        let monday = day.monday.number
        try StatementBindings.execute(statement, in: db) {
            $0.bind(patientID.rawValue)
            $0.bind(kind)
            $0.bind(readingID)
            $0.bind(measuredAt.millisecondsSince1970)
            $0.bind(value)
            $0.bind(monday)
            $0.bind(1 << (day.isoWeekday - 1))
        }
    }

    /// Rebuilds the table from the readings: after a migration or a bulk load.
    static func rebuild(db: Database, defaultZone: TimeZone) throws {
        try db.execute(sql: "DELETE FROM latest_reading")
        try db.execute(
            sql: """
                INSERT INTO latest_reading (patient_id, kind, reading_id, measured_at, value)
                SELECT patient_id, kind, id, MAX(measured_at), value FROM reading GROUP BY patient_id, kind
                """)
        var zones: [String: TimeZone] = [:]
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT l.patient_id, l.kind, l.measured_at, p.time_zone FROM latest_reading l
                JOIN patient p ON p.id = l.patient_id
                """)
        let reference = try db.makeStatement(
            sql: """
                SELECT value, measured_at FROM reading WHERE patient_id = ? AND kind = ? AND measured_at < ?
                ORDER BY measured_at DESC LIMIT 1
                """)
        let inWeek = try db.makeStatement(
            sql:
                "SELECT measured_at FROM reading WHERE patient_id = ? AND kind = ? AND measured_at >= ? AND measured_at < ?"
        )
        let update = try db.makeStatement(
            sql: """
                UPDATE latest_reading SET week = ?, previous_value = ?, previous_at = ?, week_days = ?
                WHERE patient_id = ? AND kind = ?
                """)
        for row in rows {
            let name: String = row[3]
            let zone = zones[name] ?? TimeZone(identifier: name) ?? defaultZone
            zones[name] = zone
            let measuredAt = Date(millisecondsSince1970: row[2])
            let monday = week(of: measuredAt, in: zone)
            let weekStart = LocalDay(number: monday).start(in: zone)
            let before = try Row.fetchOne(
                reference, arguments: [row[0], row[1], weekStart.millisecondsSince1970] as StatementArguments)
            var days = 0
            for instant in try Int64.fetchAll(
                inWeek,
                arguments: [
                    row[0], row[1], weekStart.millisecondsSince1970,
                    LocalDay(number: monday + 7).start(in: zone).millisecondsSince1970,
                ] as StatementArguments)
            {
                days |= 1 << (LocalDay(Date(millisecondsSince1970: instant), in: zone).number - monday)
            }
            try update.execute(arguments: [
                monday, before?[0] as Double?, before?[1] as Int64?, days, row[0] as String, row[1] as String,
            ])
        }
    }
}

extension MonitoringStore {
    /// Rebuilds the latest readings and their references from the readings (after a bulk load
    /// that wrote readings directly).
    public func rebuildLatestReadings(defaultZone: TimeZone) throws {
        try database.write { db in try LatestReading.rebuild(db: db, defaultZone: defaultZone) }
    }
}
