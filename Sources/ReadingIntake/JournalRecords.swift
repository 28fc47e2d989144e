import DevicePayloads
import Foundation
import MonitoringRecords
import ThresholdRules
import Vitals

/// Where a journaled message came from.
public enum MessageSource: String, Sendable, Codable {
    /// Received from the broker.
    case mqtt
    /// A row of `tele-ingest import`.
    case `import`
}

/// A raw message as journaled.
public struct JournalEntry: Sendable, Hashable {
    public var id: Int64
    public var source: MessageSource
    public var topic: String
    public var payload: Data
    public var receivedAt: Date

    public init(id: Int64, source: MessageSource, topic: String, payload: Data, receivedAt: Date) {
        self.id = id
        self.source = source
        self.topic = topic
        self.payload = payload
        self.receivedAt = receivedAt
    }
}

/// What became of a journaled message.
public enum JournalOutcome: String, Sendable, Codable {
    /// At least one new reading was stored.
    case stored
    /// Every reading in it was stored already (a redelivery).
    case duplicate
    /// It is in the quarantine.
    case quarantined
}

/// A reading as stored, attributed to a patient.
public struct StoredReading: Sendable, Hashable, Codable {
    public var id: Int64
    public var patientID: PatientID
    public var serial: DeviceSerial
    public var kind: ReadingKind
    /// Value in the kind's canonical unit.
    public var value: Double
    public var unit: MeasurementUnit
    public var originalValue: Double
    public var originalUnit: MeasurementUnit
    public var measuredAt: Date
    public var receivedAt: Date
    public var journalID: Int64
    public var messageID: String?
    public var profileID: String

    public init(
        id: Int64, patientID: PatientID, serial: DeviceSerial, kind: ReadingKind, value: Double, unit: MeasurementUnit,
        originalValue: Double, originalUnit: MeasurementUnit, measuredAt: Date, receivedAt: Date, journalID: Int64,
        messageID: String?, profileID: String
    ) {
        self.id = id
        self.patientID = patientID
        self.serial = serial
        self.kind = kind
        self.value = value
        self.unit = unit
        self.originalValue = originalValue
        self.originalUnit = originalUnit
        self.measuredAt = measuredAt
        self.receivedAt = receivedAt
        self.journalID = journalID
        self.messageID = messageID
        self.profileID = profileID
    }
}

/// What one journaled message became.
public struct MessageResult: Sendable, Equatable {
    public var journalID: Int64
    public var source: MessageSource
    public var serial: DeviceSerial?
    public var messageID: String?
    public var outcome: JournalOutcome
    /// Readings newly stored from it.
    public var storedReadings: [StoredReading]
    public var rejection: Rejection?

    public init(_ decision: IntakeDecision, stored: [StoredReading]) {
        journalID = decision.entry.id
        source = decision.entry.source
        serial = decision.serial
        messageID = decision.messageID
        outcome = decision.outcome
        storedReadings = stored
        rejection = decision.rejection
    }
}

/// A message that could not become readings, kept whole with a reason a person can read.
public struct QuarantineEntry: Sendable, Hashable, Codable {
    public var id: Int64
    public var journalID: Int64
    public var source: MessageSource
    public var topic: String
    /// The raw payload; may hold personal data, so it is shown only on request.
    public var payload: Data
    public var reason: QuarantineReason
    public var message: String
    public var serial: DeviceSerial?
    public var profileID: String?
    public var quarantinedAt: Date
    /// How many times the pipeline has tried it (1 + reprocess runs).
    public var attempts: Int
    /// When a reprocess run stored it; `nil` while it waits.
    public var resolvedAt: Date?

    public init(
        id: Int64, journalID: Int64, source: MessageSource, topic: String, payload: Data, reason: QuarantineReason,
        message: String, serial: DeviceSerial?, profileID: String?, quarantinedAt: Date, attempts: Int,
        resolvedAt: Date?
    ) {
        self.id = id
        self.journalID = journalID
        self.source = source
        self.topic = topic
        self.payload = payload
        self.reason = reason
        self.message = message
        self.serial = serial
        self.profileID = profileID
        self.quarantinedAt = quarantinedAt
        self.attempts = attempts
        self.resolvedAt = resolvedAt
    }
}

extension Sequence<MessageResult> {
    /// Per patient with new readings, the earliest new measurement: the rules re-evaluate from
    /// its day on, so a reading is never visible without its flags.
    public var earliestNewMeasurements: [PatientID: Date] {
        var earliest: [PatientID: Date] = [:]
        for reading in lazy.flatMap(\.storedReadings) {
            earliest[reading.patientID] = Swift.min(
                earliest[reading.patientID] ?? reading.measuredAt, reading.measuredAt)
        }
        return earliest
    }
}

extension StoredReading {
    /// The reading as the rules see it.
    public var observation: Observation {
        Observation(id: id, kind: kind, value: value, measuredAt: measuredAt)
    }
}
