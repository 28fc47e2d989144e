import Foundation
import Testing
import Vitals

@testable import TelekitSimulation

@Suite struct CohortSimulatorTests {
    let simulator = CohortSimulator(
        seed: 42, patients: 60, days: 365, start: Date(timeIntervalSince1970: 1_767_225_600))

    @Test("the same seed gives the same cohort; another seed another one")
    func deterministic() {
        #expect(simulator.patient(7) == simulator.patient(7))
        var other = simulator
        other.seed = 43
        #expect(other.patient(7) != simulator.patient(7))
    }

    @Test("daily weighing for the first 14 days, then fewer; about a fifth of days missed")
    func measurementPlan() {
        let cohort = simulator.cohort()
        var firstTwoWeeks = 0
        var later = 0
        for patient in cohort {
            let weighDays = Set(
                patient.readings.filter { $0.kind == .weight }.map {
                    Int($0.measuredAt.timeIntervalSince(patient.monitoringStart) / 86_400)
                })
            firstTwoWeeks += weighDays.filter { $0 < 14 }.count
            later += weighDays.filter { $0 >= 14 }.count
        }
        let earlyShare = Double(firstTwoWeeks) / Double(cohort.count * 14)
        let laterShare = Double(later) / Double(cohort.count * (365 - 14))
        #expect((0.70...0.88).contains(earlyShare), "share of the first 14 days with a weight: \(earlyShare)")
        #expect((0.15...0.40).contains(laterShare), "share of later days with a weight: \(laterShare)")
    }

    @Test("a daily cohort weighs on about four days in five throughout, with the same patients and episodes")
    func dailyHabit() {
        var daily = simulator
        daily.habit = .daily
        var weighDays = 0
        for index in 0..<daily.patients {
            let patient = daily.patient(index)
            weighDays +=
                Set(
                    patient.readings.filter { $0.kind == .weight }.map {
                        Int($0.measuredAt.timeIntervalSince(patient.monitoringStart) / 86_400)
                    }
                ).filter { $0 >= 14 }.count
            #expect(patient.dryWeight == simulator.patient(index).dryWeight)
            #expect(patient.episodes == simulator.patient(index).episodes)
        }
        let share = Double(weighDays) / Double(daily.patients * (daily.days - 14))
        #expect((0.70...0.88).contains(share), "share of later days with a weight: \(share)")
    }

    @Test("about half the episodes gain 1–2.5 kg; the others do not move the weight")
    func episodes() {
        let episodes = simulator.cohort().flatMap(\.episodes)
        #expect(episodes.count > 15)
        let withGain = episodes.filter { $0.weightGain > 0 }
        #expect(withGain.allSatisfy { (1.0...2.5).contains($0.weightGain) })
        #expect((0.3...0.7).contains(Double(withGain.count) / Double(episodes.count)))
        #expect(episodes.allSatisfy { (7...30).contains(Int(($0.end.timeIntervalSince($0.start) / 86_400).rounded())) })
    }

    @Test("weights stay near the dry weight outside episodes, with day-to-day noise under a kilogram")
    func weightNoise() {
        for patient in simulator.cohort().prefix(20) {
            let quiet = patient.readings.filter { reading in
                reading.kind == .weight
                    && !patient.episodes.contains { reading.measuredAt >= $0.start && reading.measuredAt <= $0.end }
            }
            let deviations = quiet.map { $0.value - patient.dryWeight }
            let mean = deviations.reduce(0, +) / Double(deviations.count)
            #expect(abs(mean) < 0.4, "\(patient.id): mean deviation \(mean)")
        }
    }
}

@Suite struct TrafficPlanTests {
    let simulator = CohortSimulator(seed: 7, patients: 24, days: 60, start: Date(timeIntervalSince1970: 1_767_225_600))

    @Test("the same seed publishes the same messages in the same order")
    func deterministic() {
        let first = TrafficPlan.make(simulator, badFraction: 0.05)
        let second = TrafficPlan.make(simulator, badFraction: 0.05)
        #expect(first.entries == second.entries)
        #expect(first.truth == second.truth)
    }

    @Test("the truth counts what the plan publishes")
    func truthMatchesPlan() {
        let plan = TrafficPlan.make(simulator, badFraction: 0.05)
        let truth = plan.truth
        #expect(truth.messages == plan.entries.count)
        #expect(truth.wellFormedMessages + truth.duplicates + truth.malformed.count == truth.messages)
        #expect(truth.malformed.count > 0)
        #expect(truth.duplicates > 0)
        let simulated = (0..<simulator.patients).map { simulator.patient($0).readings.count }.reduce(0, +)
        // Every simulated reading is either published in a well-formed message or lost to a broken one.
        #expect(truth.expectedReadings <= simulated)
        #expect(truth.expectedReadings > simulated * 9 / 10)
        #expect(TrafficPlan.make(simulator, badFraction: 0).truth.malformed.isEmpty)
    }

    @Test("every shipped device format is used, messages go out in send order, offline gateways flush late")
    func messyParts() {
        let plan = TrafficPlan.make(simulator)
        let topics = Set(plan.entries.map { $0.message.topic.split(separator: "/").last.map(String.init) ?? "" })
        #expect(topics.isSuperset(of: ["hv10", "sc300", "datapoints", "bp7", "k2", "observations"]))
        #expect(zip(plan.entries, plan.entries.dropFirst()).allSatisfy { $0.sendAt <= $1.sendAt })
        let patients = Set(plan.patients.map(\.id))
        let handedOver = plan.patients.filter { $0.kitReturned != nil }.count
        #expect(patients.count == 24 + handedOver)  // a new patient for every returned kit
        #expect(plan.patients.allSatisfy { $0.cpr.hasPrefix("00") })
    }
}

@Suite struct KitHandOverTests {
    @Test("a returned kit goes to a new patient; no reading of one lands in the other's time")
    func handOver() {
        let simulator = CohortSimulator(
            seed: 11, patients: 40, days: 120, start: Date(timeIntervalSince1970: 1_767_225_600))
        let plan = TrafficPlan.make(simulator)
        let leavers = plan.patients.filter { $0.kitReturned != nil }
        let joiners = plan.patients.dropFirst(simulator.patients)
        #expect(!leavers.isEmpty)
        #expect(leavers.count == joiners.count)
        for (leaver, joiner) in zip(leavers, joiners) {
            #expect(joiner.kit == leaver.kit)
            #expect(joiner.monitoringStart > leaver.kitReturned!)
            #expect(joiner.cpr.hasPrefix("00"))
        }
        #expect(plan.patients.map(\.expectedReadings).reduce(0, +) == plan.truth.expectedReadings)
        // Device message counters carry on: a kit never sends the same message id twice.
        let wellFormed = plan.entries.filter { if case .readings = $0.kind { true } else { false } }
        #expect(Set(wellFormed.map(\.message.payload)).count == wellFormed.count)
    }
}

@Suite struct KitHandOverAcrossDSTTests {
    @Test(
        "kits handed over after the clocks go back change hands at local midnight, so no morning falls between two pairings"
    )
    func handOverAfterTheClocksGoBack() throws {
        let zone = try #require(TimeZone(identifier: "Europe/Copenhagen"))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        // 2026-09-01 00:00 in Copenhagen (summer time); the clocks go back on 25 October.
        let start = Date(timeIntervalSince1970: 1_788_213_600)
        let simulator = CohortSimulator(seed: 11, patients: 60, days: 120, start: start, zone: zone)
        let plan = TrafficPlan.make(simulator)
        let leavers = plan.patients.filter { $0.kitReturned != nil }
        let changeOfClocks = Date(timeIntervalSince1970: 1_792_890_000)  // 2026-10-25 01:00 UTC
        #expect(leavers.contains { $0.kitReturned! > changeOfClocks }, "the seed hands a kit over in winter time")
        for leaver in leavers {
            #expect(calendar.startOfDay(for: leaver.kitReturned!) == leaver.kitReturned!)
        }
        for joiner in plan.patients.dropFirst(simulator.patients) {
            #expect(calendar.startOfDay(for: joiner.monitoringStart) == joiner.monitoringStart)
        }
    }
}

@Suite struct HolidayTests {
    @Test(
        "Danish public holidays, Easter-based ones included",
        arguments: [
            (2026, 4, 2, true), (2026, 4, 3, true), (2026, 4, 5, true), (2026, 4, 6, true), (2026, 5, 14, true),
            (2026, 5, 25, true), (2026, 6, 5, true), (2026, 12, 24, true), (2027, 3, 28, true), (2027, 5, 6, true),
            (2026, 4, 7, false), (2026, 5, 15, false), (2026, 11, 20, false),
        ])
    func holiday(year: Int, month: Int, day: Int, holiday: Bool) {
        #expect(DanishHolidays.contains(year: year, month: month, day: day) == holiday)
    }

    @Test("answers to requests come only on days off the habit, and asking changes none of the habitual readings")
    func answers() {
        var simulator = CohortSimulator(
            seed: 11, patients: 5, days: 90, start: Date(timeIntervalSince1970: 1_767_571_200))
        let usual = simulator.cohort()
        simulator.requestAnswerRate = 1
        let always = simulator.cohort()
        simulator.requestAnswerRate = 0
        let never = simulator.cohort()
        #expect(usual.map(\.readings) == always.map(\.readings) && usual.map(\.readings) == never.map(\.readings))
        #expect(never.allSatisfy { $0.answers.isEmpty })
        for (patient, answering) in zip(usual, always) {
            let measured = Set(
                patient.readings.map { Int($0.measuredAt.timeIntervalSince(patient.monitoringStart) / 86_400) })
            #expect(!answering.answers.isEmpty)
            #expect(answering.answers.keys.allSatisfy { !measured.contains($0) })
            #expect(Set(patient.answers.keys).isSubset(of: Set(answering.answers.keys)))
        }
    }
}
