import Foundation
import GRDB
import MonitoringRecords
import StoreInterface

extension MonitoringStore {
    /// Ends the patient's monitoring period at `at` (default: now), in one transaction with its
    /// audit entry: the devices paired then are unpaired at that instant, the open flags are
    /// closed with the reason, and the patient leaves the worklist. Escalated flags keep waiting
    /// for the cardiologist's answer. Refuses an unknown patient, a period already ended, an end
    /// before monitoring began and a device paired from a later time.
    @discardableResult
    public func endMonitoring(
        patientID: PatientID, reason: MonitoringEnd.Reason, comment: String?, by clinician: Clinician,
        at now: Date? = nil
    ) throws -> MonitoringEnd {
        let now = (now ?? clock.now()).wholeMilliseconds
        let operation = "ending the monitoring of patient \(patientID)"
        return try database.write { db in
            let patient = try requireMonitoredPatient(patientID, operation: operation, db: db)
            let stamp = now.millisecondsSince1970
            let later = try String.fetchAll(
                db, sql: "SELECT serial FROM pairing WHERE patient_id = ? AND valid_from >= ? ORDER BY serial",
                arguments: [patientID, stamp])
            let end = try MonitoringEnd.checked(
                reason: reason, comment: comment, by: clinician, at: now, patient: patient, laterPairings: later,
                operation: operation)
            let unpaired = try String.fetchAll(
                db,
                sql: """
                    SELECT serial FROM pairing WHERE patient_id = ? AND valid_from < ? AND (valid_to IS NULL OR valid_to > ?)
                    ORDER BY serial
                    """,
                arguments: [patientID, stamp, stamp])
            try db.execute(
                sql: "UPDATE pairing SET valid_to = ? WHERE patient_id = ? AND (valid_to IS NULL OR valid_to > ?)",
                arguments: [stamp, patientID, stamp])
            let closed = try Int64.fetchAll(
                db, sql: "SELECT id FROM flag WHERE patient_id = ? AND state = 'open' ORDER BY id",
                arguments: [patientID])
            try db.execute(
                sql: """
                    UPDATE flag SET state = 'closed', closed_at = ?, closed_by = ?, close_comment = ?, updated_at = ?
                    WHERE patient_id = ? AND state = 'open'
                    """,
                arguments: [stamp, clinician.name, MonitoringEnd.flagComment(reason), stamp, patientID])
            try db.execute(
                sql: """
                    INSERT INTO monitoring_end (patient_id, reason, comment, ended_by, ended_at)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [patientID, reason.rawValue, end.comment, clinician.name, stamp])
            try audit(
                .monitoringEnded, by: clinician, patientID: patientID,
                detail: MonitoringEnd.auditDetail(reason: reason, unpaired: unpaired, closedFlags: closed), at: now,
                db: db)
            return end
        }
    }

    /// Reopens the patient's ended monitoring period, audited: the patient is back on the
    /// worklist; devices are paired again by hand. Returns the end that was lifted.
    @discardableResult
    public func reopenMonitoring(patientID: PatientID, by clinician: Clinician, at now: Date? = nil) throws
        -> MonitoringEnd
    {
        let now = (now ?? clock.now()).wholeMilliseconds
        let operation = "reopening the monitoring of patient \(patientID)"
        return try database.write { db in
            let patient = try existingPatient(patientID, operation: operation, db: db)
            let (end, now) = try MonitoringEnd.checkReopening(patient, at: now, operation: operation)
            try db.execute(
                sql: """
                    UPDATE monitoring_end SET reopened_by = ?, reopened_at = ?
                    WHERE patient_id = ? AND reopened_at IS NULL
                    """,
                arguments: [clinician.name, now.millisecondsSince1970, patientID])
            try audit(
                .monitoringReopened, by: clinician, patientID: patientID, detail: MonitoringEnd.reopenDetail(end),
                at: now, db: db)
            return end
        }
    }
}
