import Foundation
import GRDB
import MonitoringRecords
import ReadingIntake
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

/// A batch's new readings, gathered for `latest_reading`: each pair of patient and kind the
/// batch touches is read once, its readings folded in (`LatestValue`, the same rule as
/// `LatestReading.upsert`, in the order they were stored) and written back once, instead of one
/// upsert per reading. A patient who sends several readings of a kind in a batch costs one write.
///
/// At most `pairLimit` pairs are gathered before they are written (`isFull`): with 10,000
/// patients a batch of 8,000 messages touches some 15,000 pairs, and gathering them all held
/// about 5 MiB until the batch ended.
struct LatestValueFold {
    /// How many pairs are gathered at most before they are written.
    static let pairLimit = 4_096

    struct Pair: Hashable {
        var patientID: PatientID
        var kind: String
    }

    private var pairs: [Pair] = []
    private var zones: [TimeZone] = []
    private var index: [Pair: Int] = [:]
    /// The readings in the order they were stored, each with its pair's position in `pairs`.
    private var readings: [(pair: Int, readingID: Int64, measuredAt: Int64, value: Double)] = []

    /// Whether `pairLimit` pairs are gathered: time to write them.
    var isFull: Bool { pairs.count >= limit }

    /// `pairLimit`, unless a test asks for fewer.
    private let limit: Int

    init(pairLimit: Int = Self.pairLimit) {
        limit = max(1, pairLimit)
    }

    /// Adds a reading just stored.
    mutating func add(
        patientID: PatientID, kind: String, readingID: Int64, measuredAt: Int64, value: Double, zone: TimeZone
    ) {
        let pair = Pair(patientID: patientID, kind: kind)
        let position: Int
        if let known = index[pair] {
            position = known
        } else {
            position = pairs.count
            pairs.append(pair)
            zones.append(zone)
            index[pair] = position
        }
        readings.append((position, readingID, measuredAt, value))
    }

    /// Folds the gathered readings into the kept values and writes each pair back once, inside
    /// the caller's transaction; then starts afresh.
    mutating func write(db: Database) throws {
        guard !readings.isEmpty else { return }
        defer { self = LatestValueFold(pairLimit: limit) }
        var values: [LatestValue?] = Array(repeating: nil, count: pairs.count)
        // A kept row without its week (stores from before schema v4, until the open completes
        // them) is folded by the upsert, reading by reading, as it always was.
        var byUpsert: Set<Int> = []
        let read = try db.cachedStatement(
            sql: """
                SELECT l.patient_id, l.kind, l.reading_id, l.measured_at, l.value, l.week, l.week_days,
                    l.previous_value, l.previous_at
                FROM json_each(?) AS k JOIN latest_reading AS l ON l.patient_id = k.value ->> 0 AND l.kind = k.value ->> 1
                """)
        let list = JSONArgument.text(pairs.map { [.text($0.patientID.rawValue), .text($0.kind)] })
        try StatementBindings.rows(of: read, in: db, { $0.bind(list) }) { row in
            let pair = Pair(patientID: PatientID(rawValue: row.text(0) ?? ""), kind: row.text(1) ?? "")
            guard let position = index[pair] else { return }
            guard !row.isNull(4), !row.isNull(5) else {
                byUpsert.insert(position)
                return
            }
            values[position] = LatestValue(
                readingID: row.int(2), measuredAt: row.int(3), value: row.double(4), week: Int(row.int(5)),
                weekDays: Int(row.int(6)), previousValue: row.optionalDouble(7), previousAt: row.optionalInt(8))
        }
        let upsert = byUpsert.isEmpty ? nil : try db.cachedStatement(sql: LatestReading.upsert)
        for reading in readings {
            let zone = zones[reading.pair]
            if let upsert, byUpsert.contains(reading.pair) {
                try LatestReading.record(
                    patientID: pairs[reading.pair].patientID, kind: pairs[reading.pair].kind,
                    readingID: reading.readingID, measuredAt: Date(millisecondsSince1970: reading.measuredAt),
                    value: reading.value, zone: zone, statement: upsert, db: db)
            } else if values[reading.pair] == nil {
                values[reading.pair] = LatestValue(
                    readingID: reading.readingID, measuredAt: reading.measuredAt, value: reading.value, zone: zone)
            } else {
                values[reading.pair]?.record(
                    readingID: reading.readingID, measuredAt: reading.measuredAt, value: reading.value, zone: zone)
            }
        }
        let write = try db.cachedStatement(
            sql: """
                INSERT INTO latest_reading (patient_id, kind, reading_id, measured_at, value, week, week_days,
                                            previous_value, previous_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (patient_id, kind) DO UPDATE SET
                    reading_id = excluded.reading_id, measured_at = excluded.measured_at, value = excluded.value,
                    week = excluded.week, week_days = excluded.week_days, previous_value = excluded.previous_value,
                    previous_at = excluded.previous_at
                """)
        for (position, pair) in pairs.enumerated() {
            guard let value = values[position] else { continue }
            try StatementBindings.execute(write, in: db) {
                $0.bind(pair.patientID.rawValue)
                $0.bind(pair.kind)
                $0.bind(value.readingID)
                $0.bind(value.measuredAt)
                $0.bind(value.value)
                $0.bind(value.week)
                $0.bind(value.weekDays)
                $0.bind(value.previousValue)
                $0.bind(value.previousAt)
            }
        }
    }
}
