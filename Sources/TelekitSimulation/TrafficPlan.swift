import Foundation
import Vitals

/// Everything `telekit-sim` publishes for a cohort, in publishing order, with the ground truth.
///
/// The messy parts of real homes: gateways offline for 2–4 days that then flush their backlog,
/// device clocks that drift up to ±2 s a day, duplicate deliveries (2 % of messages sent twice),
/// kits handed back and given to a new patient (a tenth of patients in periods of 50 days or
/// more stop between day 30 and 20 days before the end; their kit goes to a new patient 1–7 days
/// later) and a chosen fraction of malformed payloads. Deterministic for the simulator's seed.
public struct TrafficPlan: Sendable {
    /// One message to publish.
    public struct Entry: Sendable, Hashable {
        public var message: DeviceMessage
        public var kind: Kind
        /// The patient whose reading it carries.
        public var patient: String
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
        /// When the kit was handed back (the pairing ends); `nil` while the patient keeps it.
        public var kitReturned: Date?
        /// Readings the patient's well-formed messages carry.
        public var expectedReadings: Int
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
        let sent = entries.filter { $0.sendAt <= instant }
        var counts: [String: Int] = [:]
        for entry in sent {
            if case .readings(let count) = entry.kind { counts[entry.patient, default: 0] += count }
        }
        var enrolments = patients
        for index in enrolments.indices { enrolments[index].expectedReadings = counts[enrolments[index].id] ?? 0 }
        return TrafficPlan(entries: sent, patients: enrolments, seed: seed)
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
        var joiners: [(index: Int, kit: DeviceKit, joins: Date, sequences: Sequences)] = []
        // Hand-over days are calendar days in the cohort's zone: a fixed 86,400 s per day would
        // put them at 23:00 the day before once the clocks go back, and the new patient's first
        // morning before the pairing starts.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = simulator.zone
        for index in 0..<simulator.patients {
            var patient = simulator.patient(index)
            let kit = DeviceKit(patient: index)
            // Turnover: its own generator, so the rest of the plan does not depend on it.
            var turnover = SeededGenerator(seed: simulator.seed ^ 0x7E7A_1123 &+ UInt64(index))
            var returned: Date?
            if simulator.days >= 50, Double.random(in: 0..<1, using: &turnover) < 0.1 {
                let leaveDay = Int.random(in: 30...(simulator.days - 20), using: &turnover)
                let leaves = calendar.date(byAdding: .day, value: leaveDay, to: simulator.start)!
                patient.readings = patient.readings.filter { $0.measuredAt < leaves }
                patient.episodes = patient.episodes.filter { $0.start < leaves }
                returned = leaves
                joiners.append(
                    (
                        simulator.patients + joiners.count, kit,
                        calendar.date(byAdding: .day, value: Int.random(in: 1...7, using: &turnover), to: leaves)!,
                        Sequences()
                    ))
            }
            var sequences = Sequences()
            let count = plan(
                patient, kit: kit, simulator: simulator, badFraction: badFraction, sequences: &sequences,
                random: &random, into: &entries)
            if returned != nil { joiners[joiners.count - 1].sequences = sequences }
            enrolments.append(enrolment(index, patient, kit: kit, returned: returned, readings: count))
        }
        // The new patients who got a returned kit: their own plan from the day they joined; the
        // devices' message counters carry on.
        for joiner in joiners {
            var later = simulator
            later.start = joiner.joins
            let end = calendar.date(byAdding: .day, value: simulator.days, to: simulator.start)!
            later.days = calendar.dateComponents([.day], from: joiner.joins, to: end).day ?? 0
            let patient = later.patient(joiner.index)
            var sequences = joiner.sequences
            let count = plan(
                patient, kit: joiner.kit, simulator: later, badFraction: badFraction, sequences: &sequences,
                random: &random, into: &entries)
            enrolments.append(enrolment(joiner.index, patient, kit: joiner.kit, returned: nil, readings: count))
        }
        // Publishing order: by send time; equal times keep the plan's order.
        let ordered = entries.enumerated().sorted { ($0.element.sendAt, $0.offset) < ($1.element.sendAt, $1.offset) }
            .map(\.element)
        return TrafficPlan(entries: ordered, patients: enrolments, seed: simulator.seed)
    }

    /// A device's message counters, which carry on when the kit changes hands.
    struct Sequences {
        var weight = 0
        var pressure = 0
    }

    static func enrolment(_ index: Int, _ patient: SimulatedPatient, kit: DeviceKit, returned: Date?, readings: Int)
        -> Enrolment
    {
        let name = "\(firstNames[index % firstNames.count]) \(lastNames[(index / firstNames.count) % lastNames.count])"
        // Recognisably fake CPR numbers: day 00 does not exist.
        let cpr = String(format: "00%02d%02d-%04d", 1 + index % 12, 40 + index % 50, index % 10_000)
        return Enrolment(
            id: patient.id, name: name, cpr: cpr, kit: kit, monitoringStart: patient.monitoringStart,
            dryWeight: patient.dryWeight, episodes: patient.episodes, kitReturned: returned,
            expectedReadings: readings)
    }

    /// Appends one patient's messages; returns how many readings the well-formed ones carry.
    static func plan(
        _ patient: SimulatedPatient, kit: DeviceKit, simulator: CohortSimulator, badFraction: Double,
        sequences: inout Sequences, random: inout SeededGenerator, into entries: inout [Entry]
    ) -> Int {
        // Offline spells of the patient's gateway: messages wait and go out together at the end.
        var spells: [(start: Date, end: Date)] = []
        var spellDay = Double.random(in: 5...40, using: &random)
        while spellDay < Double(simulator.days) {
            let begin = simulator.start.addingTimeInterval(spellDay * 86_400)
            spells.append((begin, begin.addingTimeInterval(Double.random(in: 2...4, using: &random) * 86_400)))
            spellDay += Double.random(in: 20...60, using: &random)
        }
        let driftPerDay = Double.random(in: -2...2, using: &random)
        var stored = 0
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
                sequences.weight += 1
                message = DeviceEncoding.weight(
                    reading.value, at: deviceTime, kit: kit, sequence: sequences.weight, zone: simulator.zone)
                count = 1
                index += 1
            } else {
                // systolic, diastolic, pulse of one measurement come together.
                let group = readings[index..<min(index + 3, readings.count)]
                let value = { (kind: ReadingKind) in group.first { $0.kind == kind }?.value ?? 0 }
                sequences.pressure += 1
                message = DeviceEncoding.pressure(
                    systolic: value(.systolic), diastolic: value(.diastolic), pulse: value(.pulse), at: deviceTime,
                    kit: kit, sequence: sequences.pressure, zone: simulator.zone)
                count = 3
                index += group.count
            }
            if Double.random(in: 0..<1, using: &random) < badFraction {
                let (broken, reason) = Self.breaking(message, choice: Int.random(in: 0..<3, using: &random))
                entries.append(
                    Entry(message: broken, kind: .malformed(reason: reason), patient: patient.id, sendAt: sendAt))
                continue
            }
            entries.append(Entry(message: message, kind: .readings(count), patient: patient.id, sendAt: sendAt))
            stored += count
            if Double.random(in: 0..<1, using: &random) < 0.02 {
                entries.append(
                    Entry(
                        message: message, kind: .duplicate, patient: patient.id, sendAt: sendAt.addingTimeInterval(60)))
            }
        }
        return stored
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
