import Foundation
import Vitals

/// Everything `telekit-sim` publishes for a cohort, in publishing order, with the ground truth.
///
/// The messy parts of real homes: gateways offline for 2–4 days that then flush their backlog,
/// device clocks that drift up to ±2 s a day, duplicate deliveries (2 % of messages sent twice)
/// and a chosen fraction of malformed payloads. Deterministic for the simulator's seed.
public struct TrafficPlan: Sendable {
    /// One message to publish.
    public struct Entry: Sendable, Hashable {
        public var message: DeviceMessage
        public var kind: Kind
        /// When the device (or its gateway) sends it: the measurement time, or the end of an offline spell.
        public var sendAt: Date
    }

    public enum Kind: Sendable, Hashable {
        /// A well-formed message carrying this many readings.
        case readings(Int)
        /// A second delivery of a message already in the plan.
        case duplicate
        /// A broken message and the quarantine reason it must get.
        case malformed(reason: String)
    }

    /// A simulated patient with the kit they were given.
    public struct Enrolment: Sendable, Hashable, Codable {
        public var id: String
        public var name: String
        public var cpr: String
        public var kit: DeviceKit
        public var monitoringStart: Date
        public var dryWeight: Double
        public var episodes: [Episode]
    }

    public var entries: [Entry]
    public var patients: [Enrolment]
    public var seed: UInt64

    /// The ground truth, for rule evaluation and tests.
    public struct Truth: Sendable, Codable, Equatable {
        public var seed: UInt64
        public var patients: [Enrolment]
        public var messages: Int
        public var wellFormedMessages: Int
        public var duplicates: Int
        public var expectedReadings: Int
        public var malformed: [Malformed]

        public struct Malformed: Sendable, Codable, Equatable {
            public var topic: String
            public var reason: String
        }
    }

    /// The part of the plan sent by `instant`: readings not measured yet stay unpublished.
    public func sent(by instant: Date) -> TrafficPlan {
        TrafficPlan(entries: entries.filter { $0.sendAt <= instant }, patients: patients, seed: seed)
    }

    public var truth: Truth {
        var malformed: [Truth.Malformed] = []
        var wellFormed = 0
        var duplicates = 0
        var readings = 0
        for entry in entries {
            switch entry.kind {
            case .readings(let count):
                wellFormed += 1
                readings += count
            case .duplicate: duplicates += 1
            case .malformed(let reason): malformed.append(Truth.Malformed(topic: entry.message.topic, reason: reason))
            }
        }
        return Truth(
            seed: seed, patients: patients, messages: entries.count, wellFormedMessages: wellFormed,
            duplicates: duplicates,
            expectedReadings: readings, malformed: malformed)
    }

    static let firstNames = [
        "Torben", "Karen", "Ib", "Inge", "Poul", "Bente", "Niels", "Hanne", "Jørgen", "Kirsten", "Svend", "Lone",
        "Erik", "Grethe", "Bent", "Ruth",
    ]
    static let lastNames = [
        "Testesen", "Prøvesen", "Eksempel", "Simulsen", "Opdigtet", "Fiktivsen", "Modelsen", "Demosen",
    ]

    /// Plans the traffic of `simulator`'s cohort; `badFraction` of messages are replaced by broken ones.
    public static func make(_ simulator: CohortSimulator, badFraction: Double = 0.0) -> TrafficPlan {
        var random = SeededGenerator(seed: simulator.seed ^ 0x5EED_7EA1)
        var entries: [Entry] = []
        var enrolments: [Enrolment] = []
        for index in 0..<simulator.patients {
            let patient = simulator.patient(index)
            let kit = DeviceKit(patient: index)
            let name =
                "\(firstNames[index % firstNames.count]) \(lastNames[(index / firstNames.count) % lastNames.count])"
            // Recognisably fake CPR numbers: day 00 does not exist.
            let cpr = String(format: "00%02d%02d-%04d", 1 + index % 12, 40 + index % 50, index % 10_000)
            enrolments.append(
                Enrolment(
                    id: patient.id, name: name, cpr: cpr, kit: kit, monitoringStart: patient.monitoringStart,
                    dryWeight: patient.dryWeight, episodes: patient.episodes))
            // Offline spells of the patient's gateway: messages wait and go out together at the end.
            var spells: [(start: Date, end: Date)] = []
            var spellDay = Double.random(in: 5...40, using: &random)
            while spellDay < Double(simulator.days) {
                let begin = simulator.start.addingTimeInterval(spellDay * 86_400)
                spells.append((begin, begin.addingTimeInterval(Double.random(in: 2...4, using: &random) * 86_400)))
                spellDay += Double.random(in: 20...60, using: &random)
            }
            let driftPerDay = Double.random(in: -2...2, using: &random)
            var weightSequence = 0
            var pressureSequence = 0
            var index = 0
            let readings = patient.readings
            while index < readings.count {
                let reading = readings[index]
                let days = reading.measuredAt.timeIntervalSince(simulator.start) / 86_400
                let deviceTime = reading.measuredAt.addingTimeInterval((driftPerDay * days).rounded())
                let sendAt =
                    spells.first { reading.measuredAt >= $0.start && reading.measuredAt < $0.end }?.end
                    ?? reading.measuredAt
                var message: DeviceMessage
                var count: Int
                if reading.kind == .weight {
                    weightSequence += 1
                    message = DeviceEncoding.weight(
                        reading.value, at: deviceTime, kit: kit, sequence: weightSequence, zone: simulator.zone)
                    count = 1
                    index += 1
                } else {
                    // systolic, diastolic, pulse of one measurement come together.
                    let group = readings[index..<min(index + 3, readings.count)]
                    let value = { (kind: ReadingKind) in group.first { $0.kind == kind }?.value ?? 0 }
                    pressureSequence += 1
                    message = DeviceEncoding.pressure(
                        systolic: value(.systolic), diastolic: value(.diastolic), pulse: value(.pulse), at: deviceTime,
                        kit: kit,
                        sequence: pressureSequence, zone: simulator.zone)
                    count = 3
                    index += group.count
                }
                if Double.random(in: 0..<1, using: &random) < badFraction {
                    let (broken, reason) = Self.breaking(message, choice: Int.random(in: 0..<3, using: &random))
                    entries.append(Entry(message: broken, kind: .malformed(reason: reason), sendAt: sendAt))
                    continue
                }
                entries.append(Entry(message: message, kind: .readings(count), sendAt: sendAt))
                if Double.random(in: 0..<1, using: &random) < 0.02 {
                    entries.append(Entry(message: message, kind: .duplicate, sendAt: sendAt.addingTimeInterval(60)))
                }
            }
        }
        // Publishing order: by send time; equal times keep the plan's order.
        let ordered = entries.enumerated().sorted { ($0.element.sendAt, $0.offset) < ($1.element.sendAt, $1.offset) }
            .map(\.element)
        return TrafficPlan(entries: ordered, patients: enrolments, seed: simulator.seed)
    }

    /// A broken copy of a message, and the quarantine reason it must get.
    static func breaking(_ message: DeviceMessage, choice: Int) -> (DeviceMessage, String) {
        var broken = message
        switch choice {
        case 0:
            broken.payload = String(message.payload.dropLast(7))
            return (broken, "malformed_json")
        case 1:
            broken.payload = "[]"
            return (broken, "missing_field")
        default:
            broken.payload = "{\"note\": \"firmware update pending\"}"
            return (broken, "missing_field")
        }
    }
}
