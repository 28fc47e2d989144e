import FHIRExport
import Foundation
import MonitoringRecords
import ReadingIntake
import StoreInterface
import Testing
import ThresholdRules
import Vitals

@testable import FollowUp
@testable import TeleIngest

/// `tele-ingest export fhir`: a patient's record as a FHIR R4 transaction Bundle (docs/FHIR.md),
/// checked by two FHIR parsers that share no code with the product (`scripts/check-fhir`).
@Suite struct FHIRExportTests {
    static let systemBase = "https://fhir.teleingest.example"
    static let golden = Paths.fixtures.appendingPathComponent("fhir/conformance-stream.json")

    /// The conformance stream's patients (kg, lb, mmHg with pulse, kPa; one patient without a CPR
    /// number, in America/Nuuk) as one Bundle, on `backend`.
    static func streamBundle(_ backend: Backend) async throws -> FHIR.TransactionBundle {
        try await withIntake(backend) { intake in
            try await ReadingIntakeConformanceTests.register(intake.registry)
            for delivery in ReadingIntakeConformanceTests.deliveries {
                try await intake.journal(.mqtt, delivery.messages, delivery.receivedAt)
                _ = try await intake.processAll()
            }
            let export = PatientExport(systemBase: systemBase)
            var entries: [FHIR.TransactionBundle.Entry] = []
            for id: PatientID in ["P-0001", "P-NUUK"] {
                let record = try #require(try await intake.followUp.patientRecord(id: id, since: .distantPast))
                entries += export.entries(for: record)
            }
            return FHIR.TransactionBundle(entry: entries)
        }
    }

    static func encoded(_ bundle: FHIR.TransactionBundle) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(bundle)
    }

    @Test(
        "every backend exports the stream byte for byte as the golden Bundle, which both FHIR parsers accept",
        arguments: Backend.allCases)
    func golden(backend: Backend) async throws {
        let data = try Self.encoded(try await Self.streamBundle(backend))
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1", backend == .sqlite {
            try data.write(to: Self.golden)
        }
        let golden = try Data(contentsOf: Self.golden)
        #expect(
            String(decoding: data, as: UTF8.self) == String(decoding: golden, as: UTF8.self),
            "the export changed; if on purpose, UPDATE_GOLDEN=1 swift test --filter FHIRExportTests rewrites \(Self.golden.lastPathComponent)"
        )
        let check = try FHIRCheck.run([Self.golden])
        #expect(check == [FHIRCheck.Result(valid: true, resources: ["Device": 5, "Observation": 9, "Patient": 2])])
    }

    @Test("a Bundle the parsers refuse is reported by place and reason, without the values it holds")
    func refusalsNameNoValues() async throws {
        try await withTemporaryDirectory { directory in
            let broken = directory.appendingPathComponent("broken.json")
            let text = try String(contentsOf: Self.golden, encoding: .utf8)
            try text.replacingOccurrences(of: #""value" : "0001010001""#, with: #""value" : ["0001010001"]"#)
                .write(to: broken, atomically: true, encoding: .utf8)
            let check = try FHIRCheck.run([broken])
            #expect(check.first?.valid == false)
            #expect(check.first?.problems.count == 2, "both parsers refuse it")
            #expect(check.first?.problems.allSatisfy { !$0.contains("0001010001") } == true, "\(check)")
        }
    }

    @Test("codes, UCUM units, conversions kept as sent, local times with their offset, PHD identifiers")
    func codesAndUnits() throws {
        let bundle = try JSONDecoder().decode(FHIR.TransactionBundle.self, from: Data(contentsOf: Self.golden))
        let observations = bundle.entry.compactMap { entry -> FHIR.ObservationResource? in
            if case .observation(let observation) = entry.resource { return observation }
            return nil
        }
        func codes(_ concept: FHIR.CodeableConcept) -> [String: String] {
            Dictionary(uniqueKeysWithValues: (concept.coding ?? []).map { ($0.system, $0.code) })
        }
        // The lb scale: 181.7 lb stored as 82.42 kg, the pounds kept beside.
        let pounds = try #require(observations.first { $0.extension?.first?.valueQuantity.code == "[lb_av]" })
        #expect(
            codes(pounds.code) == ["http://loinc.org": "29463-7", FHIR.mdc: "188736", FHIR.danishCodes: "NPU03804"])
        #expect(pounds.valueQuantity == FHIR.Quantity(value: Decimal(string: "82.42")!, ucum: "kg"))
        #expect(
            pounds.extension?.first?.valueQuantity == FHIR.Quantity(value: Decimal(string: "181.7")!, ucum: "[lb_av]"))
        #expect(pounds.extension?.first?.url == "\(Self.systemBase)/StructureDefinition/original-quantity")
        #expect(pounds.category.first?.coding?.first?.code == "vital-signs")

        // The BP7: one panel with systolic then diastolic, and the pulse on its own.
        let panels = observations.filter { codes($0.code)["http://loinc.org"] == "85354-9" }
        let bp7 = try #require(
            panels.first {
                $0.device?.reference == bundle.entry.first { $0.resource.identifier.value == "BP7-0042" }?.fullUrl
            })
        #expect(codes(bp7.code)[FHIR.mdc] == "150020" && bp7.valueQuantity == nil)
        #expect(bp7.component?.map { codes($0.code)[FHIR.danishCodes] } == ["DNK05472", "DNK05473"])
        #expect(bp7.component?.map { codes($0.code)["http://loinc.org"] } == ["8480-6", "8462-4"])
        #expect(
            bp7.component?.map(\.valueQuantity) == [
                FHIR.Quantity(value: 128, ucum: "mm[Hg]"), FHIR.Quantity(value: 79, ucum: "mm[Hg]"),
            ])
        #expect(bp7.effectiveDateTime == "2026-11-20T07:20:41+01:00")  // time_ms 1795155641000
        let pulse = try #require(observations.first { codes($0.code)["http://loinc.org"] == "8867-4" })
        #expect(codes(pulse.code)[FHIR.danishCodes] == "NPU21692" && codes(pulse.code)[FHIR.mdc] == "149546")
        #expect(pulse.valueQuantity == FHIR.Quantity(value: 66, ucum: "/min"))

        // The K2 in kPa, for a patient in Nuuk without a CPR number: converted, kPa kept, the
        // local time with Nuuk's offset, the programme's patient id in the identifier.
        let k2 = try #require(panels.first { $0.component?.first?.extension != nil })
        #expect(k2.component?.map(\.valueQuantity.value) == [Decimal(string: "128.3")!, Decimal(string: "78.8")!])
        #expect(
            k2.component?.compactMap { $0.extension?.first?.valueQuantity } == [
                FHIR.Quantity(value: Decimal(string: "17.1")!, ucum: "kPa"),
                FHIR.Quantity(value: Decimal(string: "10.5")!, ucum: "kPa"),
            ])
        #expect(k2.effectiveDateTime == "2026-11-19T07:12:03-02:00")
        let k2Seconds = Int(
            try Date("2026-11-19T09:12:03Z", strategy: .iso8601).timeIntervalSince(
                try Date("2000-01-01T00:00:00Z", strategy: .iso8601)))
        #expect(
            k2.identifier.first?.value == "K2-5555-P-NUUK-\(Self.systemBase)/patient-id-150020-\(k2Seconds).000")

        // PHD identifiers: device-patient(value-system)-MDC type-seconds since 2000 at ms resolution.
        let weighing = try #require(
            observations.first { $0.effectiveDateTime == "2026-11-20T07:12:03+01:00" && $0.extension == nil })
        let weighingSeconds = Int(
            try Date("2026-11-20T06:12:03Z", strategy: .iso8601).timeIntervalSince(
                try Date("2000-01-01T00:00:00Z", strategy: .iso8601)))
        #expect(
            weighing.identifier == [
                FHIR.Identifier(
                    system: FHIR.phdObservationIdentifier,
                    value: "HV10-00017-0001010001-urn:oid:1.2.208.176.1.2-188736-\(weighingSeconds).000")
            ])
    }

    @Test(
        "every entry is a conditional request on its identifier, every reference resolves, and an export is repeatable")
    func conditionalRequests() async throws {
        let bundle = try await Self.streamBundle(.sqlite)
        let fullUrls = bundle.entry.map(\.fullUrl)
        #expect(Set(fullUrls).count == fullUrls.count)
        #expect(fullUrls.allSatisfy { $0.hasPrefix("urn:uuid:") })
        for entry in bundle.entry {
            let identifier = entry.resource.identifier
            let search = "identifier=\(identifier.system)|\(identifier.value)"
            switch entry.resource {
            case .observation:
                #expect(entry.request == .init(method: "POST", url: "Observation", ifNoneExist: search))
            default:
                #expect(
                    entry.request == .init(method: "PUT", url: "\(entry.resource.type)?\(search)", ifNoneExist: nil))
            }
        }
        let text = String(decoding: try Self.encoded(bundle), as: UTF8.self)
        let references = text.matches(of: /"reference" : "([^"]+)"/).map { String($0.output.1) }
        #expect(!references.isEmpty)
        #expect(references.allSatisfy(fullUrls.contains))
        let patient = try #require(bundle.entry.first)
        guard case .patient(let resource) = patient.resource else {
            Issue.record("the first entry is not the patient")
            return
        }
        #expect(resource.identifier.first == FHIR.Identifier(system: FHIR.cpr, value: "0001010001"))
        #expect(try Self.encoded(try await Self.streamBundle(.sqlite)) == Self.encoded(bundle))
    }

    @Test(
        "tele-ingest export fhir: a month of the console's patients, flags and an answered escalation, read back to the same readings"
    )
    func roundTrip() async throws {
        try await withTemporaryDirectory { directory in
            let store = try ConsoleFixture.store(in: directory)
            let nurse = try ConsoleFixture.session(store)
            let escalation = try await nurse.escalate(patientID: "P-RED", brief: EscalationBrief(reason: "Weight up."))
                .escalation
            _ = try await ConsoleFixture.session(store, as: ConsoleFixture.cardiologist).answer(
                escalationID: escalation.id, decision: .medicationChanged,
                medicationChange: "furosemide 40 mg → 80 mg for 3 days", comment: nil, nextReview: "2026-11-27",
                settings: [])
            let since = ConsoleFixture.friday.addingTimeInterval(-31 * 86_400)
            let out = directory.appendingPathComponent("bundle.json")
            let (status, output) = try teleIngest(
                [
                    "export", "fhir", "--db", directory.appendingPathComponent("console.sqlite").path,
                    "--since", since.formatted(.iso8601), "--out", out.path,
                ], in: directory, now: ConsoleFixture.friday)
            #expect(status == 0, "\(output)")
            #expect(!output.contains("000150-1001") && !output.contains("0001501001"), "no CPR number on the screen")
            let refused = try teleIngest(
                ["export", "fhir", "--db", directory.appendingPathComponent("console.sqlite").path], in: directory)
            #expect(
                refused.status != 0 && !refused.output.contains("0001501001"),
                "the Bundle never goes to standard output")
            let check = try FHIRCheck.run([out])
            #expect(check.map(\.valid) == [true], "\(check)")

            let bundle = try JSONDecoder().decode(FHIR.TransactionBundle.self, from: Data(contentsOf: out))
            var patients: [String: PatientID] = [:]  // fullUrl → id
            var observations: [(patient: PatientID, observation: FHIR.ObservationResource)] = []
            var issues: [FHIR.DetectedIssueResource] = []
            var communications: [FHIR.CommunicationResource] = []
            for entry in bundle.entry {
                switch entry.resource {
                case .patient(let patient):
                    let id = try #require(patient.identifier.first { $0.system.hasSuffix("/patient-id") })
                    patients[entry.fullUrl] = PatientID(id.value)
                case .observation(let observation):
                    observations.append((try #require(patients[observation.subject.reference ?? ""]), observation))
                case .detectedIssue(let issue): issues.append(issue)
                case .communication(let communication): communications.append(communication)
                case .device: break
                }
            }
            #expect(Set(patients.values) == Set(ConsoleFixture.patients.map(\.id)))

            // Every reading of the month comes back from the observations, and nothing else.
            for patient in ConsoleFixture.patients {
                let stored = try store.readings(patientID: patient.id).filter { $0.measuredAt >= since }
                let zone = ConsoleFixture.zone
                let expected = stored.map {
                    "\($0.kind.rawValue) \($0.value) \(FHIR.dateTime($0.measuredAt, zone: zone))"
                }
                let exported = observations.filter { $0.patient == patient.id }.flatMap { _, observation in
                    let values: [(FHIR.CodeableConcept, FHIR.Quantity?)] =
                        observation.component.map { $0.map { ($0.code, $0.valueQuantity) } }
                        ?? [(observation.code, observation.valueQuantity)]
                    return values.map { code, quantity in
                        let loinc = code.coding?.first?.code ?? ""
                        let kind = [
                            "29463-7": "weight", "8480-6": "systolic", "8462-4": "diastolic", "8867-4": "pulse",
                        ][loinc]
                        let value = quantity.map { "\(Double(truncating: $0.value as NSNumber))" }
                        return "\(kind ?? loinc) \(value ?? "no value") \(observation.effectiveDateTime)"
                    }
                }
                #expect(exported.sorted() == expected.sorted(), "\(patient.id)")
                #expect(!expected.isEmpty || patient.id == "P-QUIET")
            }

            // The flags as DetectedIssues, with their numbers and what was done.
            let flags = try store.flags().filter {
                $0.state == .open || $0.state == .escalated || ($0.closedAt ?? .distantPast) >= since
                    || $0.openedAt >= since
            }
            #expect(issues.count == flags.count)
            for flag in flags {
                let issue = try #require(issues.first { $0.identifier.first?.value == String(flag.id) })
                #expect(issue.detail == flag.explanation)
                #expect(issue.severity == (flag.severity == .red ? "high" : "moderate"))
                #expect(issue.status == (flag.state == .closed ? "final" : "preliminary"))
                #expect((issue.evidence?.first?.detail.count ?? 0) > 0, "flag \(flag.id) cites its observations")
            }
            let escalated = try #require(
                issues.first { Int64($0.identifier.first?.value ?? "") == escalation.flagIDs.first })
            let actions = escalated.mitigation?.compactMap(\.action.text) ?? []
            #expect(actions.count == 2, "\(actions)")
            #expect(actions.first == "escalated to the heart-failure hotline: Weight up.")
            #expect(
                actions.last?.hasPrefix("acknowledged and closed: ") == true
                    && actions.last?.contains("furosemide") == true)
            #expect(escalated.mitigation?.last?.author?.display == ConsoleFixture.cardiologist.name)
            #expect(communications.count == 2)
            let answer = try #require(communications.first { $0.inResponseTo != nil })
            #expect(
                answer.payload.map(\.contentString).contains("Medication change: furosemide 40 mg → 80 mg for 3 days"))
            #expect(answer.sender.display == ConsoleFixture.cardiologist.name)

            // Audited: one read per exported patient.
            let audit = try store.auditLog().filter {
                $0.action == .recordsRead && $0.detail.hasPrefix("tele-ingest export fhir")
            }
            #expect(Set(audit.compactMap(\.patientID)) == Set(ConsoleFixture.patients.map(\.id)))
        }
    }
}

/// `tele-ingest patients export`: everything the system holds on one patient (docs/OPERATIONS.md).
@Suite struct PatientDataExportTests {
    @Test(
        "one patient's data: every reading, flag, note, escalation and audit entry in JSON, the same as FHIR; audited")
    func everything() async throws {
        try await withTemporaryDirectory { directory in
            let store = try ConsoleFixture.store(in: directory)
            let nurse = try ConsoleFixture.session(store)
            try await nurse.note(patientID: "P-RED", contact: .phone, text: "Short of breath on stairs.")
            _ = try await nurse.escalate(patientID: "P-RED", brief: EscalationBrief(reason: "Weight up."))
            let out = directory.appendingPathComponent("export")
            let (status, output) = try teleIngest(
                [
                    "patients", "export", "P-RED", "--out", out.path, "--db",
                    directory.appendingPathComponent("console.sqlite").path,
                ],
                in: directory, now: ConsoleFixture.friday)
            #expect(status == 0, "\(output)")
            let json = out.appendingPathComponent("P-RED.json")
            let fhir = out.appendingPathComponent("P-RED.fhir.json")
            for file in [json, fhir] {
                #expect(
                    (try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int) == 0o600)
            }
            let document = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
            let record = try #require(document["record"] as? [String: Any])
            #expect((record["readings"] as? [Any])?.count == (try store.readings(patientID: "P-RED").count))
            #expect((record["flags"] as? [Any])?.count == (try store.flags(patientID: "P-RED").count))
            #expect((record["notes"] as? [[String: Any]])?.first?["text"] as? String == "Short of breath on stairs.")
            #expect((record["escalations"] as? [Any])?.count == 1)
            let audit = try #require(document["audit"] as? [[String: Any]])
            #expect(audit.contains { $0["action"] as? String == "escalation.create" })
            #expect(
                String(decoding: try Data(contentsOf: json), as: UTF8.self).contains("000150-1001"), "the CPR number")

            let check = try FHIRCheck.run([fhir])
            #expect(check.map(\.valid) == [true], "\(check)")
            #expect(check.first?.resources["Observation"] ?? 0 > 0 && check.first?.resources["DetectedIssue"] ?? 0 > 0)
            #expect(
                try store.auditLog(patientID: "P-RED").contains {
                    $0.action == .recordsRead && $0.detail.hasPrefix("tele-ingest patients export")
                })
        }
    }
}

/// `scripts/check-fhir`: fhirclient (R4) and fhir.resources (R4B) on the files.
enum FHIRCheck {
    struct Result: Decodable, Equatable {
        var valid: Bool
        var resources: [String: Int]
        var problems: [String] = []

        init(valid: Bool, resources: [String: Int]) {
            self.valid = valid
            self.resources = resources
        }

        static func == (a: Result, b: Result) -> Bool { a.valid == b.valid && a.resources == b.resources }
    }

    static func run(_ files: [URL]) throws -> [Result] {
        let (_, output) = try toolOutput(
            Paths.packageRoot.appendingPathComponent("scripts/check-fhir"), files.map(\.path))
        return try output.split(separator: "\n").map { try JSONDecoder().decode(Result.self, from: Data($0.utf8)) }
    }
}
