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
        return migrator
    }
}
