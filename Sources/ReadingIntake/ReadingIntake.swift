import DevicePayloads
import Foundation
import MonitoringRecords
import Vitals

/// The ingest pipeline's decisions without I/O, shared by every store backend: decode a
/// journaled message, attribute its readings to the patient the device was paired with at the
/// measurement time, check the device clock, and tell a new reading from a redelivery or a
/// conflict.
///
/// A backend runs a batch in four steps inside one transaction: read the `DeviceKnowledge` for
/// the batch's serials, `place` the messages, read the `KeptReading`s under the placed
/// batch's keys, `decide` — then writes back what the decisions say. Each step touches the
/// store set-based, a few statements per batch, whatever its size.
public struct ReadingIntake: Sendable {
    public var decoder: MessageDecoder
    public var importDecoder: ImportRowDecoder
    /// How far after its arrival a measurement time may lie (device clocks drift).
    public var futureTolerance: TimeInterval
    /// Zone for local times of a device that is not paired yet.
    public var defaultTimeZone: TimeZone

    /// How many journal entries a backend reads, decodes and decides at a time within one
    /// batch's transaction: what a message holds while it is decided (its payload, decoded and
    /// placed readings) is freed with its chunk, so a larger batch costs little more memory.
    public static let chunkSize = 1_000

    /// Before this, a device clock was never set (the product did not exist).
    public static let earliestPlausible = Date(timeIntervalSince1970: 1_262_304_000)  // 2010-01-01

    public init(
        decoder: MessageDecoder, importDecoder: ImportRowDecoder = ImportRowDecoder(), futureTolerance: TimeInterval,
        defaultTimeZone: TimeZone
    ) {
        self.decoder = decoder
        self.importDecoder = importDecoder
        self.futureTolerance = futureTolerance
        self.defaultTimeZone = defaultTimeZone
    }

    /// The pure stages for one journal entry: parse, recognise, decode, normalise, range check.
    public func prepare(_ entry: JournalEntry) -> Result<PreparedMessage, Rejection> {
        do throws(Rejection) {
            switch entry.source {
            case .mqtt: return .success(try decoder.prepare(topic: entry.topic, payload: entry.payload))
            case .import: return .success(try importDecoder.prepare(row: entry.payload))
            }
        } catch {
            return .failure(error)
        }
    }

    /// Attributes every message of a batch: each reading to the patient its device was paired
    /// with at the measurement time, or the whole message to a rejection.
    public func place(
        _ messages: [(entry: JournalEntry, preparation: Result<PreparedMessage, Rejection>)], devices: DeviceKnowledge
    ) -> PlacedBatch {
        PlacedBatch(
            messages: messages.map { entry, preparation in
                PlacedMessage(
                    entry: entry, message: try? preparation.get(),
                    placement: preparation.flatMap { place($0, receivedAt: entry.receivedAt, devices: devices) })
            })
    }

    /// Attributes every reading of the message, or rejects the whole message if any reading
    /// cannot be placed.
    func place(_ message: PreparedMessage, receivedAt: Date, devices: DeviceKnowledge) -> Result<
        [PlacedReading], Rejection
    > {
        let serial = message.serial
        func refuse(_ reason: QuarantineReason, _ text: String) -> Rejection {
            Rejection(reason, text, serial: serial, profileID: message.profileID)
        }
        guard devices.registered.contains(serial) else {
            return .failure(refuse(.unknownDevice, "no device with serial \(serial) is registered"))
        }
        var placed: [PlacedReading] = []
        for reading in message.readings {
            switch attribute(reading.time, serial: serial, receivedAt: receivedAt, devices: devices, refuse: refuse) {
            case .failure(let rejection): return .failure(rejection)
            case .success(let (owner, measuredAt)):
                let at = measuredAt.millisecondsSince1970
                let key: ReadingKey =
                    if let messageID = message.messageID {
                        .message(serial: serial, messageID: messageID, kind: reading.kind)
                    } else {
                        .time(serial: serial, kind: reading.kind, measuredAt: at)
                    }
                placed.append(
                    PlacedReading(
                        reading: reading, patientID: owner.patientID, measuredAt: at, zone: owner.zone, key: key))
            }
        }
        return .success(placed)
    }

    /// The patient the device was paired with at the measurement time, and that time as an
    /// instant. A local time is read in the zone of the patient paired when it arrived (or the
    /// default zone), then once more in the zone of the patient it lands on, if that differs.
    private func attribute(
        _ time: MeasurementTime, serial: DeviceSerial, receivedAt: Date, devices: DeviceKnowledge,
        refuse: (QuarantineReason, String) -> Rejection
    ) -> Result<(PairingSpan, Date), Rejection> {
        var zone = defaultTimeZone
        if case .local = time, let current = devices.pairing(of: serial, at: receivedAt) {
            zone = current.zone
        }
        guard var measuredAt = time.date(in: zone) else {
            return .failure(refuse(.badTimestamp, "the local time does not exist in \(zone.identifier)"))
        }
        if measuredAt > receivedAt.addingTimeInterval(futureTolerance) {
            // Measurement times are within the years 1–9999 (decoding refuses others): this fits an Int.
            let ahead = Int(measuredAt.timeIntervalSince(receivedAt).rounded())
            return .failure(
                refuse(
                    .futureTimestamp,
                    "measured at \(measuredAt.formatted(.iso8601)), \(ahead) s after it arrived (\(receivedAt.formatted(.iso8601))); at most \(Int(futureTolerance)) s are allowed"
                ))
        }
        if measuredAt < Self.earliestPlausible {
            return .failure(
                refuse(
                    .clockNotSet,
                    "measured at \(measuredAt.formatted(.iso8601)), before 2010: the device clock is not set"))
        }
        guard var owner = devices.pairing(of: serial, at: measuredAt) else {
            return .failure(
                refuse(
                    .unpairedDevice,
                    "device \(serial) was not paired with any patient at \(measuredAt.formatted(.iso8601))"))
        }
        if case .local = time, owner.zone != zone, let again = time.date(in: owner.zone),
            let second = devices.pairing(of: serial, at: again)
        {
            measuredAt = again
            owner = second
        }
        return .success((owner, measuredAt))
    }
}

/// A reading attributed to a patient, with its instant and key, not stored yet.
public struct PlacedReading: Sendable, Hashable {
    public var reading: PreparedReading
    public var patientID: PatientID
    /// Milliseconds since 1970.
    public var measuredAt: Int64
    /// The zone of the patient it belongs to (the worklist's week and day).
    public var zone: TimeZone
    public var key: ReadingKey
}

/// One message after attribution.
public struct PlacedMessage: Sendable {
    public var entry: JournalEntry
    /// The decoded message, if decoding succeeded.
    public var message: PreparedMessage?
    public var placement: Result<[PlacedReading], Rejection>
}

/// A batch after attribution: what the store must look up next, and the decisions once it has.
public struct PlacedBatch: Sendable {
    public var messages: [PlacedMessage]

    /// The keys of every placed reading: the store reads what it holds under them.
    public var keys: Set<ReadingKey> {
        Set(messages.flatMap { (try? $0.placement.get())?.map(\.key) ?? [] })
    }

    /// Decides each message in journal order against what the store holds under the batch's
    /// keys (`kept`) and what the messages before it in the batch stored: new readings, a
    /// redelivery (every key held with the same value, time and patient), or a conflict, which
    /// quarantines the whole message so that it is stored whole or not at all.
    public func decide(kept: [ReadingKey: KeptReading]) -> [IntakeDecision] {
        var known = kept
        return messages.map { placed in
            var decision = IntakeDecision(
                entry: placed.entry, serial: placed.message?.serial, messageID: placed.message?.messageID,
                profileID: placed.message?.profileID, outcome: .quarantined, newReadings: [], rejection: nil)
            switch placed.placement {
            case .failure(let rejection):
                decision.serial = rejection.serial
                decision.rejection = rejection
            case .success(let readings):
                var inMessage: [ReadingKey: KeptReading] = [:]
                for reading in readings {
                    let saying = KeptReading(
                        patientID: reading.patientID, value: reading.reading.canonical.value,
                        measuredAt: reading.measuredAt)
                    if let held = inMessage[reading.key] ?? known[reading.key] {
                        if abs(held.value - saying.value) < 1e-9, held.measuredAt == saying.measuredAt,
                            held.patientID == saying.patientID
                        {
                            continue
                        }
                        decision.rejection = Rejection(
                            .conflictingReading,
                            "a \(reading.reading.kind.displayName) reading with the same key is stored as \(Quantity(held.value, reading.reading.canonical.unit)); this message says \(reading.reading.canonical) at \(Date(millisecondsSince1970: reading.measuredAt).formatted(.iso8601))",
                            serial: placed.message?.serial, profileID: placed.message?.profileID)
                        decision.newReadings = []
                        return decision
                    }
                    inMessage[reading.key] = saying
                    decision.newReadings.append(reading)
                }
                known.merge(inMessage) { _, new in new }
                decision.outcome = decision.newReadings.isEmpty ? .duplicate : .stored
            }
            return decision
        }
    }
}

/// What the store is to do with one journaled message.
public struct IntakeDecision: Sendable {
    public var entry: JournalEntry
    public var serial: DeviceSerial?
    public var messageID: String?
    public var profileID: String?
    public var outcome: JournalOutcome
    /// Readings to insert (and keep in the latest values), in the message's order.
    public var newReadings: [PlacedReading]
    /// Why it goes to the quarantine, when it does.
    public var rejection: Rejection?

    /// The readings as stored, given the ids the store gave them (in `newReadings`' order).
    public func stored(ids: [Int64]) -> [StoredReading] {
        guard let serial, let profileID else { return [] }
        return zip(newReadings, ids).map { placed, id in
            StoredReading(
                id: id, patientID: placed.patientID, serial: serial, kind: placed.reading.kind,
                value: placed.reading.canonical.value, unit: placed.reading.canonical.unit,
                originalValue: placed.reading.original.value, originalUnit: placed.reading.original.unit,
                measuredAt: Date(millisecondsSince1970: placed.measuredAt), receivedAt: entry.receivedAt,
                journalID: entry.id, messageID: messageID, profileID: profileID)
        }
    }
}
