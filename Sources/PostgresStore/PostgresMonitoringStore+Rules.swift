import Foundation
import MonitoringRecords
import PostgresNIO
import ReadingIntake
import StoreInterface
import ThresholdRules
import Vitals

/// The rules on PostgreSQL: after a batch's readings are written, in the same transaction and
/// under the same patient locks, each patient with new readings is evaluated from the earliest
/// new measurement on (`RuleEngine`, as on SQLite) and their flags are written back. The reads
/// are set-based: the batch's patients with their histories and closed evidence in one statement,
/// their open flags in another (a third for personal settings, when any of them has one),
/// however many patients the batch touched.
extension PostgresMonitoringStore {
    /// Re-evaluates every patient's reading rules from `from` on (`tele-ingest rules apply`),
    /// in one transaction under the patient locks; returns what changed per patient. A dry run
    /// rolls it back: the outcomes say what would change, and nothing does.
    public func reevaluate(from: Date, rules: RuleEngine, dryRun: Bool) async throws -> [PatientID: RuleEngine.Outcome]
    {
        struct RolledBack: Error { var outcome: [PatientID: RuleEngine.Outcome] }
        do {
            return try await client.withTransaction(logger: logger) { connection in
                var patients: [PatientID] = []
                for try await id in try await connection.query("SELECT id FROM patient ORDER BY id", logger: logger)
                    .decode(PatientID.self)
                {
                    patients.append(id)
                }
                try await lock(.patient, patients, on: connection)
                let outcome = try await evaluateRules(
                    Dictionary(uniqueKeysWithValues: patients.map { ($0, from) }), rules: rules, now: clock.now(),
                    on: connection)
                if dryRun { throw RolledBack(outcome: outcome) }
                return outcome
            }
        } catch let error as PostgresTransactionError {
            if let rolledBack = error.closureError as? RolledBack, error.commitError == nil {
                return rolledBack.outcome
            }
            return try await failing("re-evaluating the rules") { throw error }
        } catch {
            return try await failing("re-evaluating the rules") { throw error }
        }
    }

    /// Runs the missing-data rules for every patient with a device paired now, in one
    /// transaction under their locks; with `reminders`, records the reminders due that were not
    /// recorded before (once per patient, rule and due day) and returns them with the serials
    /// paired now, to be published.
    public func checkMissingData(rules: RuleEngine, now: Date, reminders: Bool) async throws -> RuleEngine.Outcome {
        let at = now.millisecondsSince1970
        return try await failing("checking for missing data") {
            try await client.withTransaction(logger: logger) { connection in
                var serials: [PatientID: [DeviceSerial]] = [:]
                for try await (patientID, serial) in try await connection.query(
                    """
                    SELECT patient_id, serial FROM pairing
                    WHERE valid_from <= instant(\(at)) AND (valid_to IS NULL OR valid_to > instant(\(at)))
                    ORDER BY patient_id, serial
                    """, logger: logger
                ).decode((PatientID, DeviceSerial).self) {
                    serials[patientID, default: []].append(serial)
                }
                let patients = serials.keys.sorted()
                guard !patients.isEmpty else { return RuleEngine.Outcome() }
                try await lock(.patient, patients, on: connection)
                let inputs = try await ruleInputs(patients, rules: rules, on: connection)
                let contexts = inputs.contexts
                var latest: [PatientID: [Observation]] = [:]
                for try await (patientID, id, kind, value, measuredAt) in try await connection.query(
                    """
                    SELECT l.patient_id, r.id, r.kind, r.value, epoch_ms(r.measured_at)
                    FROM latest_reading AS l JOIN reading AS r ON r.id = l.reading_id
                    WHERE l.patient_id = ANY(\(patients)::text[])
                    """, logger: logger
                ).decode((PatientID, Int64, String, Double, Int64).self) {
                    guard let kind = ReadingKind(rawValue: kind) else { continue }
                    latest[patientID, default: []].append(
                        Observation(
                            id: id, kind: kind, value: value, measuredAt: Date(millisecondsSince1970: measuredAt)))
                }
                let books = try await flagBooks(
                    patients, closedThrough: inputs.closedThrough, ruleOrder: rules.ruleOrder, on: connection)
                var total = RuleEngine.Outcome()
                for patientID in patients {
                    guard let context = contexts[patientID] else { continue }
                    let observations = latest[patientID] ?? []
                    let decisions = rules.evaluator.evaluateMissing(observations, context: context, now: now)
                    if !decisions.isEmpty, var book = books[patientID] {
                        total.add(rules.apply(decisions, to: &book))
                        try await save(book, patientID: patientID, now: now, on: connection)
                    }
                    guard reminders else { continue }
                    let due = rules.evaluator.remindersDue(observations, context: context, now: now)
                    for reminder in due {
                        if let sent = try await recordReminder(
                            reminder, patientID: patientID, at: now, serials: serials[patientID] ?? [],
                            on: connection)
                        {
                            total.reminders.append(sent)
                        }
                    }
                }
                return total
            }
        }
    }

    /// Records a reminder not recorded before for the same rule and due day, inside the caller's
    /// transaction; returns it with the devices to publish it to (`serials`, or those paired with
    /// the patient at `now`), or `nil` when it was recorded before.
    func recordReminder(
        _ reminder: MeasurementReminder, patientID: PatientID, at now: Date, serials: [DeviceSerial]? = nil,
        on connection: PostgresConnection
    ) async throws -> RuleEngine.SentReminder? {
        let at = now.millisecondsSince1970
        let recorded = try await connection.query(
            """
            INSERT INTO reminder (patient_id, rule_id, measurement, due_day, created_at)
            VALUES (\(patientID), \(reminder.ruleID), \(reminder.measurement.rawValue),
                    \(reminder.due.description), instant(\(at)))
            ON CONFLICT (patient_id, rule_id, due_day) DO NOTHING
            RETURNING id
            """, logger: logger
        ).collect()
        guard !recorded.isEmpty else { return nil }
        var paired = serials ?? []
        if serials == nil {
            for try await serial in try await connection.query(
                """
                SELECT serial FROM pairing
                WHERE patient_id = \(patientID) AND valid_from <= instant(\(at))
                    AND (valid_to IS NULL OR valid_to > instant(\(at)))
                ORDER BY serial
                """, logger: logger
            ).decode(DeviceSerial.self) {
                paired.append(serial)
            }
        }
        return RuleEngine.SentReminder(patientID: patientID, serials: paired, reminder: reminder)
    }

    /// How many patients' histories and flag books are read at a time when rules run (at most):
    /// a batch of thousands of messages touches up to as many patients, whose weeks of readings
    /// would otherwise all be in memory at once.
    static let ruleGroupSize = 250

    /// Evaluates the reading rules for each patient in `earliest` (the earliest new
    /// measurement) and writes their flags, inside the caller's transaction, reading
    /// `patientsAtATime` patients' histories and flag books at a time; returns what changed per
    /// patient.
    @discardableResult
    func evaluateRules(
        _ earliest: [PatientID: Date], rules: RuleEngine, now: Date, patientsAtATime: Int = ruleGroupSize,
        on connection: PostgresConnection
    ) async throws -> [PatientID: RuleEngine.Outcome] {
        var outcomes: [PatientID: RuleEngine.Outcome] = [:]
        let patients = earliest.keys.sorted()
        let size = max(1, patientsAtATime)
        for start in stride(from: 0, to: patients.count, by: size) {
            let group = Array(patients[start..<min(start + size, patients.count)])
            try await evaluateRules(group, earliest: earliest, rules: rules, now: now, into: &outcomes, on: connection)
        }
        return outcomes
    }

    /// `evaluateRules` for one group of patients.
    private func evaluateRules(
        _ patients: [PatientID], earliest: [PatientID: Date], rules: RuleEngine, now: Date,
        into outcomes: inout [PatientID: RuleEngine.Outcome], on connection: PostgresConnection
    ) async throws {
        let inputs = try await ruleInputs(patients, earliest: earliest, rules: rules, on: connection)
        let contexts = inputs.contexts
        let histories = inputs.histories
        let books = try await flagBooks(
            patients, closedThrough: inputs.closedThrough, ruleOrder: rules.ruleOrder, on: connection)
        for patientID in patients {
            guard let context = contexts[patientID], let instant = earliest[patientID] else { continue }
            let evaluation = rules.decisions(histories[patientID] ?? [], context: context, from: instant)
            var outcome = RuleEngine.Outcome()
            if !evaluation.decisions.isEmpty, var book = books[patientID] {
                outcome = rules.apply(evaluation.decisions, to: &book)
                try await save(book, patientID: patientID, now: now, on: connection)
            }
            outcome.evaluatedDays = evaluation.days
            for request in rules.confirmations(histories[patientID] ?? [], context: context, now: now) {
                if let sent = try await recordReminder(request, patientID: patientID, at: now, on: connection) {
                    outcome.reminders.append(sent)
                }
            }
            outcomes[patientID] = outcome
        }
    }

    /// What the rules read about a group of patients before they evaluate: each patient's
    /// context (zone, monitoring start and end, personal settings), the newest closed evidence
    /// per problem, and (for `earliest`) the readings from the start of the rules' look-back on.
    /// One statement — one round trip — in the common case; a second only for patients who have
    /// personal settings. A batch on PostgreSQL is a series of round trips, each of which costs
    /// the client more than the rows it carries; a patient's readings come as arrays in one row
    /// (docs/PERFORMANCE.md).
    struct RuleInputs {
        var contexts: [PatientID: PatientContext] = [:]
        var closedThrough: [PatientID: [String: Date]] = [:]
        var histories: [PatientID: [Observation]] = [:]
    }

    /// Reads `RuleInputs` for `patients`; histories only for the patients in `earliest`.
    ///
    /// The look-back starts on the patient's local day (`RuleEngine.historyStart`), which the
    /// server does not know: it reads from two days more than the look-back before the UTC day of
    /// the earliest new measurement, earlier than any zone's start, and the rows before the
    /// patient's own start are dropped here, so the rules see exactly the readings they would
    /// from their own start.
    func ruleInputs(
        _ patients: [PatientID], earliest: [PatientID: Date] = [:], rules: RuleEngine,
        on connection: PostgresConnection
    ) async throws -> RuleInputs {
        let operation = "reading what the rules need"
        let margin = Int64(rules.lookbackDays + 2) * 86_400_000
        let from: [Int64] = patients.map { patientID in
            earliest[patientID].map { $0.millisecondsSince1970 / 86_400_000 * 86_400_000 - margin } ?? 0
        }
        let withHistory = patients.map { earliest[$0] != nil }
        var inputs = RuleInputs()
        var unsettled: [(PatientID, TimeZone, Date, Date?)] = []
        var withSettings: [PatientID] = []
        var zones: [String: TimeZone] = [:]
        for try await row in try await connection.execute(
            RuleInputRead(patients: patients, withHistory: withHistory, from: from), logger: logger)
        {
            var cells = RowCells(row, operation)
            let patientID = try cells.next(PatientID.self)
            let zoneName = try cells.next(String.self)
            let zone = zones[zoneName] ?? TimeZone.named(zoneName, otherwise: rules.defaultZone)
            zones[zoneName] = zone
            let start = Date(millisecondsSince1970: try cells.next(Int64.self))
            let ended = try cells.next(Int64?.self).map(Date.init(millisecondsSince1970:))
            if try cells.next(Bool.self) { withSettings.append(patientID) }
            unsettled.append((patientID, zone, start, ended))
            let problems = try cells.next([String]?.self) ?? []
            let through = try cells.next([Int64]?.self) ?? []
            if !problems.isEmpty {
                inputs.closedThrough[patientID] = Dictionary(
                    zip(problems, through.map(Date.init(millisecondsSince1970:))), uniquingKeysWith: max)
            }
            let ids = try cells.next([Int64]?.self) ?? []
            let kinds = try cells.next([String]?.self) ?? []
            let values = try cells.next([Double]?.self) ?? []
            let instants = try cells.next([Int64]?.self) ?? []
            guard let first = earliest[patientID] else { continue }
            guard kinds.count == ids.count, values.count == ids.count, instants.count == ids.count else {
                throw StoreError(operation, "the history of patient \(patientID) came in arrays of different lengths")
            }
            let historyStart = rules.historyStart(from: first, zone: zone)
            // The four arrays come from one pass over the same rows, so they line up; in no
            // stated order, which the rules do not need: they order each kind's readings by time
            // and id themselves (`PatientHistory`; `ArrivalOrderPropertyTests` hand them readings
            // out of order and fail without that). Four `array_agg(… ORDER BY …)` sorted each
            // patient's rows four times on the server for nothing (docs/PERFORMANCE.md).
            var history: [Observation] = []
            history.reserveCapacity(ids.count)
            for index in ids.indices where instants[index] >= historyStart {
                guard let kind = ReadingKind(rawValue: kinds[index]) else { continue }
                history.append(
                    Observation(
                        id: ids[index], kind: kind, value: values[index],
                        measuredAt: Date(millisecondsSince1970: instants[index])))
            }
            inputs.histories[patientID] = history
        }
        var settings: [PatientID: [PersonalSetting]] = [:]
        if !withSettings.isEmpty {
            for record in try await personalSettings(withSettings, on: connection) {
                settings[record.patientID, default: []].append(record.setting)
            }
        }
        for (patientID, zone, start, ended) in unsettled {
            inputs.contexts[patientID] = PatientContext(
                timeZone: zone, monitoringStart: start, settings: settings[patientID] ?? [], monitoringEnded: ended)
        }
        return inputs
    }

    /// Each patient's flag book: open flags, and per problem the newest evidence already closed
    /// (`RuleInputs.closedThrough`).
    private func flagBooks(
        _ patients: [PatientID], closedThrough: [PatientID: [String: Date]], ruleOrder: [String: Int],
        on connection: PostgresConnection
    ) async throws -> [PatientID: FlagBook] {
        var open: [PatientID: [FlagBook.OpenFlag]] = [:]
        for flag in try await flagRows(
            connection.execute(OpenFlagRead(patients: patients), logger: logger), strongestFirst: false)
        {
            open[flag.patientID, default: []].append(
                FlagBook.OpenFlag(
                    id: flag.id, problem: flag.problem, ruleID: flag.ruleID, ruleSetVersion: flag.ruleSetVersion,
                    measurement: flag.measurement, severity: flag.severity, explanation: flag.explanation,
                    readingIDs: flag.readingIDs, evidenceAt: flag.evidenceAt, evidence: flag.evidence,
                    backInRangeAt: flag.backInRangeAt, escalated: flag.state == .escalated))
        }
        var books: [PatientID: FlagBook] = [:]
        for patientID in patients {
            books[patientID] = FlagBook(
                open: open[patientID] ?? [], closedThrough: closedThrough[patientID] ?? [:], ruleOrder: ruleOrder)
        }
        return books
    }

    /// Writes what changed in the book: withdrawn flags, updated flags, new flags.
    private func save(_ book: FlagBook, patientID: PatientID, now: Date, on connection: PostgresConnection) async throws
    {
        let stamp = now.millisecondsSince1970
        for flag in book.withdrawn {
            guard let id = flag.id else { continue }
            try await connection.query(
                """
                UPDATE flag SET state = 'withdrawn', closed_at = instant(\(stamp)),
                    close_comment = 'withdrawn: late readings showed the rule does not fire', updated_at = instant(\(stamp))
                WHERE id = \(id) AND state = 'open'
                """, logger: logger)
        }
        for flag in book.open.values.sorted(by: { $0.problem < $1.problem }) where flag.changed {
            let ids = IDList.text(flag.readingIDs)
            let supports = IDList.text(flag.supports.map(\.millisecondsSince1970).sorted())
            let evidence = FlagEvidence.encode(flag.evidence)
            let evidenceAt = flag.evidenceAt.millisecondsSince1970
            let back = flag.backInRangeAt?.millisecondsSince1970
            if let id = flag.id {
                try await connection.query(
                    """
                    UPDATE flag SET rule_id = \(flag.ruleID), severity = \(flag.severity.rawValue),
                        explanation = \(flag.explanation), reading_ids = \(ids), evidence_at = instant(\(evidenceAt)),
                        supports = \(supports), evidence = \(evidence), back_in_range_at = instant(\(back)),
                        rule_set_version = \(flag.ruleSetVersion), updated_at = instant(\(stamp))
                    WHERE id = \(id)
                    """, logger: logger)
            } else {
                try await connection.query(
                    """
                    INSERT INTO flag (patient_id, problem, rule_id, rule_set_version, measurement, severity, state,
                                      explanation, reading_ids, evidence_at, supports, evidence, back_in_range_at,
                                      opened_at, updated_at)
                    VALUES (\(patientID), \(flag.problem), \(flag.ruleID), \(flag.ruleSetVersion),
                            \(flag.measurement.rawValue), \(flag.severity.rawValue), 'open', \(flag.explanation), \(ids),
                            instant(\(evidenceAt)), \(supports), \(evidence), instant(\(back)), instant(\(stamp)),
                            instant(\(stamp)))
                    """, logger: logger)
            }
        }
    }

    /// Open and escalated flags by severity (`red`, `yellow`).
    public func openFlagCounts() async throws -> [String: Int] {
        try await counts(
            "SELECT severity, count(*)::bigint FROM flag WHERE state IN ('open', 'escalated') GROUP BY severity",
            "counting open flags")
    }

    /// Flags, newest first, optionally of one patient and one state.
    public func flags(patientID: PatientID? = nil, state: PatientFlag.State? = nil) async throws -> [PatientFlag] {
        try await failing("listing flags") {
            var flags: [PatientFlag] = []
            for flag in try await flagRows(
                client.query(
                    """
                    SELECT \(unescaped: FlagRow.columns) FROM flag
                    WHERE (\(patientID)::text IS NULL OR patient_id = \(patientID))
                      AND (\(state?.rawValue)::text IS NULL OR state = \(state?.rawValue))
                    ORDER BY opened_at DESC, id DESC
                    """, logger: logger))
            {
                flags.append(flag)
            }
            return flags
        }
    }

    /// Flags read from rows of `FlagRow.columns`, their evidence strongest first or (for the
    /// flag book) as stored.
    func flagRows<Rows: AsyncSequence>(_ rows: Rows, strongestFirst: Bool = true) async throws -> [PatientFlag]
    where Rows.Element == PostgresRow {
        var flags: [PatientFlag] = []
        let order = FlagBook()
        for try await row in rows {
            let (
                id, patientID, problem, ruleID, version, measurement, severityName, state, explanation, readingIDs,
                evidenceAt, evidence, back, openedAt, updatedAt, closedAt, closedBy, comment
            ) = try row.decode(
                (
                    Int64, PatientID, String, String, Int, String, String, String, String, String, Int64, String?,
                    Int64?, Int64, Int64, Int64?, String?, String?
                ).self)
            let severity = Severity(rawValue: severityName) ?? .yellow
            flags.append(
                PatientFlag(
                    id: id, patientID: patientID, problem: problem, ruleID: ruleID, ruleSetVersion: version,
                    measurement: ReadingKind(rawValue: measurement) ?? .weight, severity: severity,
                    state: PatientFlag.State(rawValue: state) ?? .open, explanation: explanation,
                    evidence: strongestFirst
                        ? (FlagEvidence.decode(evidence) ?? []).sorted { order.stronger($0, than: $1) }
                        : FlagEvidence.decode(evidence) ?? [],
                    readingIDs: IDList.parse(readingIDs), evidenceAt: Date(millisecondsSince1970: evidenceAt),
                    backInRangeAt: back.map(Date.init(millisecondsSince1970:)),
                    openedAt: Date(millisecondsSince1970: openedAt), updatedAt: Date(millisecondsSince1970: updatedAt),
                    closedAt: closedAt.map(Date.init(millisecondsSince1970:)), closedBy: closedBy,
                    closeComment: comment))
        }
        return flags
    }
}

/// The columns a `PatientFlag` is read from, in order.
enum FlagRow {
    static let columns = """
        id, patient_id, problem, rule_id, rule_set_version, measurement, severity, state, explanation, reading_ids,
        epoch_ms(evidence_at), evidence, epoch_ms(back_in_range_at), epoch_ms(opened_at), epoch_ms(updated_at),
        epoch_ms(closed_at), closed_by, close_comment
        """
}

/// A group of patients' monitoring, closed evidence and (where `withHistory`) readings since
/// `from` as arrays, one row per patient (`ruleInputs`). Each patient is looked up on its own
/// (a lateral subquery with `LIMIT 1`, as in `LockedDeviceRead`): as a join, the kept plan hashed
/// the whole patient table for a batch's few patients while it held about a thousand.
struct RuleInputRead: BatchStatement {
    static let name = "tele_ingest_rule_input_read"
    static let sql = Self(patients: [], withHistory: [], from: []).query.sql
    let query: PostgresQuery

    init(patients: [PatientID], withHistory: [Bool], from: [Int64]) {
        query = """
            SELECT m.id, m.time_zone, epoch_ms(m.monitoring_start), epoch_ms(m.ended_at),
                   EXISTS (SELECT 1 FROM personal_setting AS s WHERE s.patient_id = m.id),
                   c.problems, c.through, h.ids, h.kinds, h.vals, h.at
            FROM unnest(\(patients)::text[], \(withHistory)::bool[], \(from)::bigint[]) AS p (patient_id, with_history, from_ms)
            CROSS JOIN LATERAL (SELECT * FROM patient_monitoring WHERE id = p.patient_id LIMIT 1) AS m
            LEFT JOIN LATERAL (
                SELECT array_agg(problem ORDER BY problem) AS problems,
                       array_agg(epoch_ms(through) ORDER BY problem) AS through
                FROM (SELECT problem, max(evidence_at) AS through FROM flag
                      WHERE patient_id = p.patient_id AND state = 'closed' GROUP BY problem) AS closed
            ) AS c ON true
            LEFT JOIN LATERAL (
                SELECT array_agg(r.id) AS ids, array_agg(r.kind) AS kinds, array_agg(r.value) AS vals,
                       array_agg(epoch_ms(r.measured_at)) AS at
                FROM reading AS r
                WHERE p.with_history AND r.patient_id = p.patient_id
                  AND r.kind = ANY(\(ReadingKind.allCases.map(\.rawValue))::text[])
                  AND r.measured_at >= instant(p.from_ms)
            ) AS h ON true
            """
    }
}

/// The open and escalated flags of a group of patients.
private struct OpenFlagRead: BatchStatement {
    static let name = "tele_ingest_open_flag_read"
    static let sql = Self(patients: []).query.sql
    let query: PostgresQuery

    init(patients: [PatientID]) {
        query = """
            SELECT \(unescaped: FlagRow.columns) FROM flag
            WHERE patient_id = ANY(\(patients)::text[]) AND state IN ('open', 'escalated')
            """
    }
}
