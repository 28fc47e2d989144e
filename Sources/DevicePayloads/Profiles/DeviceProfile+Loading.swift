import Foundation
import MonitoringRecords
import Vitals

/// The file form of a device profile, exactly as written in YAML; `DeviceProfile.load` checks
/// it field by field and builds the typed profile.
struct DeviceProfileFile: Decodable {
    var id: String
    var name: String
    var match: MatchFile
    var serial: String?
    var messageId: String?
    var time: TimeFile?
    var measurements: [MeasurementFile]?
    var observations: ObservationsFile?
    var plausible: [String: RangeFile]
    var samples: [SampleFile]?

    struct MatchFile: Decodable {
        var topic: String
        var payload: [String: String]?
    }
    struct TimeFile: Decodable {
        var field: String
        var format: String
    }
    struct MeasurementFile: Decodable {
        var kind: String
        var value: String
        var unit: String?
        var unitField: String?
        var unitNames: [String: String]?
        var optional: Bool?
    }
    struct ObservationsFile: Decodable {
        var list: String
        var code: String
        var value: String
        var unit: String
        var time: String?
        var timeFormat: String?
        var components: String?
        var codePartition: Int?
        var unitPartition: Int?
        var kinds: [Int: String]
        var units: [Int: String]
        var ignore: [Int]?
    }
    struct RangeFile: Decodable {
        var min: Double
        var max: Double
    }
    struct SampleFile: Decodable {
        var name: String
        var topic: String
        var payload: String
        var expect: [ExpectFile]?
        var expectRejection: String?
    }
    struct ExpectFile: Decodable {
        var kind: String
        var value: Double
        var measuredAt: String
    }
}

extension DeviceProfile {
    /// Loads and checks one profile file. Every problem found is reported, each naming the
    /// file, the field and what was expected.
    public static func load(from url: URL) throws(ConfigurationErrors) -> DeviceProfile {
        let raw: DeviceProfileFile
        do {
            raw = try YAMLFile.decode(DeviceProfileFile.self, from: url)
        } catch {
            throw ConfigurationErrors([error])
        }
        return try build(raw, file: url.path)
    }

    /// Loads a profile from YAML text; `file` names it in errors.
    public static func load(yaml: String, file: String) throws(ConfigurationErrors) -> DeviceProfile {
        let raw: DeviceProfileFile
        do {
            raw = try YAMLFile.decode(DeviceProfileFile.self, from: yaml, file: file)
        } catch {
            throw ConfigurationErrors([error])
        }
        return try build(raw, file: file)
    }

    static func build(_ raw: DeviceProfileFile, file: String) throws(ConfigurationErrors) -> DeviceProfile {
        var problems: [ConfigurationError] = []
        func problem(_ field: String, _ expected: String) {
            problems.append(ConfigurationError(file: file, field: field, expected: expected))
        }
        func path(_ text: String?, _ field: String) -> FieldPath? {
            guard let text else { return nil }
            guard let path = FieldPath(text) else {
                problem(field, "expected a dotted field path like body.weight.value, found '\(text)'")
                return nil
            }
            return path
        }
        func kind(_ text: String, _ field: String) -> ReadingKind? {
            guard let kind = ReadingKind(rawValue: text) else {
                problem(
                    field,
                    "expected one of \(ReadingKind.allCases.map(\.rawValue).joined(separator: ", ")), found '\(text)'")
                return nil
            }
            return kind
        }
        func unit(_ text: String, _ field: String) -> MeasurementUnit? {
            guard let unit = MeasurementUnit(rawValue: text) else {
                problem(
                    field,
                    "expected one of \(MeasurementUnit.allCases.map(\.rawValue).joined(separator: ", ")), found '\(text)'"
                )
                return nil
            }
            return unit
        }
        func format(_ text: String, _ field: String) -> TimestampFormat? {
            guard let format = TimestampFormat(rawValue: text) else {
                problem(
                    field,
                    "expected one of \(TimestampFormat.allCases.map(\.rawValue).joined(separator: ", ")), found '\(text)'"
                )
                return nil
            }
            return format
        }

        if raw.id.isEmpty || raw.id.contains(where: { $0.isWhitespace }) {
            problem("id", "expected a non-empty id without spaces, found '\(raw.id)'")
        }
        let topic = TopicPattern(raw.match.topic)
        if topic == nil {
            problem(
                "match.topic",
                "expected an MQTT topic pattern ('+', '#' last, at most one {serial}), found '\(raw.match.topic)'")
        }
        let conditions = (raw.match.payload ?? [:]).sorted { $0.key < $1.key }.compactMap { key, value in
            path(key, "match.payload.\(key)").map { PayloadCondition(field: $0, equals: value) }
        }
        let serialField = path(raw.serial, "serial")
        if raw.serial == nil, topic?.capturesSerial == false {
            problem(
                "serial", "is required when match.topic has no {serial}: the device serial must come from somewhere")
        }
        let messageIDField = path(raw.messageId, "messageId")
        var time: TimeSource?
        if let rawTime = raw.time, let field = path(rawTime.field, "time.field"),
            let format = format(rawTime.format, "time.format")
        {
            time = TimeSource(field: field, format: format)
        }

        var content: Content?
        var producedKinds: Set<ReadingKind> = []
        switch (raw.measurements, raw.observations) {
        case (let measurements?, nil):
            if measurements.isEmpty { problem("measurements", "expected at least one measurement") }
            if raw.time == nil { problem("time", "is required with measurements: where is the measurement time?") }
            var built: [FieldMeasurement] = []
            for (index, measurement) in measurements.enumerated() {
                let field = "measurements.\(index)"
                let kind = kind(measurement.kind, "\(field).kind")
                let value = path(measurement.value, "\(field).value")
                var source: UnitSource?
                switch (measurement.unit, measurement.unitField) {
                case (let fixed?, nil):
                    if let fixed = unit(fixed, "\(field).unit") { source = .fixed(fixed) }
                case (nil, let unitField?):
                    var names: [String: MeasurementUnit] = [:]
                    for (spelling, name) in measurement.unitNames ?? [:] {
                        if let mapped = unit(name, "\(field).unitNames.\(spelling)") { names[spelling] = mapped }
                    }
                    if let unitPath = path(unitField, "\(field).unitField") { source = .field(unitPath, names: names) }
                default:
                    problem(
                        field,
                        "expected exactly one of 'unit' (a fixed unit) or 'unitField' (where the payload names it)")
                }
                if let kind, case .fixed(let fixed)? = source, !fixed.canExpress(kind) {
                    problem(
                        "\(field).unit",
                        "\(fixed.rawValue) cannot express \(kind.rawValue); expected a unit like \(kind.canonicalUnit.rawValue)"
                    )
                }
                if let kind, let value, let source {
                    built.append(
                        FieldMeasurement(
                            kind: kind, value: value, unit: source, optional: measurement.optional ?? false))
                    producedKinds.insert(kind)
                }
            }
            content = .fields(built)
        case (nil, let observations?):
            let list = path(observations.list, "observations.list")
            let code = path(observations.code, "observations.code")
            let value = path(observations.value, "observations.value")
            let unitPath = path(observations.unit, "observations.unit")
            let timePath = path(observations.time, "observations.time")
            let components = path(observations.components, "observations.components")
            let timeFormat =
                observations.timeFormat.flatMap { format($0, "observations.timeFormat") } ?? time?.format ?? .iso8601
            if observations.time == nil, raw.time == nil {
                problem("observations.time", "is required when the profile has no message-level 'time'")
            }
            var kinds: [Int: ReadingKind] = [:]
            for (codeValue, name) in observations.kinds {
                if let mapped = kind(name, "observations.kinds.\(codeValue)") {
                    kinds[codeValue] = mapped; producedKinds.insert(mapped)
                }
            }
            var units: [Int: MeasurementUnit] = [:]
            for (codeValue, name) in observations.units {
                if let mapped = unit(name, "observations.units.\(codeValue)") { units[codeValue] = mapped }
            }
            if kinds.isEmpty { problem("observations.kinds", "expected at least one code mapped to a reading kind") }
            if let list, let code, let value, let unitPath {
                content = .observations(
                    ObservationList(
                        list: list, code: code, value: value, unit: unitPath, time: timePath, timeFormat: timeFormat,
                        components: components, codePartition: observations.codePartition,
                        unitPartition: observations.unitPartition, kinds: kinds, units: units,
                        ignore: Set(observations.ignore ?? [])))
            }
        case (nil, nil):
            problem("measurements", "expected either 'measurements' (named fields) or 'observations' (coded list)")
        case (_?, _?):
            problem("observations", "expected either 'measurements' or 'observations', not both")
        }

        var plausible: [ReadingKind: ClosedRange<Double>] = [:]
        for (name, range) in raw.plausible {
            guard let kind = kind(name, "plausible.\(name)") else { continue }
            guard range.min.isFinite, range.max.isFinite, range.min < range.max else {
                problem("plausible.\(name)", "expected min < max, found min \(range.min), max \(range.max)")
                continue
            }
            plausible[kind] = range.min...range.max
        }
        for kind in producedKinds.sorted(by: { $0.rawValue < $1.rawValue }) where plausible[kind] == nil {
            problem(
                "plausible.\(kind.rawValue)",
                "is required: the profile produces \(kind.rawValue) readings, so give their plausible min and max in \(kind.canonicalUnit.rawValue)"
            )
        }

        var samples: [Sample] = []
        for (index, sample) in (raw.samples ?? []).enumerated() {
            let field = "samples.\(index)"
            var expected: [ExpectedReading] = []
            for (position, reading) in (sample.expect ?? []).enumerated() {
                let kind = kind(reading.kind, "\(field).expect.\(position).kind")
                let instant = try? Timestamp.parseISO8601(reading.measuredAt)
                if instant == nil || instant?.offsetSeconds == nil {
                    problem(
                        "\(field).expect.\(position).measuredAt",
                        "expected an ISO 8601 time with offset, found '\(reading.measuredAt)'")
                }
                if let kind, let date = instant?.date(in: TimeZone(identifier: "UTC")!) {
                    expected.append(ExpectedReading(kind: kind, value: reading.value, measuredAt: date))
                }
            }
            var rejection: QuarantineReason?
            if let reason = sample.expectRejection {
                rejection = QuarantineReason(rawValue: reason)
                if rejection == nil {
                    problem(
                        "\(field).expectRejection",
                        "expected one of \(QuarantineReason.allCases.map(\.rawValue).joined(separator: ", ")), found '\(reason)'"
                    )
                }
            }
            if expected.isEmpty, rejection == nil, sample.expectRejection == nil {
                problem("\(field)", "expected 'expect' (the readings it gives) or 'expectRejection'")
            }
            samples.append(
                Sample(
                    name: sample.name, topic: sample.topic, payload: sample.payload, expect: expected,
                    expectRejection: rejection))
        }

        guard problems.isEmpty, let topic, let content else {
            throw ConfigurationErrors(problems)
        }
        return DeviceProfile(
            id: raw.id, name: raw.name, file: file, topic: topic, payloadConditions: conditions,
            serialField: serialField, messageIDField: messageIDField, time: time, content: content,
            plausible: plausible, samples: samples)
    }
}
