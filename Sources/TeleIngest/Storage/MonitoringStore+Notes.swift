import Foundation
import GRDB
import MonitoringRecords
import StoreInterface

extension MonitoringStore {
    /// Appends a note to the patient's record, audited in the same transaction.
    @discardableResult
    public func addNote(
        patientID: PatientID, contact: ContactNote.Contact, text: String, by clinician: Clinician, at now: Date? = nil
    ) throws -> ContactNote {
        let now = now ?? clock.now()
        let operation = "writing a note for patient \(patientID)"
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw StoreError(operation, "the note is empty: write what was said or done") }
        return try database.write { db in
            try requireMonitoredPatient(patientID, operation: operation, db: db)
            try db.execute(
                sql: "INSERT INTO note (patient_id, contact, text, written_by, written_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [patientID, contact.rawValue, text, clinician.name, now.millisecondsSince1970])
            let note = ContactNote(
                id: db.lastInsertedRowID, patientID: patientID, contact: contact, text: text,
                writtenBy: clinician.name, writtenAt: now)
            try audit(
                .noteWritten, by: clinician, patientID: patientID, detail: "note \(note.id) (\(contact.rawValue))",
                at: now, db: db)
            return note
        }
    }

    /// A patient's notes, newest first.
    public func notes(patientID: PatientID, limit: Int? = nil) throws -> [ContactNote] {
        try database.read { db in try notes(patientID: patientID, limit: limit, db: db) }
    }

    func notes(patientID: PatientID, limit: Int?, db: Database) throws -> [ContactNote] {
        try Row.fetchAll(
            db,
            sql: "SELECT * FROM note WHERE patient_id = ? ORDER BY written_at DESC, id DESC LIMIT ?",
            arguments: [patientID, limit ?? -1]
        ).map { row in
            ContactNote(
                id: row["id"], patientID: row["patient_id"],
                contact: ContactNote.Contact(rawValue: row["contact"]) ?? .none, text: row["text"],
                writtenBy: row["written_by"], writtenAt: Date(millisecondsSince1970: row["written_at"]))
        }
    }

    /// Marks the patient reviewed for `week`. Marking again is refused and names who did it first.
    @discardableResult
    public func markReviewed(patientID: PatientID, week: String, by clinician: Clinician, at now: Date? = nil) throws
        -> WeeklyReview
    {
        let now = now ?? clock.now()
        let operation = "marking patient \(patientID) reviewed for \(week)"
        return try database.write { db in
            try requireMonitoredPatient(patientID, operation: operation, db: db)
            if let row = try Row.fetchOne(
                db, sql: "SELECT reviewed_by, reviewed_at FROM review WHERE patient_id = ? AND week = ?",
                arguments: [patientID, week])
            {
                let at = Date(millisecondsSince1970: row["reviewed_at"])
                throw StoreError(
                    operation,
                    "already reviewed by \(row["reviewed_by"] as String) at \(at.formatted(.iso8601))", code: .conflict)
            }
            try db.execute(
                sql: "INSERT INTO review (patient_id, week, reviewed_by, reviewed_at) VALUES (?, ?, ?, ?)",
                arguments: [patientID, week, clinician.name, now.millisecondsSince1970])
            try audit(.patientReviewed, by: clinician, patientID: patientID, detail: "week \(week)", at: now, db: db)
            return WeeklyReview(patientID: patientID, week: week, reviewedBy: clinician.name, reviewedAt: now)
        }
    }

    /// The patient, refusing `operation` for an unknown patient and for one whose monitoring
    /// has ended (the record is read-only until the period is reopened).
    @discardableResult
    func requireMonitoredPatient(_ patientID: PatientID, operation: String, unknown: String? = nil, db: Database) throws
        -> Patient
    {
        let patient = try existingPatient(patientID, operation: operation, unknown: unknown, db: db)
        try patient.requireMonitored(operation)
        return patient
    }

    /// The patient with the end of monitoring in force, refusing `operation` for an unknown
    /// patient (`unknown`: what to say then).
    func existingPatient(_ patientID: PatientID, operation: String, unknown: String? = nil, db: Database) throws
        -> Patient
    {
        guard
            let patient = try Row.fetchOne(
                db, sql: "SELECT * FROM patient_monitoring WHERE id = ?", arguments: [patientID]
            ).map(Patient.init(row:))
        else {
            throw StoreError(operation, unknown ?? "no patient with id '\(patientID)'", code: .notFound)
        }
        return patient
    }

    func reviews(patientID: PatientID, db: Database) throws -> [WeeklyReview] {
        try Row.fetchAll(
            db, sql: "SELECT * FROM review WHERE patient_id = ? ORDER BY week DESC", arguments: [patientID]
        ).map(WeeklyReview.init(row:))
    }
}

extension WeeklyReview {
    init(row: Row) {
        self.init(
            patientID: row["patient_id"], week: row["week"], reviewedBy: row["reviewed_by"],
            reviewedAt: Date(millisecondsSince1970: row["reviewed_at"]))
    }
}
