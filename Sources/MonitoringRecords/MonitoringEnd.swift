import Foundation

/// The end of a patient's monitoring period: the kit is handed back, the devices are unpaired and
/// the patient leaves the worklist. The record stays, read-only, until the period is reopened.
public struct MonitoringEnd: Sendable, Hashable, Codable {
    /// Why monitoring ended.
    public enum Reason: String, Sendable, Hashable, Codable, CaseIterable {
        /// The planned course is over.
        case completed
        /// Admitted to hospital.
        case admitted
        /// Moved out of the team's area.
        case moved
        case died
        /// The patient no longer wants to take part.
        case declined
    }

    public var reason: Reason
    /// The nurse's closing remark, if any.
    public var comment: String?
    public var endedBy: String
    public var endedAt: Date

    public init(reason: Reason, comment: String?, endedBy: String, endedAt: Date) {
        self.reason = reason
        self.comment = comment
        self.endedBy = endedBy
        self.endedAt = endedAt
    }

    /// "ended 2026-11-20 (admitted) by Nurse Hansen", for refusals and screens.
    public var summary: String {
        "monitoring ended \(endedAt.formatted(.iso8601)) (\(reason.rawValue)) by \(endedBy)"
    }

    /// What the audit log says of an end: the reason and the devices unpaired.
    public static func auditDetail(reason: Reason, unpaired: [String], closedFlags: [Int64]) -> String {
        "\(reason.rawValue); devices unpaired: \(unpaired.isEmpty ? "none" : unpaired.joined(separator: ", "))"
            + "; flags closed: \(closedFlags.isEmpty ? "none" : closedFlags.map(String.init).joined(separator: ", "))"
    }

    /// The comment the patient's open flags are closed with when monitoring ends.
    public static func flagComment(_ reason: Reason) -> String {
        "monitoring ended (\(reason.rawValue))"
    }

    /// The refusal of an action on a patient whose monitoring has ended.
    public func refusal(_ operation: String, patientID: PatientID) -> StoreError {
        StoreError(
            operation,
            "\(summary); the record is read-only until the period is reopened (nurse-console reopen \(patientID))",
            code: .conflict)
    }
}

extension MonitoringEnd {
    /// The end as recorded, after the checks every backend makes: the patient is monitored, the
    /// end comes after monitoring began, and no device is paired with the patient from a later
    /// time (`laterPairings`: their serials). A blank comment is no comment.
    public static func checked(
        reason: Reason, comment: String?, by clinician: Clinician, at: Date, patient: Patient,
        laterPairings: [String], operation: String
    ) throws -> MonitoringEnd {
        try patient.requireMonitored(operation)
        guard at > patient.monitoringStart else {
            throw StoreError(
                operation,
                "the end (\(at.formatted(.iso8601))) must come after monitoring began (\(patient.monitoringStart.formatted(.iso8601)))"
            )
        }
        guard laterPairings.isEmpty else {
            throw StoreError(
                operation,
                "device \(laterPairings.joined(separator: ", ")) is paired with the patient from a later time; unpair it first",
                code: .conflict)
        }
        let comment = comment?.trimmingCharacters(in: .whitespacesAndNewlines)
        return MonitoringEnd(
            reason: reason, comment: comment?.isEmpty == false ? comment : nil, endedBy: clinician.name, endedAt: at)
    }

    /// The end a reopening lifts, and when the reopening counts from: `at`, or the end itself
    /// when a clock behind the one that recorded the end says earlier. Refuses a patient being
    /// monitored.
    public static func checkReopening(_ patient: Patient, at: Date, operation: String) throws -> (
        end: MonitoringEnd, at: Date
    ) {
        guard let end = patient.monitoringEnd else {
            throw StoreError(operation, "the patient is being monitored; there is no end to reopen", code: .conflict)
        }
        return (end, max(at, end.endedAt))
    }

    /// What the audit log says of a reopening.
    public static func reopenDetail(_ end: MonitoringEnd) -> String {
        "period ended \(end.endedAt.formatted(.iso8601)) (\(end.reason.rawValue)) reopened; devices are paired again by hand"
    }
}
