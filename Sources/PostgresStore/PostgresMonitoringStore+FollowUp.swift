import Foundation
import MonitoringRecords
import PostgresNIO
import ReadingIntake
import StoreInterface
import ThresholdRules
import Vitals

extension PostgresMonitoringStore: FollowUpStore, MessageQuarantine {
    /// Reads what the worklist needs in one read-only transaction at one snapshot (repeatable
    /// read), so a list never mixes states of two moments: seven statements whatever the
    /// number of patients, merged by patient id.
    public func worklistSnapshot(week: String, weighings window: Range<Date>?, at: Date? = nil) async throws
        -> WorklistSnapshot
    {
        let now = (at ?? clock.now()).millisecondsSince1970
        return try await failing("reading the worklist for \(week)") {
            try await withReadSnapshot { connection in
                var lines = try await collect(
                    connection.query(
                        """
                        SELECT \(unescaped: Self.patientColumns) FROM patient_monitoring ORDER BY id
                        """, logger: logger)
                ).map { WorklistSnapshot.Line(patient: $0) }
                let index = Dictionary(
                    lines.indices.map { (lines[$0].patient.id, $0) }, uniquingKeysWith: { a, _ in a })

                // The two large reads cell by cell (`RowCells`), in the order selected.
                let operation = "reading the worklist for \(week)"
                for try await row in try await connection.query(
                    """
                    SELECT patient_id, id, rule_id, measurement, severity, state, explanation, epoch_ms(opened_at)
                    FROM flag WHERE state IN ('open', 'escalated') ORDER BY patient_id, opened_at, id
                    """, logger: logger)
                {
                    var cells = RowCells(row, operation)
                    guard let line = index[try cells.next(PatientID.self)] else { continue }
                    lines[line].openFlags.append(
                        WorklistSnapshot.OpenFlag(
                            id: try cells.next(), ruleID: try cells.next(),
                            measurement: ReadingKind(rawValue: try cells.next()) ?? .weight,
                            severity: Severity(rawValue: try cells.next()) ?? .yellow,
                            escalated: try cells.next(String.self) == "escalated", explanation: try cells.next(),
                            openedAt: Date(millisecondsSince1970: try cells.next())))
                }

                for try await row in try await connection.query(
                    """
                    SELECT patient_id, kind, value, epoch_ms(measured_at), week, previous_value, week_days
                    FROM latest_reading
                    """, logger: logger)
                {
                    var cells = RowCells(row, operation)
                    guard let line = index[try cells.next(PatientID.self)],
                        let kind = ReadingKind(rawValue: try cells.next())
                    else { continue }
                    let latest = WorklistSnapshot.Latest(
                        value: try cells.next(), measuredAt: Date(millisecondsSince1970: try cells.next()),
                        weekMonday: try cells.next(), previousWeekValue: try cells.next(), weekDays: try cells.next())
                    lines[line].keep(latest, of: kind)
                }

                if let window {
                    for line in lines.indices { lines[line].weighings = [] }
                    let from = window.lowerBound.millisecondsSince1970
                    let until = window.upperBound.millisecondsSince1970
                    for try await (patientID, measuredAt) in try await connection.query(
                        """
                        SELECT patient_id, epoch_ms(measured_at) FROM reading
                        WHERE kind = 'weight' AND measured_at >= instant(\(from)) AND measured_at < instant(\(until))
                        ORDER BY patient_id, measured_at
                        """, logger: logger
                    ).decode((PatientID, Int64).self) {
                        guard let line = index[patientID] else { continue }
                        lines[line].weighings?.append(Date(millisecondsSince1970: measuredAt))
                    }
                }

                // Each patient's own measurement plan in force now: the newest that has begun.
                for try await (patientID, days) in try await connection.query(
                    """
                    SELECT DISTINCT ON (patient_id) patient_id, value FROM personal_setting
                    WHERE kind = 'plan' AND valid_from <= instant(\(now))
                    ORDER BY patient_id, valid_from DESC, id DESC
                    """, logger: logger
                ).decode((PatientID, Double?).self) {
                    guard let line = index[patientID] else { continue }
                    lines[line].daysAWeek = days.map { Int($0) }
                }

                var reviews: [PatientID: WeeklyReview] = [:]
                for review in try await weeklyReviews(
                    connection.query(
                        """
                        SELECT patient_id, week, reviewed_by, epoch_ms(reviewed_at) FROM review WHERE week = \(week)
                        """, logger: logger))
                {
                    reviews[review.patientID] = review
                }
                var pending: [PatientID: WorklistSnapshot.PendingEscalation] = [:]
                for try await (id, patientID, escalatedAt) in try await connection.query(
                    "SELECT id, patient_id, epoch_ms(escalated_at) FROM escalation WHERE answered_at IS NULL",
                    logger: logger
                ).decode((Int64, PatientID, Int64).self) {
                    pending[patientID] = WorklistSnapshot.PendingEscalation(
                        id: id, escalatedAt: Date(millisecondsSince1970: escalatedAt))
                }
                var snapshot = WorklistSnapshot(lines: lines, reviews: reviews, pendingEscalations: pending)
                // The review dates the cardiologists set, and whether anyone has reviewed since.
                for try await (patientID, date) in try await connection.query(
                    "SELECT patient_id, next_review FROM escalation WHERE next_review IS NOT NULL AND id IN (SELECT max(id) FROM escalation WHERE answered_at IS NOT NULL GROUP BY patient_id)",
                    logger: logger
                ).decode((PatientID, String).self) {
                    snapshot.nextReviews[patientID] = date
                }
                for try await (patientID, week) in try await connection.query(
                    "SELECT patient_id, max(week) FROM review GROUP BY patient_id", logger: logger
                )
                .decode((PatientID, String).self) {
                    snapshot.lastReviewedWeeks[patientID] = week
                }
                return snapshot
            }
        }
    }

    public func patientRecord(id: PatientID, since: Date) async throws -> PatientRecord? {
        let stamp = since.millisecondsSince1970
        return try await failing("reading the record of patient \(id)") {
            try await withReadSnapshot { connection in
                guard
                    let patient = try await collect(
                        connection.query(
                            """
                            SELECT \(unescaped: Self.patientColumns) FROM patient_monitoring WHERE id = \(id)
                            """, logger: logger)
                    ).first
                else { return nil }
                let readings = try await storedReadings(
                    connection.query(
                        """
                        SELECT \(unescaped: ReadingColumns.select("reading")) FROM reading
                        WHERE patient_id = \(id) AND measured_at >= instant(\(stamp)) ORDER BY measured_at, kind
                        """, logger: logger))
                let flags = try await flagRows(
                    connection.query(
                        """
                        SELECT \(unescaped: FlagRow.columns) FROM flag WHERE patient_id = \(id)
                            AND (state IN ('open', 'escalated') OR closed_at >= instant(\(stamp))
                                 OR opened_at >= instant(\(stamp)))
                        ORDER BY opened_at DESC, id DESC
                        """, logger: logger))
                var notes: [ContactNote] = []
                for try await (noteID, contact, text, writtenBy, writtenAt) in try await connection.query(
                    """
                    SELECT id, contact, text, written_by, epoch_ms(written_at) FROM note WHERE patient_id = \(id)
                    ORDER BY written_at DESC, id DESC
                    """, logger: logger
                ).decode((Int64, String, String, String, Int64).self) {
                    notes.append(
                        ContactNote(
                            id: noteID, patientID: id, contact: ContactNote.Contact(rawValue: contact) ?? .none,
                            text: text, writtenBy: writtenBy, writtenAt: Date(millisecondsSince1970: writtenAt)))
                }
                let pairings = try await pairings(
                    connection.query(
                        """
                        SELECT id, serial, patient_id, valid_from, valid_to FROM pairing WHERE patient_id = \(id)
                        ORDER BY valid_from DESC
                        """, logger: logger))
                let reviews = try await weeklyReviews(
                    connection.query(
                        """
                        SELECT patient_id, week, reviewed_by, epoch_ms(reviewed_at) FROM review WHERE patient_id = \(id)
                        ORDER BY week DESC
                        """, logger: logger))
                var reminders: [ReminderRecord] = []
                for try await (ruleID, measurement, due, createdAt) in try await connection.query(
                    """
                    SELECT rule_id, measurement, due_day, epoch_ms(created_at) FROM reminder
                    WHERE patient_id = \(id) AND created_at >= instant(\(stamp))
                    ORDER BY created_at DESC, id DESC
                    """, logger: logger
                ).decode((String, String, String, Int64).self) {
                    reminders.append(
                        ReminderRecord(
                            ruleID: ruleID, measurement: ReadingKind(rawValue: measurement) ?? .weight, due: due,
                            recordedAt: Date(millisecondsSince1970: createdAt)))
                }
                return PatientRecord(
                    patient: patient, readings: readings, flags: flags, notes: notes,
                    settings: try await personalSettings([id], on: connection),
                    escalations: try await escalations(where: "patient_id", equals: id, on: connection),
                    pairings: pairings, reviews: reviews, reminders: reminders)
            }
        }
    }

    public func flag(id: Int64) async throws -> PatientFlag? {
        try await failing("reading flag \(id)") {
            try await flagRows(
                client.query("SELECT \(unescaped: FlagRow.columns) FROM flag WHERE id = \(id)", logger: logger)
            ).first
        }
    }

    @discardableResult
    public func acknowledge(
        flagID: Int64, by clinician: Clinician, comment: String?, shown: PatientFlag? = nil, at: Date? = nil
    ) async throws -> PatientFlag {
        let now = (at ?? clock.now()).millisecondsSince1970
        let operation = "acknowledging flag \(flagID)"
        return try await failing(operation) {
            try await client.withTransaction(logger: logger) { connection in
                // The row lock makes a second acknowledgement wait, then see the flag closed.
                guard
                    let flag = try await flagRows(
                        connection.query(
                            "SELECT \(unescaped: FlagRow.columns) FROM flag WHERE id = \(flagID) FOR UPDATE",
                            logger: logger)
                    ).first
                else { throw StoreError(operation, "no flag with this id", code: .notFound) }
                let closeComment = try flag.checkAcknowledgement(comment: comment, shown: shown, operation: operation)
                try await connection.query(
                    """
                    UPDATE flag SET state = 'closed', closed_at = instant(\(now)), closed_by = \(clinician.name),
                        close_comment = \(closeComment), updated_at = instant(\(now))
                    WHERE id = \(flagID)
                    """, logger: logger)
                try await audit(
                    .flagAcknowledged, by: clinician, patientID: flag.patientID,
                    detail: flag.acknowledgementDetail(comment: closeComment), at: Date(millisecondsSince1970: now),
                    on: connection)
                return try await flagRows(
                    connection.query(
                        "SELECT \(unescaped: FlagRow.columns) FROM flag WHERE id = \(flagID)", logger: logger)
                )[0]
            }
        }
    }

    @discardableResult
    public func addNote(
        patientID: PatientID, contact: ContactNote.Contact, text: String, by clinician: Clinician, at: Date? = nil
    ) async throws -> ContactNote {
        let now = Date(millisecondsSince1970: (at ?? clock.now()).millisecondsSince1970)
        let operation = "writing a note for patient \(patientID)"
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw StoreError(operation, "the note is empty: write what was said or done") }
        return try await failing(operation) {
            try await client.withTransaction(logger: logger) { connection in
                try await requireMonitoredPatient(patientID, operation: operation, on: connection)
                var id: Int64 = 0
                for try await value in try await connection.query(
                    """
                    INSERT INTO note (patient_id, contact, text, written_by, written_at)
                    VALUES (\(patientID), \(contact.rawValue), \(text), \(clinician.name),
                            instant(\(now.millisecondsSince1970)))
                    RETURNING id
                    """, logger: logger
                ).decode(Int64.self) {
                    id = value
                }
                try await audit(
                    .noteWritten, by: clinician, patientID: patientID, detail: "note \(id) (\(contact.rawValue))",
                    at: now, on: connection)
                return ContactNote(
                    id: id, patientID: patientID, contact: contact, text: text, writtenBy: clinician.name,
                    writtenAt: now)
            }
        }
    }

    @discardableResult
    public func markReviewed(patientID: PatientID, week: String, by clinician: Clinician, at: Date? = nil) async throws
        -> WeeklyReview
    {
        let now = Date(millisecondsSince1970: (at ?? clock.now()).millisecondsSince1970)
        let operation = "marking patient \(patientID) reviewed for \(week)"
        return try await failing(operation) {
            try await client.withTransaction(logger: logger) { connection in
                try await requireMonitoredPatient(patientID, operation: operation, on: connection)
                let inserted = try await connection.query(
                    """
                    INSERT INTO review (patient_id, week, reviewed_by, reviewed_at)
                    VALUES (\(patientID), \(week), \(clinician.name), instant(\(now.millisecondsSince1970)))
                    ON CONFLICT (patient_id, week) DO NOTHING RETURNING 1
                    """, logger: logger
                ).collect()
                if inserted.isEmpty {
                    let first = try await weeklyReviews(
                        connection.query(
                            """
                            SELECT patient_id, week, reviewed_by, epoch_ms(reviewed_at) FROM review
                            WHERE patient_id = \(patientID) AND week = \(week)
                            """, logger: logger))
                    throw StoreError(
                        operation,
                        "already reviewed by \(first.first?.reviewedBy ?? "someone") at \(first.first?.reviewedAt.formatted(.iso8601) ?? "?")",
                        code: .conflict)
                }
                try await audit(
                    .patientReviewed, by: clinician, patientID: patientID, detail: "week \(week)", at: now,
                    on: connection)
                return WeeklyReview(patientID: patientID, week: week, reviewedBy: clinician.name, reviewedAt: now)
            }
        }
    }

    @discardableResult
    public func escalate(
        patientID: PatientID, reason: String, brief: String, hotlineOpen: Bool, by clinician: Clinician, at: Date? = nil
    ) async throws -> Escalation {
        let now = Date(millisecondsSince1970: (at ?? clock.now()).millisecondsSince1970)
        let operation = "escalating patient \(patientID)"
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw StoreError(operation, "a reason is required: why the hotline should look") }
        return try await failing(operation) {
            try await client.withTransaction(logger: logger) { connection in
                // The patient's row lock orders two escalations of one patient.
                try await requireMonitoredPatient(patientID, operation: operation, lock: .update, on: connection)
                for try await (pendingID, escalatedAt) in try await connection.query(
                    """
                    SELECT id, epoch_ms(escalated_at) FROM escalation
                    WHERE patient_id = \(patientID) AND answered_at IS NULL
                    """, logger: logger
                ).decode((Int64, Int64).self) {
                    throw StoreError(
                        operation,
                        "escalation \(pendingID) from \(Date(millisecondsSince1970: escalatedAt).formatted(.iso8601)) is not answered yet; record its answer first",
                        code: .conflict)
                }
                var flagIDs: [Int64] = []
                for try await id in try await connection.query(
                    """
                    UPDATE flag SET state = 'escalated', updated_at = instant(\(now.millisecondsSince1970))
                    WHERE patient_id = \(patientID) AND state = 'open' RETURNING id
                    """, logger: logger
                ).decode(Int64.self) {
                    flagIDs.append(id)
                }
                flagIDs.sort()
                var id: Int64 = 0
                for try await value in try await connection.query(
                    """
                    INSERT INTO escalation (patient_id, reason, brief, flag_ids, hotline_open, escalated_by, escalated_at)
                    VALUES (\(patientID), \(reason), \(brief), \(flagIDs), \(hotlineOpen), \(clinician.name),
                            instant(\(now.millisecondsSince1970)))
                    RETURNING id
                    """, logger: logger
                ).decode(Int64.self) {
                    id = value
                }
                try await audit(
                    .escalated, by: clinician, patientID: patientID,
                    detail: Escalation.auditDetail(id: id, flagIDs: flagIDs, hotlineOpen: hotlineOpen),
                    at: now, on: connection)
                return Escalation(
                    id: id, patientID: patientID, reason: reason, brief: brief, flagIDs: flagIDs,
                    hotlineOpen: hotlineOpen, escalatedBy: clinician.name, escalatedAt: now)
            }
        }
    }

    @discardableResult
    public func answer(
        escalationID: Int64, decision: Escalation.Decision, medicationChange: String? = nil, comment: String? = nil,
        nextReview: String? = nil, settings: [PersonalSetting] = [], ruleSet: RuleSet?, by clinician: Clinician,
        at: Date? = nil
    ) async throws -> Escalation {
        let now = Date(millisecondsSince1970: (at ?? clock.now()).millisecondsSince1970)
        let operation = "recording the answer to escalation \(escalationID)"
        let (medication, comment) = try Escalation.checkAnswer(
            decision: decision, medicationChange: medicationChange, comment: comment, nextReview: nextReview,
            settings: settings, by: clinician, operation: operation)
        guard let current = try await escalation(id: escalationID) else {
            throw StoreError(operation, "no escalation with this id", code: .notFound)
        }
        let reason = try current.checkAnswerable(
            decision, settings: settings, by: clinician, ruleSet: ruleSet, operation: operation)
        return try await failing(operation) {
            try await client.withTransaction(logger: logger) { connection in
                var settingIDs: [Int64] = []
                for setting in settings {
                    settingIDs.append(
                        try await insertPersonalSetting(
                            patientID: current.patientID, setting, reason: reason, by: clinician,
                            at: now, on: connection
                        ).id)
                }
                let stamp = now.millisecondsSince1970
                let answered = try await connection.query(
                    """
                    UPDATE escalation SET decision = \(decision.rawValue), medication_change = \(medication),
                        answer_comment = \(comment), next_review = \(nextReview), setting_ids = \(settingIDs),
                        answered_by = \(clinician.name), answered_at = instant(\(stamp))
                    WHERE id = \(escalationID) AND answered_at IS NULL RETURNING id
                    """, logger: logger
                ).collect()
                guard !answered.isEmpty else {
                    throw StoreError(operation, "answered by someone else meanwhile", code: .conflict)
                }
                let closing = Escalation.closingComment(decision, medicationChange: medication)
                try await connection.query(
                    """
                    UPDATE flag SET state = 'closed', closed_at = instant(\(stamp)), closed_by = \(clinician.name),
                        close_comment = \(closing), updated_at = instant(\(stamp))
                    WHERE patient_id = \(current.patientID) AND state = 'escalated'
                    """, logger: logger)
                try await audit(
                    .escalationAnswered, by: clinician, patientID: current.patientID,
                    detail: Escalation.answerDetail(id: escalationID, decision: decision, settingIDs: settingIDs),
                    at: now, on: connection)
                return try await escalations(where: "id", equals: escalationID, on: connection)[0]
            }
        }
    }

    public func escalation(id: Int64) async throws -> Escalation? {
        try await failing("reading escalation \(id)") {
            try await client.withConnection { connection in
                try await escalations(where: "id", equals: id, on: connection).first
            }
        }
    }

    /// Runs `body` in a read-only transaction at one snapshot (repeatable read): every
    /// statement sees the same moment.
    private func withReadSnapshot<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            return try await body(connection)
        }
    }

    // MARK: Rows

    /// Escalations whose `column` (`id` or `patient_id`) equals `value`, newest first.
    private func escalations(
        where column: String, equals value: some PostgresEncodable & Sendable, on connection: PostgresConnection
    ) async throws -> [Escalation] {
        var escalations: [Escalation] = []
        for try await row in try await connection.query(
            """
            SELECT id, patient_id, reason, brief, flag_ids, hotline_open, escalated_by, epoch_ms(escalated_at),
                   decision, medication_change, answer_comment, next_review, setting_ids, answered_by,
                   epoch_ms(answered_at)
            FROM escalation WHERE \(unescaped: column) = \(value) ORDER BY escalated_at DESC, id DESC
            """, logger: logger)
        {
            let (
                id, patientID, reason, brief, flagIDs, hotlineOpen, escalatedBy, escalatedAt, decision, medication,
                comment, nextReview, settingIDs, answeredBy, answeredAt
            ) = try row.decode(
                (
                    Int64, PatientID, String, String, [Int64], Bool, String, Int64, String?, String?, String?, String?,
                    [Int64]?, String?, Int64?
                ).self)
            escalations.append(
                Escalation(
                    id: id, patientID: patientID, reason: reason, brief: brief, flagIDs: flagIDs,
                    hotlineOpen: hotlineOpen, escalatedBy: escalatedBy,
                    escalatedAt: Date(millisecondsSince1970: escalatedAt),
                    answer: answeredAt.map { at in
                        Escalation.Answer(
                            decision: decision.flatMap(Escalation.Decision.init(rawValue:)) ?? .noChange,
                            medicationChange: medication, comment: comment, nextReview: nextReview,
                            settingIDs: settingIDs ?? [], answeredBy: answeredBy ?? "",
                            answeredAt: Date(millisecondsSince1970: at))
                    }))
        }
        return escalations
    }

    private func weeklyReviews(_ rows: PostgresRowSequence) async throws -> [WeeklyReview] {
        var reviews: [WeeklyReview] = []
        for try await (patientID, week, reviewedBy, reviewedAt) in rows.decode((PatientID, String, String, Int64).self)
        {
            reviews.append(
                WeeklyReview(
                    patientID: patientID, week: week, reviewedBy: reviewedBy,
                    reviewedAt: Date(millisecondsSince1970: reviewedAt)))
        }
        return reviews
    }

}
