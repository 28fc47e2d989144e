import Foundation
import MonitoringRecords

/// Why a patient's data may be erased (docs/SECURITY.md, keeping and forgetting).
public enum ErasureBasis: String, Sendable, Hashable, Codable, CaseIterable {
    /// The monitoring period has ended and the newest entry in the record is older than the
    /// health-record retention time (`records.keepYears`, ten years by the executive order on
    /// health records).
    case retentionOver = "retention-over"
    /// The patient was registered by mistake (a duplicate, the wrong person) and no clinician has
    /// acted on the record: no note, review, escalation, personal setting or acknowledged flag.
    /// Readings from a kit paired to the wrong person are moved to the right one first
    /// (`devices backdate`, `reprocess`); what is left was never part of a health record.
    case registeredInError = "registered-in-error"
}

/// What the store holds on one patient: the counts an erasure removes, and what decides
/// whether it may.
public struct PatientFootprint: Sendable, Hashable, Codable {
    public var readings = 0
    public var flags = 0
    public var notes = 0
    public var reviews = 0
    public var escalations = 0
    public var personalSettings = 0
    public var reminders = 0
    public var pairings = 0
    public var monitoringEnds = 0
    public var registrationChanges = 0
    public var notifications = 0
    /// Quarantined messages from the patient's devices while they were paired.
    public var quarantined = 0
    /// Journal messages whose raw payload is still kept: the patient's readings' messages and
    /// the quarantined ones.
    public var journalPayloads = 0
    /// Audit entries on the patient (kept by an erasure, their detail blanked).
    public var auditEntries = 0
    /// Audit entries of a clinician's action on the record (`AuditEntry.Action.clinical`).
    public var clinicalActions = 0
    /// The newest entry in the record: a reading received, a flag changed, a note, a review, an
    /// escalation or its answer, a setting, the end of monitoring or its reopening, a change of
    /// the registration, or the registration itself.
    public var newestEntry: Date
    /// The monitoring period has ended and not been reopened.
    public var monitoringEnded = false

    public init(newestEntry: Date) {
        self.newestEntry = newestEntry
    }

    /// The footprint as the erasure record keeps it: JSON, instants in milliseconds since 1970.
    public func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.dateEncodingStrategy = .millisecondsSince1970
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// A footprint from `jsonText()`.
    public init(jsonText: String) throws {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        self = try decoder.decode(PatientFootprint.self, from: Data(jsonText.utf8))
    }

    /// "1,204 readings, 9 flags, 2 notes, …", the nonzero counts.
    public var summary: String {
        let counts: [(Int, String)] = [
            (readings, "readings"), (flags, "flags"), (notes, "notes"), (reviews, "reviews"),
            (escalations, "escalations"), (personalSettings, "personal settings"), (reminders, "reminders"),
            (pairings, "pairings"), (monitoringEnds, "ends of monitoring"),
            (registrationChanges, "registration changes"), (notifications, "notifications"),
            (quarantined, "quarantined messages"), (journalPayloads, "raw payloads"),
        ]
        return Self.listing(counts) ?? "the registration only"
    }

    /// "2 notes, 1 personal settings": the nonzero counts, or `nil` when all are zero.
    static func listing(_ counts: [(Int, String)]) -> String? {
        let nonzero = counts.filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
        return nonzero.isEmpty ? nil : nonzero.joined(separator: ", ")
    }
}

extension AuditEntry.Action {
    /// Actions that make the record part of a patient's health record: a clinician wrote,
    /// decided or answered something about the patient. Views, drafts, exports and the end of
    /// monitoring are not among them.
    public static let clinical: [AuditEntry.Action] = [
        .flagAcknowledged, .noteWritten, .patientReviewed, .escalated, .escalationAnswered, .thresholdChanged,
        .measurementPlanChanged, .enteredForClinician,
    ]
}

/// When the law lets a patient's data go. Pure: the backends read the footprint and ask.
public struct ErasurePolicy: Sendable, Hashable {
    /// Years a health record is kept after its newest entry (`records.keepYears`; at least 10).
    public var keepYears: Int

    public init(keepYears: Int = 10) {
        self.keepYears = keepYears
    }

    /// The earliest instant the retention time allows erasing a record whose newest entry is
    /// `newestEntry`: the same calendar day `keepYears` later (UTC).
    public func retentionEnds(after newestEntry: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        return calendar.date(byAdding: .year, value: keepYears, to: newestEntry) ?? .distantFuture
    }

    /// Why `patientID`'s data may not be erased on `basis` at `now`, or `nil` when it may.
    public func refusal(
        patientID: PatientID, footprint: PatientFootprint, basis: ErasureBasis, at now: Date
    ) -> String? {
        switch basis {
        case .retentionOver:
            if !footprint.monitoringEnded {
                return
                    "\(patientID)'s monitoring has not ended: end it first (nurse-console end), and erase once the record has been kept \(keepYears) years after its newest entry"
            }
            let ends = retentionEnds(after: footprint.newestEntry)
            if now < ends {
                return
                    "\(patientID)'s record must be kept until \(Self.day(ends)): \(keepYears) years after its newest entry (\(Self.day(footprint.newestEntry))), records.keepYears"
            }
            return nil
        case .registeredInError:
            if footprint.clinicalActions > 0 {
                return
                    "\(patientID)'s record has \(footprint.clinicalActions) clinical entries (\(Self.actedOn(footprint))): it is part of a health record and is kept \(keepYears) years after its newest entry (--basis retention-over)"
            }
            return nil
        }
    }

    private static func actedOn(_ footprint: PatientFootprint) -> String {
        let parts: [(Int, String)] = [
            (footprint.notes, "notes"), (footprint.reviews, "reviews"), (footprint.escalations, "escalations"),
            (footprint.personalSettings, "personal settings"),
        ]
        return PatientFootprint.listing(parts) ?? "acknowledged flags"
    }

    private static func day(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day())
    }
}

/// One erasure, as the store keeps it after the data is gone: the patient's id (never reused),
/// the basis, why, who and when, and what was removed. No name, no CPR number.
public struct PatientErasureRecord: Sendable, Hashable, Codable {
    public var patientID: PatientID
    public var basis: ErasureBasis
    public var reason: String
    public var erasedBy: String
    public var erasedAt: Date
    public var removed: PatientFootprint

    public init(
        patientID: PatientID, basis: ErasureBasis, reason: String, erasedBy: String, erasedAt: Date,
        removed: PatientFootprint
    ) {
        self.patientID = patientID
        self.basis = basis
        self.reason = reason
        self.erasedBy = erasedBy
        self.erasedAt = erasedAt
        self.removed = removed
    }

    /// The tables whose rows on the patient an erasure deletes (by `patient_id`), in an order
    /// the foreign keys allow, on every backend; then the registration itself. Every table with
    /// a `patient_id` is here but the audit log (`PatientErasureTests` reads the schema).
    public static let erasedTables = [
        "latest_reading", "reading", "flag", "notification", "reminder", "review", "note", "escalation",
        "personal_setting", "monitoring_end", "patient_change", "pairing",
    ]

    /// The detail every audit entry on the patient keeps in place of its own after an erasure.
    public static let blankedAuditDetail = "(erased with the patient's record)"

    /// The erasure's own audit entry.
    public var auditDetail: String {
        "erased (\(basis.rawValue)): \(removed.summary); reason: \(reason)"
    }
}

/// Erasing one patient's data when the law allows it (docs/SECURITY.md). In one transaction:
/// the registration, pairings, readings, flags, notes, reviews, escalations, personal settings,
/// reminders, ends of monitoring, change history and notifications are deleted; the raw payloads
/// of the patient's messages are removed and the quarantined messages from the patient's devices
/// deleted; the audit entries on the patient stay (who did what, when) with their detail
/// blanked; an erasure record and its audit entry are written. The append-only tables refuse the
/// deletes of any patient without that erasure record, on every backend.
public protocol PatientErasure: Sendable {
    /// What the store holds on the patient; `nil` when there is no such patient.
    func erasureFootprint(patientID: PatientID) async throws -> PatientFootprint?

    /// Erases the patient if `policy` allows it on `basis` at the store's clock; refuses
    /// (`StoreError`, `.notAllowed`) with the policy's reason, an unknown patient (`.notFound`) and
    /// an empty reason.
    @discardableResult
    func erasePatient(
        id: PatientID, basis: ErasureBasis, reason: String, account: String, policy: ErasurePolicy
    ) async throws -> PatientErasureRecord

    /// Every erasure, oldest first.
    func erasures() async throws -> [PatientErasureRecord]
}

extension Patient {
    /// Why a new registration under an erased patient's id is refused: the audit log still
    /// holds that id's entries, which must not come to describe another person.
    public static func erasedIDReason(erasedAt: Date) -> String {
        "this id belonged to a patient whose data was erased on \(erasedAt.formatted(.iso8601.year().month().day())): the audit log keeps its entries, so give the new patient another id"
    }
}
