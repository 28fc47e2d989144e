import Foundation
import GRDB

/// The database schema, as an ordered list of migrations. This is the one owner of the schema:
/// nothing else creates or alters tables. Instants are INTEGER milliseconds since 1970 UTC.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: patients, devices, pairings, journal, readings, quarantine") { db in
            try db.execute(
                sql: """
                    CREATE TABLE patient (
                        id TEXT PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL,
                        cpr TEXT,
                        time_zone TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    CREATE TABLE device (
                        serial TEXT PRIMARY KEY NOT NULL,
                        registered_at INTEGER NOT NULL
                    );
                    -- A device belongs to one patient for [valid_from, valid_to); NULL valid_to: still paired.
                    CREATE TABLE pairing (
                        id INTEGER PRIMARY KEY,
                        serial TEXT NOT NULL REFERENCES device(serial),
                        patient_id TEXT NOT NULL REFERENCES patient(id),
                        valid_from INTEGER NOT NULL,
                        valid_to INTEGER,
                        CHECK (valid_to IS NULL OR valid_to > valid_from)
                    );
                    CREATE INDEX pairing_by_serial ON pairing(serial, valid_from);
                    CREATE INDEX pairing_by_patient ON pairing(patient_id);

                    -- Every raw message, committed before the broker gets its PUBACK.
                    CREATE TABLE journal (
                        id INTEGER PRIMARY KEY,
                        source TEXT NOT NULL,
                        topic TEXT NOT NULL,
                        payload BLOB NOT NULL,
                        received_at INTEGER NOT NULL,
                        processed_at INTEGER,
                        outcome TEXT
                    );
                    CREATE INDEX journal_pending ON journal(id) WHERE processed_at IS NULL;

                    CREATE TABLE reading (
                        id INTEGER PRIMARY KEY,
                        patient_id TEXT NOT NULL REFERENCES patient(id),
                        serial TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        value REAL NOT NULL,
                        unit TEXT NOT NULL,
                        original_value REAL NOT NULL,
                        original_unit TEXT NOT NULL,
                        measured_at INTEGER NOT NULL,
                        received_at INTEGER NOT NULL,
                        journal_id INTEGER NOT NULL REFERENCES journal(id),
                        message_id TEXT,
                        profile_id TEXT NOT NULL
                    );
                    -- "Last 90 days of weight for a patient": one range scan.
                    CREATE INDEX reading_by_patient ON reading(patient_id, kind, measured_at);
                    -- Idempotency: the device's message id where it has one, else the natural key.
                    CREATE UNIQUE INDEX reading_by_message ON reading(serial, message_id, kind) WHERE message_id IS NOT NULL;
                    CREATE UNIQUE INDEX reading_by_time ON reading(serial, kind, measured_at) WHERE message_id IS NULL;

                    -- "All patients' latest readings": one row per patient and kind, kept on insert.
                    CREATE TABLE latest_reading (
                        patient_id TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        reading_id INTEGER NOT NULL REFERENCES reading(id),
                        measured_at INTEGER NOT NULL,
                        PRIMARY KEY (patient_id, kind)
                    ) WITHOUT ROWID;

                    CREATE TABLE quarantine (
                        id INTEGER PRIMARY KEY,
                        journal_id INTEGER NOT NULL UNIQUE REFERENCES journal(id),
                        source TEXT NOT NULL,
                        topic TEXT NOT NULL,
                        payload BLOB NOT NULL,
                        reason TEXT NOT NULL,
                        message TEXT NOT NULL,
                        serial TEXT,
                        profile_id TEXT,
                        quarantined_at INTEGER NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 1,
                        resolved_at INTEGER,
                        resolution TEXT
                    );
                    CREATE INDEX quarantine_open ON quarantine(reason) WHERE resolved_at IS NULL;
                    """)
        }
        migrator.registerMigration("v2: flags and personal settings") { db in
            try db.execute(
                sql: """
                    -- When follow-up began: the measurement plan is daily for the first days after it.
                    ALTER TABLE patient ADD COLUMN monitoring_start INTEGER;
                    UPDATE patient SET monitoring_start = created_at;

                    -- One open (or escalated) flag per patient and rule; closed flags stay for the record,
                    -- and so do withdrawn ones (raised on data a late reading showed incomplete).
                    CREATE TABLE flag (
                        id INTEGER PRIMARY KEY,
                        patient_id TEXT NOT NULL REFERENCES patient(id),
                        rule_id TEXT NOT NULL,
                        rule_set_version INTEGER NOT NULL,
                        measurement TEXT NOT NULL,
                        severity TEXT NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('open', 'escalated', 'closed', 'withdrawn')),
                        explanation TEXT NOT NULL,
                        reading_ids TEXT NOT NULL,
                        evidence_at INTEGER NOT NULL,
                        supports TEXT NOT NULL,
                        back_in_range_at INTEGER,
                        opened_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        closed_at INTEGER,
                        closed_by TEXT,
                        close_comment TEXT
                    );
                    CREATE UNIQUE INDEX flag_open ON flag(patient_id, rule_id) WHERE state IN ('open', 'escalated');
                    CREATE INDEX flag_by_state ON flag(state, severity, opened_at);

                    -- A cardiologist's personal limits, dry weights and suspensions: append-only,
                    -- each with who, when, why and the flags open at the time.
                    CREATE TABLE personal_setting (
                        id INTEGER PRIMARY KEY,
                        patient_id TEXT NOT NULL REFERENCES patient(id),
                        kind TEXT NOT NULL CHECK (kind IN ('limit', 'dryWeight', 'suspension')),
                        rule_id TEXT,
                        parameter TEXT,
                        value REAL,
                        until INTEGER,
                        valid_from INTEGER NOT NULL,
                        reason TEXT NOT NULL,
                        set_by TEXT NOT NULL,
                        set_at INTEGER NOT NULL,
                        open_flags TEXT NOT NULL
                    );
                    CREATE INDEX personal_setting_by_patient ON personal_setting(patient_id, valid_from);
                    CREATE TRIGGER personal_setting_no_update BEFORE UPDATE ON personal_setting
                        BEGIN SELECT RAISE(ABORT, 'personal settings are append-only'); END;
                    CREATE TRIGGER personal_setting_no_delete BEFORE DELETE ON personal_setting
                        BEGIN SELECT RAISE(ABORT, 'personal settings are append-only'); END;
                    """)
        }
        migrator.registerMigration("v3: follow-up: notes, weekly reviews, escalations, audit log") { db in
            try db.execute(
                sql: """
                    -- What the nurse and the patient talked about; part of the record, never edited.
                    CREATE TABLE note (
                        id INTEGER PRIMARY KEY,
                        patient_id TEXT NOT NULL REFERENCES patient(id),
                        contact TEXT NOT NULL CHECK (contact IN ('phone', 'video', 'home-visit', 'none')),
                        text TEXT NOT NULL,
                        written_by TEXT NOT NULL,
                        written_at INTEGER NOT NULL
                    );
                    CREATE INDEX note_by_patient ON note(patient_id, written_at);
                    CREATE TRIGGER note_no_update BEFORE UPDATE ON note
                        BEGIN SELECT RAISE(ABORT, 'notes are append-only'); END;
                    CREATE TRIGGER note_no_delete BEFORE DELETE ON note
                        BEGIN SELECT RAISE(ABORT, 'notes are append-only'); END;

                    -- "Reviewed for the week": one per patient and ISO week (2026-W47).
                    CREATE TABLE review (
                        patient_id TEXT NOT NULL REFERENCES patient(id),
                        week TEXT NOT NULL,
                        reviewed_by TEXT NOT NULL,
                        reviewed_at INTEGER NOT NULL,
                        PRIMARY KEY (patient_id, week)
                    ) WITHOUT ROWID;
                    CREATE INDEX review_by_week ON review(week);

                    -- An escalation to the heart-failure hotline with the brief as sent, and the
                    -- cardiologist's answer once recorded.
                    CREATE TABLE escalation (
                        id INTEGER PRIMARY KEY,
                        patient_id TEXT NOT NULL REFERENCES patient(id),
                        reason TEXT NOT NULL,
                        brief TEXT NOT NULL,
                        flag_ids TEXT NOT NULL,
                        hotline_open INTEGER NOT NULL,
                        escalated_by TEXT NOT NULL,
                        escalated_at INTEGER NOT NULL,
                        decision TEXT CHECK (decision IN ('medication-changed', 'thresholds-changed', 'outpatient-visit', 'admission', 'no-change')),
                        medication_change TEXT,
                        answer_comment TEXT,
                        next_review TEXT,
                        setting_ids TEXT,
                        answered_by TEXT,
                        answered_at INTEGER
                    );
                    CREATE INDEX escalation_by_patient ON escalation(patient_id, escalated_at);
                    CREATE INDEX escalation_unanswered ON escalation(patient_id) WHERE answered_at IS NULL;
                    CREATE TRIGGER escalation_answer_once BEFORE UPDATE ON escalation
                        WHEN OLD.answered_at IS NOT NULL OR NEW.brief IS NOT OLD.brief OR NEW.reason IS NOT OLD.reason
                            OR NEW.escalated_by IS NOT OLD.escalated_by OR NEW.escalated_at IS NOT OLD.escalated_at
                        BEGIN SELECT RAISE(ABORT, 'an escalation is recorded once and answered once'); END;
                    CREATE TRIGGER escalation_no_delete BEFORE DELETE ON escalation
                        BEGIN SELECT RAISE(ABORT, 'escalations are part of the record'); END;

                    -- Who looked at or did what, to which patient: append-only.
                    CREATE TABLE audit_log (
                        id INTEGER PRIMARY KEY,
                        at INTEGER NOT NULL,
                        user TEXT NOT NULL,
                        role TEXT NOT NULL,
                        action TEXT NOT NULL,
                        patient_id TEXT,
                        detail TEXT NOT NULL
                    );
                    CREATE INDEX audit_by_patient ON audit_log(patient_id, at);
                    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    """)
        }
        migrator.registerMigration(
            "v4: latest readings carry their value, last week's reference and the days measured this week"
        ) { db in
            // The worklist shows every patient's latest values with an arrow against the latest
            // value before the week began. Kept on insert, so the list needs no per-patient
            // search through the readings (see LatestReading). Frozen SQL: the rows kept before
            // this version are left without a week, and `completeKeptValues` fills them in from
            // the readings after migrating, with the application's own code.
            try db.execute(
                sql: """
                    ALTER TABLE latest_reading ADD COLUMN value REAL;
                    ALTER TABLE latest_reading ADD COLUMN week INTEGER;
                    ALTER TABLE latest_reading ADD COLUMN previous_value REAL;
                    ALTER TABLE latest_reading ADD COLUMN previous_at INTEGER;
                    ALTER TABLE latest_reading ADD COLUMN week_days INTEGER NOT NULL DEFAULT 0;
                    """)
        }
        migrator.registerMigration("v5: the service's own status") { db in
            // One row, rewritten every few seconds by the running service: `tele-ingest status`
            // reads it beside the journal backlog and the quarantine.
            try db.execute(
                sql: """
                    CREATE TABLE service_status (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        pid INTEGER NOT NULL,
                        started_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        broker TEXT NOT NULL,
                        connection TEXT NOT NULL,
                        connected INTEGER NOT NULL,
                        connection_since INTEGER NOT NULL,
                        running INTEGER NOT NULL,
                        falling_behind INTEGER NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v6: how far the message inbox has been moved into the journal") { db in
            // One row: the id of the last inbox message moved into the journal, written in the
            // transaction that moves it (MessageInbox, MonitoringStore.moveFromInbox).
            try db.execute(
                sql: """
                    CREATE TABLE inbox_progress (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        moved_through INTEGER NOT NULL
                    );
                    INSERT INTO inbox_progress (id, moved_through) VALUES (1, 0);
                    """)
        }
        migrator.registerMigration("v7: one open flag per problem, with the evidence it rests on") { db in
            // Rules that see the same thing (a weight gain) share one flag: `problem` names it
            // (the rule id where a rule shares with no other). `evidence`: JSON, one entry per
            // rule and day that fired while the flag was open ({at, ruleID, severity,
            // explanation}); NULL for flags written before, read as their single support.
            try db.execute(
                sql: """
                    ALTER TABLE flag ADD COLUMN problem TEXT;
                    UPDATE flag SET problem = rule_id;
                    ALTER TABLE flag ADD COLUMN evidence TEXT;
                    DROP INDEX flag_open;
                    CREATE UNIQUE INDEX flag_open ON flag(patient_id, problem) WHERE state IN ('open', 'escalated');
                    """)
        }
        migrator.registerMigration("v8: a patient's own measurement plan among the personal settings") { db in
            // SQLite cannot change a CHECK constraint: the append-only table is rebuilt with the
            // new kind 'plan' (value: days a week after the daily phase; NULL: the rule set's).
            try db.execute(
                sql: """
                    DROP TRIGGER personal_setting_no_update;
                    DROP TRIGGER personal_setting_no_delete;
                    CREATE TABLE personal_setting_v8 (
                        id INTEGER PRIMARY KEY,
                        patient_id TEXT NOT NULL REFERENCES patient(id),
                        kind TEXT NOT NULL CHECK (kind IN ('limit', 'dryWeight', 'suspension', 'plan')),
                        rule_id TEXT,
                        parameter TEXT,
                        value REAL,
                        until INTEGER,
                        valid_from INTEGER NOT NULL,
                        reason TEXT NOT NULL,
                        set_by TEXT NOT NULL,
                        set_at INTEGER NOT NULL,
                        open_flags TEXT NOT NULL
                    );
                    INSERT INTO personal_setting_v8 SELECT id, patient_id, kind, rule_id, parameter, value, until,
                        valid_from, reason, set_by, set_at, open_flags FROM personal_setting;
                    DROP TABLE personal_setting;
                    ALTER TABLE personal_setting_v8 RENAME TO personal_setting;
                    CREATE INDEX personal_setting_by_patient ON personal_setting(patient_id, valid_from);
                    CREATE TRIGGER personal_setting_no_update BEFORE UPDATE ON personal_setting
                        BEGIN SELECT RAISE(ABORT, 'personal settings are append-only'); END;
                    CREATE TRIGGER personal_setting_no_delete BEFORE DELETE ON personal_setting
                        BEGIN SELECT RAISE(ABORT, 'personal settings are append-only'); END;
                    """)
        }
        migrator.registerMigration("v9: reminders to measure, one per patient, rule and due day") { db in
            try db.execute(
                sql: """
                    CREATE TABLE reminder (
                        id INTEGER PRIMARY KEY,
                        patient_id TEXT NOT NULL REFERENCES patient(id),
                        rule_id TEXT NOT NULL,
                        measurement TEXT NOT NULL,
                        due_day TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        UNIQUE (patient_id, rule_id, due_day)
                    );
                    """)
        }
        migrator.registerMigration("v10: status and inbox progress per ingest worker") { db in
            // Several `tele-ingest run` processes may share one store: each keeps its status and
            // how far its own inbox is moved under its worker name. The single rows of v5 and v6
            // become the rows of worker 'main', the name a single service has.
            try db.execute(
                sql: """
                    CREATE TABLE worker_status (
                        worker TEXT PRIMARY KEY NOT NULL,
                        client_id TEXT NOT NULL,
                        host TEXT NOT NULL,
                        pid INTEGER NOT NULL,
                        started_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        broker TEXT NOT NULL,
                        connection TEXT NOT NULL,
                        connected INTEGER NOT NULL,
                        connection_since INTEGER NOT NULL,
                        running INTEGER NOT NULL,
                        falling_behind INTEGER NOT NULL
                    );
                    INSERT INTO worker_status
                        SELECT 'main', '', '', pid, started_at, updated_at, broker, connection, connected,
                               connection_since, running, falling_behind
                        FROM service_status;
                    DROP TABLE service_status;
                    CREATE TABLE inbox_progress_v10 (
                        worker TEXT PRIMARY KEY NOT NULL,
                        moved_through INTEGER NOT NULL
                    );
                    INSERT INTO inbox_progress_v10 SELECT 'main', moved_through FROM inbox_progress;
                    DROP TABLE inbox_progress;
                    ALTER TABLE inbox_progress_v10 RENAME TO inbox_progress;
                    """)
        }
        migrator.registerMigration("v11: the end of a patient's monitoring period") { db in
            // A period ends once (reason, remark, who, when) and is reopened at most once; a new
            // end after a reopening is a new row. The view gives every patient with the end in force.
            try db.execute(
                sql: """
                    CREATE TABLE monitoring_end (
                        id INTEGER PRIMARY KEY,
                        patient_id TEXT NOT NULL REFERENCES patient(id),
                        reason TEXT NOT NULL CHECK (reason IN ('completed', 'admitted', 'moved', 'died', 'declined')),
                        comment TEXT,
                        ended_by TEXT NOT NULL,
                        ended_at INTEGER NOT NULL,
                        reopened_by TEXT,
                        reopened_at INTEGER
                    );
                    CREATE UNIQUE INDEX monitoring_end_in_force ON monitoring_end(patient_id) WHERE reopened_at IS NULL;
                    CREATE TRIGGER monitoring_end_reopened_once BEFORE UPDATE ON monitoring_end
                        WHEN OLD.reopened_at IS NOT NULL OR NEW.patient_id IS NOT OLD.patient_id
                            OR NEW.reason IS NOT OLD.reason OR NEW.comment IS NOT OLD.comment
                            OR NEW.ended_by IS NOT OLD.ended_by OR NEW.ended_at IS NOT OLD.ended_at
                        BEGIN SELECT RAISE(ABORT, 'an end of monitoring is recorded once and reopened once'); END;
                    CREATE TRIGGER monitoring_end_no_delete BEFORE DELETE ON monitoring_end
                        BEGIN SELECT RAISE(ABORT, 'the end of a monitoring period is part of the record'); END;
                    CREATE VIEW patient_monitoring AS
                        SELECT patient.*, e.reason AS end_reason, e.comment AS end_comment, e.ended_by, e.ended_at
                        FROM patient LEFT JOIN monitoring_end e ON e.patient_id = patient.id AND e.reopened_at IS NULL;
                    """)
        }
        migrator.registerMigration("v12: teams, patients' teams and the clinician directory") { db in
            // A clinician's teams are a comma-separated list of team ids ('' for every team).
            try db.execute(
                sql: """
                    CREATE TABLE team (
                        id TEXT PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL
                    );
                    ALTER TABLE patient ADD COLUMN team TEXT REFERENCES team(id);
                    CREATE TABLE clinician (
                        account TEXT PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL,
                        role TEXT NOT NULL CHECK (role IN ('nurse', 'cardiologist')),
                        teams TEXT NOT NULL DEFAULT ''
                    );
                    """)
        }
        migrator.registerMigration("v13: notifications sent through the site's notifier") { db in
            // One row per event sent (a red flag overdue, an escalation after hours): claimed
            // before the command runs, so that several workers or consoles send it once.
            try db.execute(
                sql: """
                    CREATE TABLE notification (
                        kind TEXT NOT NULL,
                        reference INTEGER NOT NULL,
                        patient_id TEXT NOT NULL REFERENCES patient(id),
                        sent_at INTEGER NOT NULL,
                        PRIMARY KEY (kind, reference)
                    );
                    """)
        }
        migrator.registerMigration("v14: a patient's change history") { db in
            // Every edit of a patient's registration keeps the value it replaced: append-only.
            try db.execute(
                sql: """
                    CREATE TABLE patient_change (
                        id INTEGER PRIMARY KEY,
                        patient_id TEXT NOT NULL REFERENCES patient(id),
                        field TEXT NOT NULL,
                        old_value TEXT,
                        new_value TEXT,
                        reason TEXT NOT NULL,
                        changed_by TEXT NOT NULL,
                        changed_at INTEGER NOT NULL
                    );
                    CREATE INDEX patient_change_by_patient ON patient_change(patient_id, changed_at);
                    CREATE TRIGGER patient_change_no_update BEFORE UPDATE ON patient_change
                        BEGIN SELECT RAISE(ABORT, 'the change history is append-only'); END;
                    CREATE TRIGGER patient_change_no_delete BEFORE DELETE ON patient_change
                        BEGIN SELECT RAISE(ABORT, 'the change history is append-only'); END;
                    """)
        }
        migrator.registerMigration("v15: indexes for the rules' reads") { db in
            // The rules read each patient's recent readings per kind and the newest closed
            // evidence per problem in every batch. With `reading_by_patient` SQLite walked the
            // patient's whole history in the index and fetched every recent row from the table
            // for its value; with no index on a patient's closed flags it walked every closed
            // flag of every patient. Both are now searches that the index alone answers.
            try db.execute(
                sql: """
                    CREATE INDEX reading_history ON reading(patient_id, kind, measured_at, value);
                    DROP INDEX reading_by_patient;
                    CREATE INDEX flag_by_patient ON flag(patient_id, state, problem, evidence_at);
                    """)
        }
        migrator.registerMigration("v16: retention of the journal's raw payloads") { db in
            // A message's payload is removed once its readings are stored and it is older than
            // the retention time; the row stays, saying when. The walk through the journal goes
            // on from where the last one stopped.
            try db.execute(
                sql: """
                    ALTER TABLE journal ADD COLUMN payload_removed_at INTEGER;
                    CREATE TABLE journal_retention (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        pruned_through INTEGER NOT NULL
                    );
                    INSERT INTO journal_retention (id, pruned_through) VALUES (1, 0);
                    """)
        }
        migrator.registerMigration("v17: erasing a patient's data when the law allows it") { db in
            // One row per erased patient (no name, no CPR number): the id is never given again.
            // The append-only tables let a patient's rows go only once that row exists, in the
            // erasing transaction; the audit log keeps its entries on the patient, and only their
            // detail may be blanked (PatientErasure).
            try db.execute(
                sql: """
                    CREATE TABLE patient_erasure (
                        patient_id TEXT PRIMARY KEY NOT NULL,
                        basis TEXT NOT NULL CHECK (basis IN ('retention-over', 'registered-in-error')),
                        reason TEXT NOT NULL,
                        erased_by TEXT NOT NULL,
                        erased_at INTEGER NOT NULL,
                        removed TEXT NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TRIGGER patient_erasure_no_update BEFORE UPDATE ON patient_erasure
                        BEGIN SELECT RAISE(ABORT, 'erasures are append-only'); END;
                    CREATE TRIGGER patient_erasure_no_delete BEFORE DELETE ON patient_erasure
                        BEGIN SELECT RAISE(ABORT, 'erasures are append-only'); END;

                    DROP TRIGGER personal_setting_no_delete;
                    CREATE TRIGGER personal_setting_no_delete BEFORE DELETE ON personal_setting
                        WHEN OLD.patient_id NOT IN (SELECT patient_id FROM patient_erasure)
                        BEGIN SELECT RAISE(ABORT, 'personal settings are append-only'); END;
                    DROP TRIGGER note_no_delete;
                    CREATE TRIGGER note_no_delete BEFORE DELETE ON note
                        WHEN OLD.patient_id NOT IN (SELECT patient_id FROM patient_erasure)
                        BEGIN SELECT RAISE(ABORT, 'notes are append-only'); END;
                    DROP TRIGGER escalation_no_delete;
                    CREATE TRIGGER escalation_no_delete BEFORE DELETE ON escalation
                        WHEN OLD.patient_id NOT IN (SELECT patient_id FROM patient_erasure)
                        BEGIN SELECT RAISE(ABORT, 'escalations are part of the record'); END;
                    DROP TRIGGER monitoring_end_no_delete;
                    CREATE TRIGGER monitoring_end_no_delete BEFORE DELETE ON monitoring_end
                        WHEN OLD.patient_id NOT IN (SELECT patient_id FROM patient_erasure)
                        BEGIN SELECT RAISE(ABORT, 'the end of a monitoring period is part of the record'); END;
                    DROP TRIGGER patient_change_no_delete;
                    CREATE TRIGGER patient_change_no_delete BEFORE DELETE ON patient_change
                        WHEN OLD.patient_id NOT IN (SELECT patient_id FROM patient_erasure)
                        BEGIN SELECT RAISE(ABORT, 'the change history is append-only'); END;
                    DROP TRIGGER audit_log_no_update;
                    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                        WHEN OLD.patient_id IS NULL OR OLD.patient_id NOT IN (SELECT patient_id FROM patient_erasure)
                            OR NEW.detail IS NOT '(erased with the patient''s record)'
                            OR NEW.id IS NOT OLD.id OR NEW.at IS NOT OLD.at OR NEW.user IS NOT OLD.user
                            OR NEW.role IS NOT OLD.role OR NEW.action IS NOT OLD.action
                            OR NEW.patient_id IS NOT OLD.patient_id
                        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    """)
        }
        return migrator
    }

    /// Whether the migrations left kept values for the application to fill in
    /// (`completeKeptValues`): read on every open, written only when needed.
    static func keptValuesMissing(_ db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM latest_reading WHERE week IS NULL)") == true
    }

    /// Fills in what the migrations leave to the application, because it needs the
    /// application's own code and not SQL: the kept latest values of rows stored before v4
    /// (their week in each patient's zone).
    static func completeKeptValues(_ db: Database) throws {
        guard try keptValuesMissing(db) else { return }
        // Every patient's zone was checked when they were registered; UTC only stands in for a
        // zone name this system's time-zone database no longer knows.
        try LatestReading.rebuild(db: db, defaultZone: .gmt)
    }
}

extension MonitoringStore {
    /// The newest migration applied: "v17: erasing a patient's data when the law allows it".
    public func schemaVersion() throws -> String {
        try database.read { db in
            try String.fetchOne(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid DESC LIMIT 1")
                ?? "none"
        }
    }
}
