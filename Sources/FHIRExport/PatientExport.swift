import Crypto
import Foundation
import MonitoringRecords
import ReadingIntake
import StoreInterface
import ThresholdRules
import Vitals

/// One patient's record as the entries of a FHIR R4 transaction Bundle: the patient, a device
/// per serial, an observation per measurement (a blood-pressure panel per systolic/diastolic
/// pair), a `DetectedIssue` per flag and a `Communication` per escalation and per answer.
///
/// Every entry is a conditional request on an identifier, so sending the same entries again
/// stores nothing twice: observations are created once (`ifNoneExist`, the PHD IG's
/// identifier); the patient, devices, flags and escalations are updated in place (`PUT` to
/// `Type?identifier=…`), because they change (a flag is closed, an escalation answered).
/// The same record always gives the same entries, byte for byte.
public struct PatientExport: Sendable {
    /// The namespace of the programme's own identifiers (patient ids, device serials, flags,
    /// escalations, rules) and of the original-quantity extension: the site's canonical base URL.
    public var systemBase: String

    public init(systemBase: String) {
        self.systemBase = systemBase.hasSuffix("/") ? String(systemBase.dropLast()) : systemBase
    }

    /// The URL of the extension that keeps a converted value as the device sent it.
    public var originalQuantityExtension: String { "\(systemBase)/StructureDefinition/original-quantity" }

    /// The entries for `record`: its readings, flags and escalations as the store gave them.
    public func entries(for record: PatientRecord) -> [FHIR.TransactionBundle.Entry] {
        let patient = record.patient
        let zone = TimeZone(identifier: patient.timeZone) ?? .gmt
        var entries: [FHIR.TransactionBundle.Entry] = []

        let patientEntry = entry(.patient(patientResource(patient)))
        entries.append(patientEntry)
        let subject = FHIR.Reference(reference: patientEntry.fullUrl)

        // A device for every serial the patient was paired with or measured with.
        var devices: [DeviceSerial: String] = [:]
        let serials = Set(record.pairings.map(\.serial)).union(record.readings.map(\.serial)).sorted()
        for serial in serials {
            let pairings = record.pairings.filter { $0.serial == serial }
            let profile = record.readings.last { $0.serial == serial }?.profileID
            let device = FHIR.DeviceResource(
                identifier: [FHIR.Identifier(system: "\(systemBase)/device-serial", value: serial.rawValue)],
                status: pairings.contains { $0.validTo == nil } ? "active" : "inactive",
                serialNumber: serial.rawValue,
                deviceName: profile.map { [FHIR.DeviceResource.DeviceName(name: $0, type: "model-name")] },
                patient: subject)
            let deviceEntry = entry(.device(device))
            devices[serial] = deviceEntry.fullUrl
            entries.append(deviceEntry)
        }

        // Observations: a blood-pressure panel for the systolic and diastolic of one measurement.
        var observationOfReading: [Int64: String] = [:]
        let patientKey = patientIdentifier(patient)
        var panels: [PanelKey: [StoredReading]] = [:]
        var order: [(Date, PanelKey?, StoredReading?)] = []
        // In measured order, ties by device and kind: the same on every backend.
        let readings = record.readings.sorted {
            ($0.measuredAt, $0.serial, $0.kind.order) < ($1.measuredAt, $1.serial, $1.kind.order)
        }
        for reading in readings {
            switch reading.kind {
            case .systolic, .diastolic:
                let key = PanelKey(serial: reading.serial, measuredAt: reading.measuredAt)
                if panels[key] == nil { order.append((reading.measuredAt, key, nil)) }
                panels[key, default: []].append(reading)
            case .weight, .pulse:
                order.append((reading.measuredAt, nil, reading))
            }
        }
        for (_, key, single) in order {
            let readings = key.flatMap { panels[$0] } ?? single.map { [$0] } ?? []
            guard let first = readings.first else { continue }
            let observation = observationResource(
                readings, subject: subject, device: devices[first.serial], patientKey: patientKey, zone: zone)
            let observationEntry = entry(.observation(observation))
            for reading in readings { observationOfReading[reading.id] = observationEntry.fullUrl }
            entries.append(observationEntry)
        }

        // Flags, with the observations behind them (those in this export) and what was done.
        var issueOfFlag: [Int64: String] = [:]
        for flag in record.flags.sorted(by: { ($0.openedAt, $0.id) < ($1.openedAt, $1.id) }) {
            let escalation = record.escalations.first { $0.flagIDs.contains(flag.id) }
            let issueEntry = entry(
                .detectedIssue(
                    detectedIssue(
                        flag, subject: subject, escalation: escalation, observations: observationOfReading, zone: zone))
            )
            issueOfFlag[flag.id] = issueEntry.fullUrl
            entries.append(issueEntry)
        }

        // Escalations to the hotline, and the cardiologists' answers.
        for escalation in record.escalations.sorted(by: { ($0.escalatedAt, $0.id) < ($1.escalatedAt, $1.id) }) {
            let sent = entry(
                .communication(escalationCommunication(escalation, subject: subject, flags: issueOfFlag, zone: zone)))
            entries.append(sent)
            if let answer = escalation.answer {
                entries.append(
                    entry(
                        .communication(
                            answerCommunication(
                                answer, to: escalation, request: sent.fullUrl, subject: subject, zone: zone))))
            }
        }
        return entries
    }

    // MARK: - Resources

    private func patientResource(_ patient: Patient) -> FHIR.PatientResource {
        var identifiers: [FHIR.Identifier] = []
        if let cpr = patient.cpr { identifiers.append(FHIR.Identifier(system: FHIR.cpr, value: cprDigits(cpr))) }
        identifiers.append(FHIR.Identifier(system: "\(systemBase)/patient-id", value: patient.id.rawValue))
        return FHIR.PatientResource(
            identifier: identifiers, active: patient.monitoringEnd == nil, name: [FHIR.HumanName(text: patient.name)])
    }

    /// The PHD IG's patient part of an observation identifier: `value-system`.
    private func patientIdentifier(_ patient: Patient) -> String {
        if let cpr = patient.cpr { return "\(cprDigits(cpr))-\(FHIR.cpr)" }
        return "\(patient.id.rawValue)-\(systemBase)/patient-id"
    }

    private func cprDigits(_ cpr: String) -> String { cpr.filter(\.isNumber) }

    private func observationResource(
        _ readings: [StoredReading], subject: FHIR.Reference, device: String?, patientKey: String, zone: TimeZone
    ) -> FHIR.ObservationResource {
        let first = readings[0]
        let isPanel = first.kind == .systolic || first.kind == .diastolic
        let code = isPanel ? FHIR.VitalSignCode.bloodPressurePanel : FHIR.VitalSignCode.of(first.kind)
        var observation = FHIR.ObservationResource(
            identifier: [
                FHIR.Identifier(
                    system: FHIR.phdObservationIdentifier,
                    value: observationIdentifier(
                        serial: first.serial, patient: patientKey, mdc: code.mdc, at: first.measuredAt))
            ],
            status: "final",
            category: [
                FHIR.CodeableConcept(
                    coding: [
                        FHIR.Coding(system: FHIR.observationCategory, code: "vital-signs", display: "Vital Signs")
                    ],
                    text: "Vital Signs")
            ],
            code: code.concept, subject: subject, effectiveDateTime: FHIR.dateTime(first.measuredAt, zone: zone),
            device: device.map { FHIR.Reference(reference: $0) })
        if isPanel {
            // Systolic first, as the core blood-pressure profile lists them.
            observation.component = readings.sorted { $0.kind == .systolic && $1.kind != .systolic }.map { reading in
                FHIR.ObservationResource.Component(
                    extension: originalQuantity(reading), code: FHIR.VitalSignCode.of(reading.kind).concept,
                    valueQuantity: quantity(reading))
            }
        } else {
            observation.extension = originalQuantity(first)
            observation.valueQuantity = quantity(first)
        }
        return observation
    }

    /// The value in the kind's canonical unit, rounded to what the devices resolve (10 g,
    /// 0.1 mmHg, 0.1 /min); the value as sent is kept beside it when it was converted.
    private func quantity(_ reading: StoredReading) -> FHIR.Quantity {
        let places = reading.kind == .weight ? 2 : 1
        return FHIR.Quantity(value: FHIR.decimal(reading.value, places: places), ucum: FHIR.ucum(reading.unit))
    }

    private func originalQuantity(_ reading: StoredReading) -> [FHIR.Extension]? {
        guard reading.originalUnit != reading.unit else { return nil }
        return [
            FHIR.Extension(
                url: originalQuantityExtension,
                valueQuantity: FHIR.Quantity(
                    value: FHIR.decimal(reading.originalValue, places: nil), ucum: FHIR.ucum(reading.originalUnit)))
        ]
    }

    /// `device-patient-type-timestamp` (PHD IG, "Conditional-create Identifier"): the serial,
    /// the patient's identifier value and system, the decimal MDC code, and the measurement
    /// time in seconds since 2000-01-01 UTC at millisecond resolution.
    private func observationIdentifier(serial: DeviceSerial, patient: String, mdc: Int, at: Date) -> String {
        let milliseconds = Int64((at.timeIntervalSince(FHIR.epoch2000) * 1000).rounded())
        let sign = milliseconds < 0 ? "-" : ""
        let magnitude = milliseconds.magnitude
        let seconds = "\(sign)\(magnitude / 1000).\(String(magnitude % 1000).leftPadded(to: 3))"
        return "\(FHIR.phdDevicePart(serial.rawValue))-\(patient)-\(mdc)-\(seconds)"
    }

    private func detectedIssue(
        _ flag: PatientFlag, subject: FHIR.Reference, escalation: Escalation?, observations: [Int64: String],
        zone: TimeZone
    ) -> FHIR.DetectedIssueResource {
        var evidence: [FHIR.Reference] = []
        var seen: Set<String> = []
        for id in flag.readingIDs {
            if let url = observations[id], seen.insert(url).inserted { evidence.append(FHIR.Reference(reference: url)) }
        }
        var mitigation: [FHIR.DetectedIssueResource.Mitigation] = []
        if let escalation {
            mitigation.append(
                .init(
                    action: FHIR.CodeableConcept(text: "escalated to the heart-failure hotline: \(escalation.reason)"),
                    date: FHIR.dateTime(escalation.escalatedAt, zone: zone),
                    author: FHIR.Reference(display: escalation.escalatedBy)))
        }
        if flag.state == .closed, let closedAt = flag.closedAt {
            let comment = flag.closeComment.map { ": \($0)" } ?? ""
            mitigation.append(
                .init(
                    action: FHIR.CodeableConcept(text: "acknowledged and closed\(comment)"),
                    date: FHIR.dateTime(closedAt, zone: zone), author: flag.closedBy.map { FHIR.Reference(display: $0) }
                ))
        }
        // Preliminary while the evidence may still grow; withdrawn flags were never meant.
        let status =
            switch flag.state {
            case .open, .escalated: "preliminary"
            case .closed: "final"
            case .withdrawn: "cancelled"
            }
        return FHIR.DetectedIssueResource(
            identifier: [FHIR.Identifier(system: "\(systemBase)/flag", value: String(flag.id))],
            status: status,
            code: FHIR.CodeableConcept(
                coding: [FHIR.Coding(system: "\(systemBase)/rule", code: flag.ruleID)],
                text: "\(flag.measurement.displayName): \(flag.problem)"),
            severity: flag.severity == .red ? "high" : "moderate",
            patient: subject, identifiedDateTime: FHIR.dateTime(flag.openedAt, zone: zone),
            evidence: evidence.isEmpty ? nil : [FHIR.DetectedIssueResource.Evidence(detail: evidence)],
            detail: flag.explanation, mitigation: mitigation.isEmpty ? nil : mitigation)
    }

    private func escalationCommunication(
        _ escalation: Escalation, subject: FHIR.Reference, flags: [Int64: String], zone: TimeZone
    ) -> FHIR.CommunicationResource {
        let about = escalation.flagIDs.compactMap { flags[$0] }.map { FHIR.Reference(reference: $0) }
        return FHIR.CommunicationResource(
            identifier: [FHIR.Identifier(system: "\(systemBase)/escalation", value: String(escalation.id))],
            status: "completed",
            category: [FHIR.CodeableConcept(text: "escalation to the heart-failure hotline")],
            subject: subject, about: about.isEmpty ? nil : about,
            sent: FHIR.dateTime(escalation.escalatedAt, zone: zone),
            recipient: [FHIR.Reference(display: "heart-failure hotline")],
            sender: FHIR.Reference(display: escalation.escalatedBy),
            payload: [.init(contentString: escalation.reason), .init(contentString: escalation.brief)])
    }

    private func answerCommunication(
        _ answer: Escalation.Answer, to escalation: Escalation, request: String, subject: FHIR.Reference, zone: TimeZone
    ) -> FHIR.CommunicationResource {
        var payload: [FHIR.CommunicationResource.Payload] = [.init(contentString: "Decision: \(answer.decision.words)")]
        if let change = answer.medicationChange { payload.append(.init(contentString: "Medication change: \(change)")) }
        if let comment = answer.comment { payload.append(.init(contentString: comment)) }
        if let review = answer.nextReview { payload.append(.init(contentString: "Next review: \(review)")) }
        return FHIR.CommunicationResource(
            identifier: [FHIR.Identifier(system: "\(systemBase)/escalation-answer", value: String(escalation.id))],
            inResponseTo: [FHIR.Reference(reference: request)], status: "completed",
            category: [FHIR.CodeableConcept(text: "answer from the heart-failure hotline")],
            subject: subject, about: nil, sent: FHIR.dateTime(answer.answeredAt, zone: zone),
            recipient: [FHIR.Reference(display: escalation.escalatedBy)],
            sender: FHIR.Reference(display: answer.answeredBy), payload: payload)
    }

    // MARK: - Entries

    /// The entry for `resource`, its `fullUrl` a UUID made from its type and identifier, so the
    /// same resource has the same `fullUrl` in every export.
    private func entry(_ resource: FHIR.Resource) -> FHIR.TransactionBundle.Entry {
        let identifier = resource.identifier
        let fullUrl = FHIR.uuidURN(naming: "\(resource.type)|\(identifier.system)|\(identifier.value)")
        let search = FHIR.searchEncoded(identifier)
        let request: FHIR.TransactionBundle.Entry.Request =
            switch resource {
            case .observation: .init(method: "POST", url: resource.type, ifNoneExist: search)
            default: .init(method: "PUT", url: "\(resource.type)?\(search)", ifNoneExist: nil)
            }
        return FHIR.TransactionBundle.Entry(fullUrl: fullUrl, resource: resource, request: request)
    }
}

extension ReadingKind {
    /// Weight, systolic, diastolic, pulse.
    fileprivate var order: Int { ReadingKind.allCases.firstIndex(of: self) ?? 0 }
}

/// The systolic and diastolic of one blood-pressure measurement share a device and a time.
private struct PanelKey: Hashable {
    var serial: DeviceSerial
    var measuredAt: Date
}

extension FHIR {
    /// 2000-01-01T00:00:00Z, the PHD IG's epoch for reported timestamps.
    static let epoch2000 = Date(timeIntervalSince1970: 946_684_800)

    /// A FHIR `dateTime` in `zone`, with its offset: `2026-11-20T07:12:00+01:00`
    /// (milliseconds only when there are any).
    public static func dateTime(_ date: Date, zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let milliseconds = Int((date.timeIntervalSince1970 * 1000).rounded()) % 1000
        let offset = zone.secondsFromGMT(for: date)
        let sign = offset < 0 ? "-" : "+"
        func two(_ value: Int?) -> String { String(value ?? 0).leftPadded(to: 2) }
        let fraction = milliseconds > 0 ? "." + String(milliseconds).leftPadded(to: 3) : ""
        return "\(String(parts.year ?? 0).leftPadded(to: 4))-\(two(parts.month))-\(two(parts.day))"
            + "T\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second))\(fraction)"
            + "\(sign)\(two(abs(offset) / 3600)):\(two(abs(offset) % 3600 / 60))"
    }

    /// `value` as a decimal, rounded to `places` (or as the shortest text that reads back
    /// as the same double when `nil`).
    static func decimal(_ value: Double, places: Int?) -> Decimal {
        let text: String
        if let places {
            let scale = pow(10, Double(places))
            text = "\((value * scale).rounded() / scale)"
        } else {
            text = "\(value)"
        }
        return Decimal(string: text) ?? Decimal(value)
    }

    /// The PHD IG's device part: an EUI-64 or EUI-48 written with separators becomes its 16 or 12
    /// hexadecimal digits in capitals; any other serial stays as it is.
    static func phdDevicePart(_ serial: String) -> String {
        let digits = serial.filter { $0 != ":" && $0 != "-" }
        let isHex = digits.allSatisfy { $0.isHexDigit && $0.isASCII }
        return isHex && (digits.count == 16 || digits.count == 12) ? digits.uppercased() : serial
    }

    /// `identifier=system|value`, with what a URL's query cannot carry percent-encoded.
    static func searchEncoded(_ identifier: Identifier) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~:/|")
        let value = "\(identifier.system)|\(identifier.value)"
        return "identifier=" + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)
    }

    /// `urn:uuid:` with a UUID made from `name` (RFC 9562 version 8: SHA-256 of the name, the
    /// version and variant bits set), so that the same name always gives the same UUID.
    static func uuidURN(naming name: String) -> String {
        var bytes = Array(SHA256.hash(data: Data(name.utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let uuid = UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9],
                bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
        return "urn:uuid:" + uuid.uuidString.lowercased()
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
