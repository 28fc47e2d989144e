import Foundation
import MonitoringRecords
import ThresholdRules

/// Per patient and kind, what the worklist reads instead of the readings: the newest reading with
/// its value, the ISO week it falls in (the patient-local day number of that week's Monday), the
/// days of that week with a reading of the kind (bit 0 Monday … bit 6 Sunday: adherence), and the
/// trend's reference — the newest value measured before that week began.
///
/// Kept on every stored reading, in the ingest transaction:
/// * newer than the latest, in a later week: the old latest becomes the reference;
/// * newer, same week: the reference stays;
/// * any reading in the latest's week adds its day to the week's days; a later week starts them
///   afresh;
/// * older than the latest (a late reading), from an earlier week and newer than the reference:
///   it becomes the reference.
///
/// Both stores read the kept values a batch touches, fold its readings in with this and write
/// each value back once; SQLite's `LatestReading.upsert` states the same rule for one reading in
/// SQL (kept for stores whose kept values are being completed).
public struct LatestValue: Sendable, Hashable {
    public var readingID: Int64
    /// Milliseconds since 1970.
    public var measuredAt: Int64
    public var value: Double
    public var week: Int
    public var weekDays: Int
    public var previousValue: Double?
    /// Milliseconds since 1970.
    public var previousAt: Int64?

    public init(
        readingID: Int64, measuredAt: Int64, value: Double, week: Int, weekDays: Int, previousValue: Double? = nil,
        previousAt: Int64? = nil
    ) {
        self.readingID = readingID
        self.measuredAt = measuredAt
        self.value = value
        self.week = week
        self.weekDays = weekDays
        self.previousValue = previousValue
        self.previousAt = previousAt
    }

    /// The value for a first reading of its kind.
    public init(readingID: Int64, measuredAt: Int64, value: Double, zone: TimeZone) {
        let day = LocalDay(Date(millisecondsSince1970: measuredAt), in: zone)
        self.init(
            readingID: readingID, measuredAt: measuredAt, value: value, week: day.monday.number,
            weekDays: 1 << (day.isoWeekday - 1))
    }

    /// Folds in a newly stored reading.
    public mutating func record(readingID: Int64, measuredAt: Int64, value: Double, zone: TimeZone) {
        let new = LatestValue(readingID: readingID, measuredAt: measuredAt, value: value, zone: zone)
        let old = self
        let newer = new.measuredAt >= old.measuredAt
        if new.week > old.week {
            weekDays = new.weekDays
        } else if new.week == old.week {
            weekDays = old.weekDays | new.weekDays
        }
        if newer, new.week > old.week {
            previousValue = old.value
            previousAt = old.measuredAt
        } else if !newer, old.week > new.week, new.measuredAt > (old.previousAt ?? 0) {
            previousValue = new.value
            previousAt = new.measuredAt
        }
        if newer {
            self.readingID = new.readingID
            self.value = new.value
            week = new.week
            self.measuredAt = new.measuredAt
        }
    }
}
