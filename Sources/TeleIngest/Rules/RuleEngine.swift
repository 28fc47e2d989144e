import Foundation
import GRDB
import MonitoringRecords
import ReadingIntake
import ThresholdRules
import Vitals

/// The rule engine on the SQLite store: reads each patient's history and flag book and writes
/// the book back, inside the caller's transaction.
extension RuleEngine {
    /// Re-evaluates one patient's reading rules from the day of `earliest` on, in a
    /// transaction of its own (`tele-ingest rules apply`, the benches). A dry run rolls the
    /// transaction back: the outcome says what would change, and nothing does.
    @discardableResult
    public func reevaluate(patientID: PatientID, from earliest: Date, in store: MonitoringStore, dryRun: Bool = false)
        throws -> Outcome
    {
        var outcome = Outcome()
        try store.database.writeWithoutTransaction { db in
            try db.inTransaction {
                outcome = try evaluate(
                    patientID: patientID, from: earliest, store: store, db: db, now: store.clock.now())
                return dryRun ? .rollback : .commit
            }
        }
        return outcome
    }

    /// Runs the missing-data rules for every patient with a device paired now, in a transaction
    /// of its own; with `reminders`, records the reminders due (see `evaluateMissingData`).
    @discardableResult
    public func checkMissingData(in store: MonitoringStore, now: Date, reminders: Bool = false) throws -> Outcome {
        try store.database.write { db in
            try evaluateMissingData(store: store, db: db, now: now, reminders: reminders)
        }
    }

    /// Evaluates the patient's reading rules on every day with readings from the day of
    /// `earliest` through the newest reading, in measured-time order, and applies the decisions
    /// to the patient's flags, inside the caller's transaction. With `recent`, the patient's
    /// readings come from it when it keeps them, and are kept there when read from the store.
    @discardableResult
    func evaluate(
        patientID: PatientID, from earliest: Date, store: MonitoringStore, db: Database, now: Date,
        recent: RecentReadings? = nil
    ) throws
        -> Outcome
    {
        guard let context = try store.ruleContext(patientID: patientID, db: db, defaultZone: defaultZone) else {
            return Outcome()
        }
        let loadFrom = historyStart(from: earliest, zone: context.timeZone)
        let history: [Observation]
        if let kept = recent?.observations(patientID: patientID, from: loadFrom) {
            history = kept
        } else {
            history = try Self.recentReadings(patientID: patientID, from: loadFrom, db: db)
            recent?.keep(history, patientID: patientID, from: loadFrom)
        }
        let evaluation = decisions(history, context: context, from: earliest)
        var outcome = try apply(evaluation.decisions, patientID: patientID, store: store, db: db, now: now)
        outcome.evaluatedDays = evaluation.days
        let requests = try store.recordReminders(
            confirmations(history, context: context, now: now), patientID: patientID, at: now, db: db)
        if !requests.isEmpty {
            let serials = try store.pairedSerials(patientID: patientID, at: now, db: db)
            outcome.reminders += requests.map { SentReminder(patientID: patientID, serials: serials, reminder: $0) }
        }
        return outcome
    }

    /// The patient's readings of every kind measured from `loadFrom` (milliseconds since 1970) on.
    static func recentReadings(patientID: PatientID, from loadFrom: Int64, db: Database) throws -> [Observation] {
        var history: [Observation] = []
        // Read straight from SQLite by column position: this runs for every patient in every
        // batch, and copying rows and finding columns by name was most of its cost. Every kind
        // named, so that SQLite searches `reading_history` per kind from `loadFrom` on (which
        // holds the value too) instead of walking the patient's whole history.
        try StatementBindings.rows(
            of: db.cachedStatement(sql: MonitoringStore.recentReadingsQuery), in: db,
            {
                $0.bind(patientID.rawValue)
                $0.bind(loadFrom)
            }
        ) { row in
            guard let kind = row.readingKind(1) else { return }
            history.append(
                Observation(
                    id: row.int(0), kind: kind, value: row.double(2),
                    measuredAt: Date(millisecondsSince1970: row.int(3))))
        }
        return history
    }

    /// Evaluates the missing-data rules for every patient with a device paired now. With
    /// `reminders`, also records the reminders due today that were not recorded before.
    @discardableResult
    func evaluateMissingData(store: MonitoringStore, db: Database, now: Date, reminders: Bool = false) throws
        -> Outcome
    {
        let at = now.millisecondsSince1970
        let patients = try PatientID.fetchAll(
            db,
            sql:
                "SELECT DISTINCT patient_id FROM pairing WHERE valid_from <= ? AND (valid_to IS NULL OR valid_to > ?) ORDER BY patient_id",
            arguments: [at, at])
        var total = Outcome()
        for patientID in patients {
            guard let context = try store.ruleContext(patientID: patientID, db: db, defaultZone: defaultZone) else {
                continue
            }
            let latest = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT reading.id, reading.kind, reading.value, reading.measured_at FROM latest_reading
                        JOIN reading ON reading.id = latest_reading.reading_id WHERE latest_reading.patient_id = ?
                        """),
                arguments: [patientID]
            ).compactMap { row -> Observation? in
                guard let kind = ReadingKind(rawValue: row["kind"]) else { return nil }
                return Observation(
                    id: row["id"], kind: kind, value: row["value"],
                    measuredAt: Date(millisecondsSince1970: row["measured_at"]))
            }
            let decisions = evaluator.evaluateMissing(latest, context: context, now: now)
            total.add(try apply(decisions, patientID: patientID, store: store, db: db, now: now))
            if reminders {
                let due = evaluator.remindersDue(latest, context: context, now: now)
                let recorded = try store.recordReminders(due, patientID: patientID, at: now, db: db)
                if !recorded.isEmpty {
                    let serials = try store.pairedSerials(patientID: patientID, at: now, db: db)
                    total.reminders += recorded.map {
                        SentReminder(patientID: patientID, serials: serials, reminder: $0)
                    }
                }
            }
        }
        return total
    }

    private func apply(
        _ decisions: [FlagDecision], patientID: PatientID, store: MonitoringStore, db: Database, now: Date
    )
        throws -> Outcome
    {
        guard !decisions.isEmpty else { return Outcome() }
        var book = try store.flagBook(
            patientID: patientID, db: db, ruleOrder: ruleOrder, problems: Set(decisions.map(\.problem)))
        let outcome = apply(decisions, to: &book)
        try store.save(book, patientID: patientID, db: db, now: now)
        return outcome
    }
}
