import Logging
import MonitoringRecords
import PostgresNIO

/// The PostgreSQL schema as frozen SQL, one version after another; applied by
/// `tele-ingest migrate` (and on open), under an advisory lock so that several workers starting
/// at once migrate it once.
enum PostgresSchema {
    struct Migration {
        var version: Int
        var name: String
        var statements: [PostgresQuery]
    }

    /// Never edit a migration that has shipped: add the next one.
    static let migrations: [Migration] = [
        Migration(
            version: 1, name: "patients, devices and pairings",
            statements: [
                """
                CREATE TABLE patient (
                    id text PRIMARY KEY,
                    name text NOT NULL,
                    cpr text,
                    time_zone text NOT NULL,
                    created_at timestamptz NOT NULL,
                    monitoring_start timestamptz NOT NULL
                )
                """,
                """
                CREATE TABLE device (
                    serial text PRIMARY KEY,
                    registered_at timestamptz NOT NULL
                )
                """,
                """
                CREATE TABLE pairing (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    serial text NOT NULL REFERENCES device (serial),
                    patient_id text NOT NULL REFERENCES patient (id),
                    valid_from timestamptz NOT NULL,
                    valid_to timestamptz,
                    CHECK (valid_to IS NULL OR valid_to > valid_from)
                )
                """,
                "CREATE INDEX pairing_by_serial ON pairing (serial, valid_from)",
                "CREATE INDEX pairing_by_patient ON pairing (patient_id)",
                // A device is with one patient at a time: the pairing code checks overlaps under a
                // lock on the device; this holds it whatever a writer does.
                "CREATE UNIQUE INDEX pairing_one_open_per_device ON pairing (serial) WHERE valid_to IS NULL",
            ]),
        Migration(
            version: 2, name: "flags, personal settings and the audit log",
            statements: [
                // Refuses any change to an append-only table's rows, whoever asks.
                """
                CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
                END
                $$
                """,
                """
                CREATE TABLE flag (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    patient_id text NOT NULL REFERENCES patient (id),
                    rule_id text NOT NULL,
                    problem text NOT NULL,
                    rule_set_version integer NOT NULL,
                    measurement text NOT NULL,
                    severity text NOT NULL,
                    state text NOT NULL CHECK (state IN ('open', 'escalated', 'closed', 'withdrawn')),
                    explanation text NOT NULL,
                    reading_ids text NOT NULL,
                    evidence_at timestamptz NOT NULL,
                    supports text NOT NULL,
                    evidence text,
                    back_in_range_at timestamptz,
                    opened_at timestamptz NOT NULL,
                    updated_at timestamptz NOT NULL,
                    closed_at timestamptz,
                    closed_by text,
                    close_comment text
                )
                """,
                // One open (or escalated) flag per patient and problem, as on SQLite.
                "CREATE UNIQUE INDEX flag_open ON flag (patient_id, problem) WHERE state IN ('open', 'escalated')",
                "CREATE INDEX flag_by_state ON flag (state, severity, opened_at)",
                """
                CREATE TABLE personal_setting (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    patient_id text NOT NULL REFERENCES patient (id),
                    kind text NOT NULL CHECK (kind IN ('limit', 'dryWeight', 'suspension', 'plan')),
                    rule_id text,
                    parameter text,
                    value double precision,
                    until timestamptz,
                    valid_from timestamptz NOT NULL,
                    reason text NOT NULL,
                    set_by text NOT NULL,
                    set_at timestamptz NOT NULL,
                    open_flags bigint[] NOT NULL
                )
                """,
                "CREATE INDEX personal_setting_by_patient ON personal_setting (patient_id, valid_from)",
                """
                CREATE TRIGGER personal_setting_append_only BEFORE UPDATE OR DELETE ON personal_setting
                    FOR EACH ROW EXECUTE FUNCTION refuse_change()
                """,
                """
                CREATE TRIGGER personal_setting_no_truncate BEFORE TRUNCATE ON personal_setting
                    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()
                """,
                """
                CREATE TABLE audit_log (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    at timestamptz NOT NULL,
                    "user" text NOT NULL,
                    role text NOT NULL,
                    action text NOT NULL,
                    patient_id text,
                    detail text NOT NULL
                )
                """,
                "CREATE INDEX audit_by_patient ON audit_log (patient_id, at)",
                """
                CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
                    FOR EACH ROW EXECUTE FUNCTION refuse_change()
                """,
                """
                CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
                    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()
                """,
            ]),
        Migration(
            version: 3, name: "journal, readings, latest values and quarantine",
            statements: [
                // Instants cross the wire as whole milliseconds since 1970 (the form both backends
                // compare keys in) and are kept as timestamptz; these convert exactly.
                """
                CREATE FUNCTION instant(ms bigint) RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE
                    RETURN timestamptz 'epoch' + ms * interval '1 millisecond'
                """,
                """
                CREATE FUNCTION epoch_ms(t timestamptz) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE
                    RETURN round(extract(epoch FROM t) * 1000)::bigint
                """,
                // Every raw message, committed before the broker gets its PUBACK (by way of the
                // worker's inbox).
                """
                CREATE TABLE journal (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    source text NOT NULL CHECK (source IN ('mqtt', 'import')),
                    topic text NOT NULL,
                    payload bytea NOT NULL,
                    received_at timestamptz NOT NULL,
                    processed_at timestamptz,
                    outcome text CHECK (outcome IN ('stored', 'duplicate', 'quarantined'))
                )
                """,
                "CREATE INDEX journal_pending ON journal (id) WHERE processed_at IS NULL",
                """
                CREATE TABLE reading (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    patient_id text NOT NULL REFERENCES patient (id),
                    serial text NOT NULL REFERENCES device (serial),
                    kind text NOT NULL,
                    value double precision NOT NULL,
                    unit text NOT NULL,
                    original_value double precision NOT NULL,
                    original_unit text NOT NULL,
                    measured_at timestamptz NOT NULL,
                    received_at timestamptz NOT NULL,
                    journal_id bigint NOT NULL REFERENCES journal (id),
                    message_id text,
                    profile_id text NOT NULL
                )
                """,
                "CREATE INDEX reading_by_patient ON reading (patient_id, kind, measured_at)",
                // Idempotency: the device's message id where it has one, else the natural key.
                "CREATE UNIQUE INDEX reading_by_message ON reading (serial, message_id, kind) WHERE message_id IS NOT NULL",
                "CREATE UNIQUE INDEX reading_by_time ON reading (serial, kind, measured_at) WHERE message_id IS NULL",
                // Per patient and kind: the newest reading, its ISO week (the patient-local day
                // number of its Monday), the days of that week with a reading (bit 0 Monday), and
                // the newest value before that week (the worklist's trend).
                """
                CREATE TABLE latest_reading (
                    patient_id text NOT NULL REFERENCES patient (id),
                    kind text NOT NULL,
                    reading_id bigint NOT NULL REFERENCES reading (id),
                    measured_at timestamptz NOT NULL,
                    value double precision NOT NULL,
                    week integer NOT NULL,
                    week_days integer NOT NULL,
                    previous_value double precision,
                    previous_at timestamptz,
                    PRIMARY KEY (patient_id, kind)
                )
                """,
                """
                CREATE TABLE quarantine (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    journal_id bigint NOT NULL UNIQUE REFERENCES journal (id),
                    source text NOT NULL,
                    topic text NOT NULL,
                    payload bytea NOT NULL,
                    reason text NOT NULL,
                    message text NOT NULL,
                    serial text,
                    profile_id text,
                    quarantined_at timestamptz NOT NULL,
                    attempts integer NOT NULL DEFAULT 1,
                    resolved_at timestamptz,
                    resolution text
                )
                """,
                "CREATE INDEX quarantine_open ON quarantine (reason) WHERE resolved_at IS NULL",
            ]),
        Migration(
            version: 4, name: "ingest workers: inbox marks and status; reminders to measure",
            statements: [
                // How far each worker has moved its local inbox into the journal, written in the
                // transaction that inserts the moved messages.
                """
                CREATE TABLE inbox_progress (
                    worker text PRIMARY KEY,
                    moved_through bigint NOT NULL
                )
                """,
                // Each worker's heartbeat, for tele-ingest status.
                """
                CREATE TABLE worker_status (
                    worker text PRIMARY KEY,
                    client_id text NOT NULL,
                    host text NOT NULL,
                    pid integer NOT NULL,
                    started_at timestamptz NOT NULL,
                    updated_at timestamptz NOT NULL,
                    broker text NOT NULL,
                    connection text NOT NULL,
                    connected boolean NOT NULL,
                    connection_since timestamptz NOT NULL,
                    running boolean NOT NULL,
                    falling_behind boolean NOT NULL
                )
                """,
                "CREATE INDEX journal_by_source ON journal (source, received_at)",
                // A reminder to measure, recorded once per patient, rule and due day (the
                // patient's local day, 2026-12-01) and published to the patient's devices.
                """
                CREATE TABLE reminder (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    patient_id text NOT NULL REFERENCES patient (id),
                    rule_id text NOT NULL,
                    measurement text NOT NULL,
                    due_day text NOT NULL,
                    created_at timestamptz NOT NULL,
                    UNIQUE (patient_id, rule_id, due_day)
                )
                """,
            ]),
        Migration(
            version: 5, name: "follow-up: notes, weekly reviews, escalations",
            statements: [
                // What the nurse and the patient talked about; part of the record, never edited.
                """
                CREATE TABLE note (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    patient_id text NOT NULL REFERENCES patient (id),
                    contact text NOT NULL CHECK (contact IN ('phone', 'video', 'home-visit', 'none')),
                    text text NOT NULL,
                    written_by text NOT NULL,
                    written_at timestamptz NOT NULL
                )
                """,
                "CREATE INDEX note_by_patient ON note (patient_id, written_at)",
                """
                CREATE TRIGGER note_append_only BEFORE UPDATE OR DELETE ON note
                    FOR EACH ROW EXECUTE FUNCTION refuse_change()
                """,
                """
                CREATE TRIGGER note_no_truncate BEFORE TRUNCATE ON note
                    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()
                """,
                // "Reviewed for the week": one per patient and ISO week (2026-W47).
                """
                CREATE TABLE review (
                    patient_id text NOT NULL REFERENCES patient (id),
                    week text NOT NULL,
                    reviewed_by text NOT NULL,
                    reviewed_at timestamptz NOT NULL,
                    PRIMARY KEY (patient_id, week)
                )
                """,
                "CREATE INDEX review_by_week ON review (week)",
                // An escalation to the hotline with the brief as sent, and the cardiologist's
                // answer once recorded: at most one unanswered per patient, answered once.
                """
                CREATE TABLE escalation (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    patient_id text NOT NULL REFERENCES patient (id),
                    reason text NOT NULL,
                    brief text NOT NULL,
                    flag_ids bigint[] NOT NULL,
                    hotline_open boolean NOT NULL,
                    escalated_by text NOT NULL,
                    escalated_at timestamptz NOT NULL,
                    decision text CHECK (decision IN ('medication-changed', 'thresholds-changed', 'outpatient-visit',
                                                      'admission', 'no-change')),
                    medication_change text,
                    answer_comment text,
                    next_review text,
                    setting_ids bigint[],
                    answered_by text,
                    answered_at timestamptz
                )
                """,
                "CREATE INDEX escalation_by_patient ON escalation (patient_id, escalated_at)",
                "CREATE UNIQUE INDEX escalation_unanswered ON escalation (patient_id) WHERE answered_at IS NULL",
                """
                CREATE FUNCTION escalation_answer_once() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF OLD.answered_at IS NOT NULL OR NEW.brief IS DISTINCT FROM OLD.brief
                        OR NEW.reason IS DISTINCT FROM OLD.reason OR NEW.escalated_by IS DISTINCT FROM OLD.escalated_by
                        OR NEW.escalated_at IS DISTINCT FROM OLD.escalated_at THEN
                        RAISE EXCEPTION 'an escalation is recorded once and answered once' USING ERRCODE = 'restrict_violation';
                    END IF;
                    RETURN NEW;
                END
                $$
                """,
                """
                CREATE TRIGGER escalation_answered_once BEFORE UPDATE ON escalation
                    FOR EACH ROW EXECUTE FUNCTION escalation_answer_once()
                """,
                """
                CREATE TRIGGER escalation_kept BEFORE DELETE ON escalation
                    FOR EACH ROW EXECUTE FUNCTION refuse_change()
                """,
                """
                CREATE TRIGGER escalation_no_truncate BEFORE TRUNCATE ON escalation
                    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()
                """,
            ]),
        Migration(
            version: 6, name: "the end of a patient's monitoring period",
            statements: [
                // A period ends once (reason, remark, who, when) and is reopened at most once; a
                // new end after a reopening is a new row.
                """
                CREATE TABLE monitoring_end (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    patient_id text NOT NULL REFERENCES patient (id),
                    reason text NOT NULL CHECK (reason IN ('completed', 'admitted', 'moved', 'died', 'declined')),
                    comment text,
                    ended_by text NOT NULL,
                    ended_at timestamptz NOT NULL,
                    reopened_by text,
                    reopened_at timestamptz
                )
                """,
                "CREATE UNIQUE INDEX monitoring_end_in_force ON monitoring_end (patient_id) WHERE reopened_at IS NULL",
                """
                CREATE FUNCTION monitoring_end_reopen_once() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF OLD.reopened_at IS NOT NULL OR NEW.patient_id IS DISTINCT FROM OLD.patient_id
                        OR NEW.reason IS DISTINCT FROM OLD.reason OR NEW.comment IS DISTINCT FROM OLD.comment
                        OR NEW.ended_by IS DISTINCT FROM OLD.ended_by OR NEW.ended_at IS DISTINCT FROM OLD.ended_at THEN
                        RAISE EXCEPTION 'an end of monitoring is recorded once and reopened once'
                            USING ERRCODE = 'restrict_violation';
                    END IF;
                    RETURN NEW;
                END
                $$
                """,
                """
                CREATE TRIGGER monitoring_end_reopened_once BEFORE UPDATE ON monitoring_end
                    FOR EACH ROW EXECUTE FUNCTION monitoring_end_reopen_once()
                """,
                """
                CREATE TRIGGER monitoring_end_kept BEFORE DELETE ON monitoring_end
                    FOR EACH ROW EXECUTE FUNCTION refuse_change()
                """,
                """
                CREATE TRIGGER monitoring_end_no_truncate BEFORE TRUNCATE ON monitoring_end
                    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()
                """,
                // Every patient with the end in force, if any.
                """
                CREATE VIEW patient_monitoring AS
                    SELECT patient.*, e.reason AS end_reason, e.comment AS end_comment, e.ended_by, e.ended_at
                    FROM patient LEFT JOIN monitoring_end e ON e.patient_id = patient.id AND e.reopened_at IS NULL
                """,
            ]),
        Migration(
            version: 7, name: "teams, the clinician directory, group roles and row-level security",
            statements: [
                "CREATE TABLE team (id text PRIMARY KEY, name text NOT NULL)",
                "ALTER TABLE patient ADD COLUMN team text REFERENCES team (id)",
                // Who signs in as which database role: the store takes the person from the session.
                """
                CREATE TABLE clinician (
                    account text PRIMARY KEY,
                    name text NOT NULL,
                    role text NOT NULL CHECK (role IN ('nurse', 'cardiologist')),
                    teams text[] NOT NULL DEFAULT '{}'
                )
                """,
                // The view again, now with the team, and under the reader's own row security.
                "DROP VIEW patient_monitoring",
                """
                CREATE VIEW patient_monitoring WITH (security_invoker = true) AS
                    SELECT patient.*, e.reason AS end_reason, e.comment AS end_comment, e.ended_by, e.ended_at
                    FROM patient LEFT JOIN monitoring_end e ON e.patient_id = patient.id AND e.reopened_at IS NULL
                """,
                // Group roles are the cluster's: made once, by whichever database migrates first.
                """
                DO $$
                DECLARE
                    name text;
                BEGIN
                    FOREACH name IN ARRAY ARRAY['teleingest_clinician', 'teleingest_operator'] LOOP
                        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = name) THEN
                            BEGIN
                                EXECUTE format('CREATE ROLE %I NOLOGIN', name);
                            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
                            END;
                        END IF;
                    END LOOP;
                    FOREACH name IN ARRAY ARRAY['teleingest_nurse', 'teleingest_cardiologist'] LOOP
                        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = name) THEN
                            BEGIN
                                EXECUTE format('CREATE ROLE %I NOLOGIN IN ROLE teleingest_clinician', name);
                            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
                            END;
                        END IF;
                    END LOOP;
                EXCEPTION WHEN insufficient_privilege THEN
                    RAISE EXCEPTION 'the group roles teleingest_clinician, teleingest_nurse, teleingest_cardiologist and teleingest_operator do not exist and this role may not create them: create them as a superuser first (docs/POSTGRESQL.md, Sign-in)';
                END
                $$
                """,
                // What a clinician may read and write; a nurse's personal settings are plans only.
                """
                GRANT SELECT ON patient, patient_monitoring, device, pairing, reading, latest_reading, flag,
                    personal_setting, audit_log, note, review, escalation, monitoring_end, reminder, team, clinician,
                    schema_migration
                    TO teleingest_clinician, teleingest_operator
                """,
                "GRANT INSERT ON audit_log, note, review, escalation, monitoring_end, personal_setting TO teleingest_clinician",
                "GRANT UPDATE ON flag, pairing, monitoring_end TO teleingest_clinician",
                "GRANT UPDATE ON escalation TO teleingest_cardiologist",
                "GRANT SELECT, INSERT, UPDATE ON patient, device, pairing, team, clinician TO teleingest_operator",
                "GRANT SELECT ON quarantine, journal, worker_status, inbox_progress TO teleingest_operator",
                "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO teleingest_clinician, teleingest_operator",
                // A clinician's caseload: patients of their teams, patients not given a team yet,
                // or every patient when they have no teams. Not in the directory: nothing.
                """
                CREATE FUNCTION in_caseload(patient_team text) RETURNS boolean LANGUAGE sql STABLE AS $$
                    SELECT EXISTS (
                        SELECT 1 FROM clinician c WHERE c.account = current_user
                            AND (cardinality(c.teams) = 0 OR patient_team IS NULL OR patient_team = ANY (c.teams)))
                $$
                """,
                "ALTER TABLE patient ENABLE ROW LEVEL SECURITY",
                "CREATE POLICY caseload ON patient TO teleingest_clinician USING (in_caseload(team))",
                "CREATE POLICY operator ON patient TO teleingest_operator USING (true) WITH CHECK (true)",
                "ALTER TABLE pairing ENABLE ROW LEVEL SECURITY",
                """
                CREATE POLICY caseload ON pairing TO teleingest_clinician
                    USING (patient_id IN (SELECT id FROM patient)) WITH CHECK (patient_id IN (SELECT id FROM patient))
                """,
                "CREATE POLICY operator ON pairing TO teleingest_operator USING (true) WITH CHECK (true)",
                "ALTER TABLE reading ENABLE ROW LEVEL SECURITY",
                """
                CREATE POLICY caseload ON reading TO teleingest_clinician
                    USING (patient_id IN (SELECT id FROM patient)) WITH CHECK (patient_id IN (SELECT id FROM patient))
                """,
                "CREATE POLICY operator ON reading TO teleingest_operator USING (true) WITH CHECK (true)",
                "ALTER TABLE latest_reading ENABLE ROW LEVEL SECURITY",
                """
                CREATE POLICY caseload ON latest_reading TO teleingest_clinician
                    USING (patient_id IN (SELECT id FROM patient)) WITH CHECK (patient_id IN (SELECT id FROM patient))
                """,
                "CREATE POLICY operator ON latest_reading TO teleingest_operator USING (true) WITH CHECK (true)",
                "ALTER TABLE flag ENABLE ROW LEVEL SECURITY",
                """
                CREATE POLICY caseload ON flag TO teleingest_clinician
                    USING (patient_id IN (SELECT id FROM patient)) WITH CHECK (patient_id IN (SELECT id FROM patient))
                """,
                "CREATE POLICY operator ON flag TO teleingest_operator USING (true) WITH CHECK (true)",
                "ALTER TABLE personal_setting ENABLE ROW LEVEL SECURITY",
                """
                CREATE POLICY caseload ON personal_setting TO teleingest_clinician
                    USING (patient_id IN (SELECT id FROM patient)) WITH CHECK (patient_id IN (SELECT id FROM patient))
                """,
                "CREATE POLICY operator ON personal_setting TO teleingest_operator USING (true) WITH CHECK (true)",
                "ALTER TABLE note ENABLE ROW LEVEL SECURITY",
                """
                CREATE POLICY caseload ON note TO teleingest_clinician
                    USING (patient_id IN (SELECT id FROM patient)) WITH CHECK (patient_id IN (SELECT id FROM patient))
                """,
                "CREATE POLICY operator ON note TO teleingest_operator USING (true) WITH CHECK (true)",
                "ALTER TABLE review ENABLE ROW LEVEL SECURITY",
                """
                CREATE POLICY caseload ON review TO teleingest_clinician
                    USING (patient_id IN (SELECT id FROM patient)) WITH CHECK (patient_id IN (SELECT id FROM patient))
                """,
                "CREATE POLICY operator ON review TO teleingest_operator USING (true) WITH CHECK (true)",
                "ALTER TABLE escalation ENABLE ROW LEVEL SECURITY",
                """
                CREATE POLICY caseload ON escalation TO teleingest_clinician
                    USING (patient_id IN (SELECT id FROM patient)) WITH CHECK (patient_id IN (SELECT id FROM patient))
                """,
                "CREATE POLICY operator ON escalation TO teleingest_operator USING (true) WITH CHECK (true)",
                "ALTER TABLE monitoring_end ENABLE ROW LEVEL SECURITY",
                """
                CREATE POLICY caseload ON monitoring_end TO teleingest_clinician
                    USING (patient_id IN (SELECT id FROM patient)) WITH CHECK (patient_id IN (SELECT id FROM patient))
                """,
                "CREATE POLICY operator ON monitoring_end TO teleingest_operator USING (true) WITH CHECK (true)",
                "ALTER TABLE reminder ENABLE ROW LEVEL SECURITY",
                """
                CREATE POLICY caseload ON reminder TO teleingest_clinician
                    USING (patient_id IN (SELECT id FROM patient)) WITH CHECK (patient_id IN (SELECT id FROM patient))
                """,
                "CREATE POLICY operator ON reminder TO teleingest_operator USING (true) WITH CHECK (true)",
                """
                CREATE POLICY nurse_plans_only ON personal_setting AS RESTRICTIVE FOR INSERT TO teleingest_nurse
                    WITH CHECK (kind = 'plan')
                """,
                // The audit log: a clinician reads the entries of their caseload and of no patient,
                // and writes any (a refused look at another team's patient is logged too).
                "ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY",
                """
                CREATE POLICY caseload ON audit_log FOR SELECT TO teleingest_clinician, teleingest_operator
                    USING (patient_id IS NULL OR patient_id IN (SELECT id FROM patient))
                """,
                "CREATE POLICY writes ON audit_log FOR INSERT TO teleingest_clinician WITH CHECK (true)",
                // Who did it is the signed-in person, whatever the statement says.
                """
                CREATE FUNCTION stamp_signed_in_person() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE
                    person clinician;
                BEGIN
                    SELECT * INTO person FROM clinician WHERE account = current_user;
                    IF NOT FOUND THEN
                        RETURN NEW;
                    END IF;
                    IF TG_ARGV[0] = 'audit' THEN
                        NEW."user" := person.name;
                        NEW.role := person.role;
                    ELSIF (to_jsonb(NEW) ->> TG_ARGV[0]) IS NOT NULL THEN
                        NEW := jsonb_populate_record(NEW, jsonb_build_object(TG_ARGV[0], person.name));
                    END IF;
                    RETURN NEW;
                END
                $$
                """,
                """
                CREATE TRIGGER audit_log_stamp_insert BEFORE INSERT ON audit_log
                    FOR EACH ROW EXECUTE FUNCTION stamp_signed_in_person('audit')
                """,
                """
                CREATE TRIGGER note_stamp_insert BEFORE INSERT ON note
                    FOR EACH ROW EXECUTE FUNCTION stamp_signed_in_person('written_by')
                """,
                """
                CREATE TRIGGER review_stamp_insert BEFORE INSERT ON review
                    FOR EACH ROW EXECUTE FUNCTION stamp_signed_in_person('reviewed_by')
                """,
                """
                CREATE TRIGGER escalation_stamp_insert BEFORE INSERT ON escalation
                    FOR EACH ROW EXECUTE FUNCTION stamp_signed_in_person('escalated_by')
                """,
                """
                CREATE TRIGGER escalation_stamp_update BEFORE UPDATE ON escalation
                    FOR EACH ROW EXECUTE FUNCTION stamp_signed_in_person('answered_by')
                """,
                """
                CREATE TRIGGER flag_stamp_update BEFORE UPDATE ON flag
                    FOR EACH ROW EXECUTE FUNCTION stamp_signed_in_person('closed_by')
                """,
                """
                CREATE TRIGGER personal_setting_stamp_insert BEFORE INSERT ON personal_setting
                    FOR EACH ROW EXECUTE FUNCTION stamp_signed_in_person('set_by')
                """,
                """
                CREATE TRIGGER monitoring_end_stamp_insert BEFORE INSERT ON monitoring_end
                    FOR EACH ROW EXECUTE FUNCTION stamp_signed_in_person('ended_by')
                """,
                """
                CREATE TRIGGER monitoring_end_stamp_update BEFORE UPDATE ON monitoring_end
                    FOR EACH ROW EXECUTE FUNCTION stamp_signed_in_person('reopened_by')
                """,
            ]),
        Migration(
            version: 8, name: "notifications sent through the site's notifier",
            statements: [
                // Claimed before the command runs, so that several workers or consoles send it once.
                """
                CREATE TABLE notification (
                    kind text NOT NULL,
                    reference bigint NOT NULL,
                    patient_id text NOT NULL REFERENCES patient (id),
                    sent_at timestamptz NOT NULL,
                    PRIMARY KEY (kind, reference)
                )
                """,
                "GRANT SELECT, INSERT, DELETE ON notification TO teleingest_clinician",
            ]),
        Migration(
            version: 9, name: "a patient's change history",
            statements: [
                // Every edit of a patient's registration keeps the value it replaced: append-only.
                """
                CREATE TABLE patient_change (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    patient_id text NOT NULL REFERENCES patient (id),
                    field text NOT NULL,
                    old_value text,
                    new_value text,
                    reason text NOT NULL,
                    changed_by text NOT NULL,
                    changed_at timestamptz NOT NULL
                )
                """,
                "CREATE INDEX patient_change_by_patient ON patient_change (patient_id, changed_at)",
                """
                CREATE TRIGGER patient_change_append_only BEFORE UPDATE OR DELETE ON patient_change
                    FOR EACH ROW EXECUTE FUNCTION refuse_change()
                """,
                """
                CREATE TRIGGER patient_change_no_truncate BEFORE TRUNCATE ON patient_change
                    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()
                """,
                "GRANT SELECT, INSERT ON patient_change TO teleingest_operator",
                "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO teleingest_operator",
            ]),
        Migration(
            version: 10, name: "clinicians update only the columns their actions write",
            statements: [
                // Closing or escalating a flag, ending a pairing, reopening a period, answering an
                // escalation: nothing else, even by hand-written SQL.
                "REVOKE UPDATE ON flag, pairing, monitoring_end FROM teleingest_clinician",
                "REVOKE UPDATE ON escalation FROM teleingest_cardiologist",
                "GRANT UPDATE (state, closed_at, closed_by, close_comment, updated_at) ON flag TO teleingest_clinician",
                "GRANT UPDATE (valid_to) ON pairing TO teleingest_clinician",
                "GRANT UPDATE (reopened_by, reopened_at) ON monitoring_end TO teleingest_clinician",
                """
                GRANT UPDATE (decision, medication_change, answer_comment, next_review, setting_ids, answered_by,
                    answered_at) ON escalation TO teleingest_cardiologist
                """,
                // A person moves a flag forward only: open → closed or escalated, escalated → closed.
                """
                CREATE FUNCTION flag_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF EXISTS (SELECT 1 FROM clinician WHERE account = current_user)
                        AND NOT ((OLD.state = 'open' AND NEW.state IN ('closed', 'escalated'))
                                 OR (OLD.state = 'escalated' AND NEW.state = 'closed')) THEN
                        RAISE EXCEPTION 'a flag goes from open to closed or escalated, and from escalated to closed'
                            USING ERRCODE = 'restrict_violation';
                    END IF;
                    RETURN NEW;
                END
                $$
                """,
                """
                CREATE TRIGGER flag_forward_only BEFORE UPDATE ON flag
                    FOR EACH ROW EXECUTE FUNCTION flag_forward_only()
                """,
            ]),
        Migration(
            version: 11, name: "indexes for the rules' reads",
            statements: [
                // Each patient's recent readings per kind, answered by the index alone, and a
                // patient's closed flags without walking everyone's (as SQLite's v15).
                "CREATE INDEX reading_history ON reading (patient_id, kind, measured_at) INCLUDE (value)",
                "DROP INDEX reading_by_patient",
                "CREATE INDEX flag_by_patient ON flag (patient_id, state, problem, evidence_at)",
            ]),
        Migration(
            version: 12, name: "retention of the journal's raw payloads",
            statements: [
                // As SQLite's v16: the payload goes once the readings are stored and the retention
                // time has passed; the walk goes on from where the last one stopped.
                "ALTER TABLE journal ADD COLUMN payload_removed_at timestamptz",
                """
                CREATE TABLE journal_retention (
                    id integer PRIMARY KEY CHECK (id = 1),
                    pruned_through bigint NOT NULL
                )
                """,
                "INSERT INTO journal_retention (id, pruned_through) VALUES (1, 0)",
                // `tele-ingest journal prune` as an operator.
                "GRANT UPDATE (payload, payload_removed_at) ON journal TO teleingest_operator",
                "GRANT SELECT, UPDATE ON journal_retention TO teleingest_operator",
            ]),
        Migration(
            version: 13, name: "erasing a patient's data when the law allows it",
            statements: [
                // As SQLite's v17: one row per erased patient (no name, no CPR number), and the
                // append-only tables let a patient's rows go only once that row exists; the audit
                // log keeps its entries on the patient, and only their detail may be blanked.
                """
                CREATE TABLE patient_erasure (
                    patient_id text PRIMARY KEY,
                    basis text NOT NULL CHECK (basis IN ('retention-over', 'registered-in-error')),
                    reason text NOT NULL,
                    erased_by text NOT NULL,
                    erased_at timestamptz NOT NULL,
                    removed text NOT NULL
                )
                """,
                """
                CREATE TRIGGER patient_erasure_append_only BEFORE UPDATE OR DELETE ON patient_erasure
                    FOR EACH ROW EXECUTE FUNCTION refuse_change()
                """,
                """
                CREATE TRIGGER patient_erasure_no_truncate BEFORE TRUNCATE ON patient_erasure
                    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()
                """,
                """
                CREATE FUNCTION refuse_delete_unless_erased() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF EXISTS (SELECT 1 FROM patient_erasure WHERE patient_id = OLD.patient_id) THEN
                        RETURN OLD;
                    END IF;
                    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
                END
                $$
                """,
                "DROP TRIGGER personal_setting_append_only ON personal_setting",
                "DROP TRIGGER note_append_only ON note",
                "DROP TRIGGER patient_change_append_only ON patient_change",
                "DROP TRIGGER escalation_kept ON escalation",
                "DROP TRIGGER monitoring_end_kept ON monitoring_end",
                "DROP TRIGGER audit_log_append_only ON audit_log",
                """
                CREATE TRIGGER personal_setting_no_update BEFORE UPDATE ON personal_setting
                    FOR EACH ROW EXECUTE FUNCTION refuse_change()
                """,
                """
                CREATE TRIGGER note_no_update BEFORE UPDATE ON note
                    FOR EACH ROW EXECUTE FUNCTION refuse_change()
                """,
                """
                CREATE TRIGGER patient_change_no_update BEFORE UPDATE ON patient_change
                    FOR EACH ROW EXECUTE FUNCTION refuse_change()
                """,
                """
                CREATE TRIGGER personal_setting_kept BEFORE DELETE ON personal_setting
                    FOR EACH ROW EXECUTE FUNCTION refuse_delete_unless_erased()
                """,
                """
                CREATE TRIGGER note_kept BEFORE DELETE ON note
                    FOR EACH ROW EXECUTE FUNCTION refuse_delete_unless_erased()
                """,
                """
                CREATE TRIGGER patient_change_kept BEFORE DELETE ON patient_change
                    FOR EACH ROW EXECUTE FUNCTION refuse_delete_unless_erased()
                """,
                """
                CREATE TRIGGER escalation_kept BEFORE DELETE ON escalation
                    FOR EACH ROW EXECUTE FUNCTION refuse_delete_unless_erased()
                """,
                """
                CREATE TRIGGER monitoring_end_kept BEFORE DELETE ON monitoring_end
                    FOR EACH ROW EXECUTE FUNCTION refuse_delete_unless_erased()
                """,
                """
                CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                    FOR EACH ROW EXECUTE FUNCTION refuse_change()
                """,
                """
                CREATE FUNCTION audit_detail_blanked_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF OLD.patient_id IS NOT NULL
                        AND EXISTS (SELECT 1 FROM patient_erasure WHERE patient_id = OLD.patient_id)
                        AND NEW.detail = '(erased with the patient''s record)'
                        AND (NEW.id, NEW.at, NEW."user", NEW.role, NEW.action, NEW.patient_id)
                            IS NOT DISTINCT FROM (OLD.id, OLD.at, OLD."user", OLD.role, OLD.action, OLD.patient_id) THEN
                        RETURN NEW;
                    END IF;
                    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'restrict_violation';
                END
                $$
                """,
                """
                CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                    FOR EACH ROW EXECUTE FUNCTION audit_detail_blanked_only()
                """,
                // Registering a patient checks that the id was never erased. Erasing itself needs
                // the role that owns the schema (the one `tele-ingest migrate` runs as).
                "GRANT SELECT ON patient_erasure TO teleingest_operator",
            ]),
        Migration(
            version: 14, name: "epoch_ms in floating point",
            statements: [
                // The same milliseconds for every instant the store holds (a double holds the
                // seconds since 1970 to the microsecond for ±285 years, so rounding gives the
                // stored millisecond; to year 9999 it still does), at about a third of `extract`'s
                // numeric arithmetic: on the worklist's 40,000 kept values of 10,000 patients
                // the query took 122 ms with `extract` and 48 ms with `date_part`
                // (docs/PERFORMANCE.md).
                """
                CREATE OR REPLACE FUNCTION epoch_ms(t timestamptz) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE
                    RETURN round(date_part('epoch', t) * 1000)::bigint
                """
            ]),
        Migration(
            version: 15, name: "a batch's advisory locks taken inside its statements",
            statements: [
                // A batch's device and patient locks, taken in one order (names hashed, sorted) so
                // that two batches never wait for each other in a circle; `wait` false takes only
                // what is free and says whether that was all. A function, so that the statements
                // that read or write what the locks guard can take them without a round trip of
                // their own (docs/POSTGRESQL.md).
                """
                CREATE FUNCTION take_locks(space integer, names text[], wait boolean) RETURNS boolean
                LANGUAGE plpgsql VOLATILE AS $$
                DECLARE
                    h integer;
                    taken boolean := true;
                BEGIN
                    FOR h IN SELECT DISTINCT hashtext(name) FROM unnest(names) AS name ORDER BY 1 LOOP
                        IF wait THEN
                            PERFORM pg_advisory_xact_lock(space, h);
                        ELSIF NOT pg_try_advisory_xact_lock(space, h) THEN
                            taken := false;
                        END IF;
                    END LOOP;
                    RETURN taken;
                END
                $$
                """
            ]),
        Migration(
            version: 16, name: "instant and epoch_ms inlined",
            statements: [
                // Declared IMMUTABLE, the two were run as SQL functions once per value: their
                // bodies call STABLE operations (`timestamptz + interval`, `date_part` of a
                // timestamptz), and PostgreSQL inlines a function only into what is no more
                // constant than it promises. STABLE (true: neither depends on the session's time
                // zone for whole milliseconds), they are inlined as the expressions they are. The
                // same values; on 40,000 kept values `epoch_ms` took 90 ms and now 11 ms
                // (docs/PERFORMANCE.md). Neither is used in an index, where only IMMUTABLE may be.
                """
                CREATE OR REPLACE FUNCTION instant(ms bigint) RETURNS timestamptz LANGUAGE sql STABLE PARALLEL SAFE
                    RETURN timestamptz 'epoch' + ms * interval '1 millisecond'
                """,
                """
                CREATE OR REPLACE FUNCTION epoch_ms(t timestamptz) RETURNS bigint LANGUAGE sql STABLE PARALLEL SAFE
                    RETURN round(date_part('epoch', t) * 1000)::bigint
                """,
            ]),
    ]

    /// The newest version this build knows.
    static var current: Int { migrations.last?.version ?? 0 }

    /// Applies the migrations not applied yet, each in the one transaction; returns the version
    /// the database is at afterwards.
    @discardableResult
    static func migrate(_ client: PostgresClient, logger: Logger) async throws -> Int {
        // Read first, write only when behind: a database already at this version is opened
        // without a write, so a read-only standby (streaming replication) opens too.
        var state: (applied: Int, standby: Bool) = (0, false)
        var versioned = false
        for try await row in try await client.query(
            "SELECT to_regclass('schema_migration') IS NOT NULL, pg_is_in_recovery()", logger: logger
        ).decode((Bool, Bool).self) {
            (versioned, state.standby) = row
        }
        if versioned {
            for try await version in try await client.query(
                "SELECT coalesce(max(version), 0) FROM schema_migration", logger: logger
            ).decode(Int.self) {
                state.applied = version
            }
        }
        if state.applied == current { return current }
        if state.applied < current, state.standby {
            throw StoreError(
                "migrating the PostgreSQL schema",
                "this is a read-only standby at schema version \(state.applied) and this build needs \(current): run tele-ingest migrate against the primary; the standby follows",
                code: .schemaMismatch)
        }
        return try await client.withTransaction(logger: logger) { connection in
            // Transaction-scoped: released at COMMIT or ROLLBACK. The number is the schema's own.
            try await connection.query("SELECT pg_advisory_xact_lock(7401202612)", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migration (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, logger: logger)
            var applied = 0
            for try await version in try await connection.query(
                "SELECT coalesce(max(version), 0) FROM schema_migration", logger: logger
            ).decode(Int.self) {
                applied = version
            }
            guard applied <= current else {
                throw StoreError(
                    "migrating the PostgreSQL schema",
                    "the database is at schema version \(applied) and this build knows \(current): upgrade tele-ingest",
                    code: .schemaMismatch)
            }
            for migration in migrations where migration.version > applied {
                for statement in migration.statements { try await connection.query(statement, logger: logger) }
                try await connection.query(
                    "INSERT INTO schema_migration (version, name) VALUES (\(migration.version), \(migration.name))",
                    logger: logger)
                applied = migration.version
            }
            return applied
        }
    }
}
