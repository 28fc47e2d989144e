import Foundation
import MonitoringRecords
import Vitals

extension DeviceProfile {
    /// Whether this profile applies to a message on `topic` with this payload.
    public func recognises(topic: String, payload: JSONValue) -> Bool {
        guard self.topic.match(topic) != nil else { return false }
        return payloadConditions.allSatisfy { condition in
            payload[path: condition.field]?.scalarText == condition.equals
        }
    }

    /// Reads serial, message id, times, values and units out of a message this profile
    /// recognises. Throws a `Rejection` naming the field for anything missing or mistyped.
    public func decode(topic: String, payload: JSONValue) throws(Rejection) -> DecodedMessage {
        let topicSerial = self.topic.match(topic)?.serial
        var payloadSerial: DeviceSerial?
        if let serialField {
            guard let value = payload[path: serialField] else {
                throw reject(.missingField, "the serial field '\(serialField)' is missing", serial: topicSerial)
            }
            guard let text = value.scalarText, !text.isEmpty else {
                throw reject(
                    .wrongType, "the serial field '\(serialField)' holds \(value.typeName), expected text",
                    serial: topicSerial)
            }
            payloadSerial = DeviceSerial(text)
        }
        if let topicSerial, let payloadSerial, topicSerial != payloadSerial {
            throw reject(
                .serialMismatch,
                "the payload says serial \(payloadSerial) but it was published under the topic of \(topicSerial)",
                serial: topicSerial)
        }
        guard let serial = payloadSerial ?? topicSerial else {
            throw reject(.missingField, "no serial in the topic or the payload")
        }
        var messageID: String?
        if let messageIDField {
            // A profile's message id is optional per message: without it the natural key applies.
            if let value = payload[path: messageIDField], value != .null {
                guard let text = value.scalarText else {
                    throw reject(
                        .wrongType, "the message id '\(messageIDField)' holds \(value.typeName)", serial: serial)
                }
                messageID = text
            }
        }
        let measurements: [DecodedMeasurement]
        switch content {
        case .fields(let fields):
            measurements = try decodeFields(fields, payload: payload, serial: serial)
        case .observations(let list):
            measurements = try decodeObservations(list, payload: payload, serial: serial)
        }
        guard !measurements.isEmpty else {
            throw reject(
                .noMeasurements, "the message holds no weight, blood pressure or pulse this profile reads",
                serial: serial)
        }
        return DecodedMessage(profileID: id, serial: serial, messageID: messageID, measurements: measurements)
    }

    private func decodeFields(_ fields: [FieldMeasurement], payload: JSONValue, serial: DeviceSerial) throws(Rejection)
        -> [DecodedMeasurement]
    {
        guard let time else { return [] }
        let measuredAt = try readTime(payload, field: time.field, format: time.format, serial: serial)
        var measurements: [DecodedMeasurement] = []
        for field in fields {
            guard let raw = payload[path: field.value], raw != .null else {
                if field.optional { continue }
                throw reject(
                    .missingField, "the \(field.kind.displayName) field '\(field.value)' is missing", serial: serial)
            }
            let value = try number(raw, field: field.value, kind: field.kind, serial: serial)
            let unit: MeasurementUnit
            switch field.unit {
            case .fixed(let fixed):
                unit = fixed
            case .field(let path, let names):
                guard let spelled = payload[path: path] else {
                    throw reject(.wrongUnit, "the unit field '\(path)' is missing", serial: serial)
                }
                guard let text = spelled.scalarText, let named = names[text] ?? MeasurementUnit(spelling: text) else {
                    throw reject(
                        .wrongUnit,
                        "unit '\(spelled.scalarText ?? spelled.typeName)' in '\(path)' is not a unit this product knows",
                        serial: serial)
                }
                unit = named
            }
            measurements.append(DecodedMeasurement(kind: field.kind, original: Quantity(value, unit), time: measuredAt))
        }
        return measurements
    }

    private func decodeObservations(_ list: ObservationList, payload: JSONValue, serial: DeviceSerial) throws(Rejection)
        -> [DecodedMeasurement]
    {
        guard let entries = payload[path: list.list] else {
            throw reject(.missingField, "the observation list '\(list.list)' is missing", serial: serial)
        }
        guard case .array(let observations) = entries else {
            throw reject(.wrongType, "'\(list.list)' holds \(entries.typeName), expected a list", serial: serial)
        }
        let messageTime = try time.map { source throws(Rejection) in
            try readTime(payload, field: source.field, format: source.format, serial: serial)
        }
        var measurements: [DecodedMeasurement] = []
        for (index, observation) in observations.enumerated() {
            let place = "\(list.list).\(index)"
            let code = try readCode(observation, list.code, partition: list.codePartition, place: place, serial: serial)
            var measuredAt = messageTime
            if let timePath = list.time, observation[path: timePath] != nil {
                measuredAt = try readTime(observation, field: timePath, format: list.timeFormat, serial: serial)
            }
            // A compound observation (blood pressure) carries its parts; the unit is the parent's.
            var parts: [(code: Int, value: JSONValue?, unitOwner: JSONValue, place: String)] = []
            if let componentsPath = list.components, case .array(let components)? = observation[path: componentsPath] {
                for (position, component) in components.enumerated() {
                    let componentPlace = "\(place).\(componentsPath).\(position)"
                    let componentCode = try readCode(
                        component, list.code, partition: list.codePartition, place: componentPlace, serial: serial)
                    let owner = component[path: list.unit] == nil ? observation : component
                    parts.append((componentCode, component[path: list.value], owner, componentPlace))
                }
            } else {
                parts.append((code, observation[path: list.value], observation, place))
            }
            for part in parts {
                if list.ignore.contains(part.code) { continue }
                guard let kind = list.kinds[part.code] else { continue }  // codes for things the product does not store
                guard let measuredAt else {
                    throw reject(.missingField, "observation \(part.place) has no time", serial: serial)
                }
                guard let rawValue = part.value else {
                    throw reject(
                        .missingField, "observation \(part.place) (\(kind.displayName)) has no '\(list.value)'",
                        serial: serial)
                }
                let value = try number(rawValue, field: list.value, kind: kind, serial: serial)
                let unitCode = try readCode(
                    part.unitOwner, list.unit, partition: list.unitPartition, place: part.place, serial: serial)
                guard let unit = list.units[unitCode] else {
                    throw reject(
                        .wrongUnit,
                        "observation \(part.place) has unit code \(unitCode), which is not a unit this profile maps",
                        serial: serial)
                }
                measurements.append(DecodedMeasurement(kind: kind, original: Quantity(value, unit), time: measuredAt))
            }
        }
        return measurements
    }

    private func readCode(_ value: JSONValue, _ path: FieldPath, partition: Int?, place: String, serial: DeviceSerial)
        throws(Rejection) -> Int
    {
        guard let raw = value[path: path] else {
            throw reject(.missingField, "observation \(place) has no code field '\(path)'", serial: serial)
        }
        guard case .integer(let code) = raw, code >= 0, code <= Int64(UInt32.max) else {
            throw reject(
                .wrongType, "observation \(place) code '\(path)' holds \(raw.typeName), expected a whole number",
                serial: serial)
        }
        // Devices often send the 16-bit term code alone; expand it with the partition.
        if let partition, code < 65_536 { return partition << 16 | Int(code) }
        return Int(code)
    }

    private func number(_ raw: JSONValue, field: FieldPath, kind: ReadingKind, serial: DeviceSerial) throws(Rejection)
        -> Double
    {
        guard let value = raw.doubleValue else {
            if case .string(let text) = raw, ["nan", "inf", "-inf", "infinity"].contains(text.lowercased()) {
                throw reject(
                    .notANumber, "the \(kind.displayName) in '\(field)' is '\(text)', not a number", serial: serial)
            }
            throw reject(
                .wrongType, "the \(kind.displayName) in '\(field)' holds \(raw.typeName), expected a number",
                serial: serial)
        }
        guard value.isFinite else {
            throw reject(.notANumber, "the \(kind.displayName) in '\(field)' is not a finite number", serial: serial)
        }
        return value
    }

    private func readTime(_ payload: JSONValue, field: FieldPath, format: TimestampFormat, serial: DeviceSerial)
        throws(Rejection)
        -> MeasurementTime
    {
        guard let raw = payload[path: field], raw != .null else {
            throw reject(.missingField, "the time field '\(field)' is missing", serial: serial)
        }
        switch format {
        case .iso8601, .localTime:
            guard case .string(let text) = raw else {
                throw reject(
                    .wrongType,
                    "the time field '\(field)' holds \(raw.typeName), expected text like 2026-11-20T07:12:03+01:00",
                    serial: serial)
            }
            let timestamp: Timestamp
            do {
                timestamp = try Timestamp.parseISO8601(text)
            } catch {
                throw reject(.badTimestamp, "the time field '\(field)': \(error)", serial: serial)
            }
            if timestamp.offsetSeconds == nil {
                guard format == .localTime else {
                    throw reject(
                        .badTimestamp, "the time '\(text)' has no UTC offset, and this profile expects one",
                        serial: serial)
                }
                return .local(timestamp)
            }
            return .instant(timestamp.date(in: .gmt)!)
        case .epochSeconds, .epochMilliseconds:
            let number: Double? =
                switch raw {
                case .string(let text): Double(text)
                default: raw.doubleValue
                }
            guard let number, number.isFinite else {
                throw reject(
                    .wrongType,
                    "the time field '\(field)' holds \(raw.typeName), expected epoch \(format == .epochSeconds ? "seconds" : "milliseconds")",
                    serial: serial)
            }
            // Seconds since 1970 stay below 1e11 until the year 5138; milliseconds pass it in 1973.
            // (Numbers are shown as the device sent them: converting 1e300 to an integer traps.)
            if format == .epochSeconds, number > 1e11 {
                throw reject(
                    .badTimestamp,
                    "the time \(Self.plain(number)) looks like milliseconds, but this profile reads seconds",
                    serial: serial)
            }
            if format == .epochMilliseconds, number < 1e11, number > 0 {
                throw reject(
                    .badTimestamp,
                    "the time \(Self.plain(number)) looks like seconds, but this profile reads milliseconds",
                    serial: serial)
            }
            let seconds = format == .epochSeconds ? number : number / 1000
            // Outside the years 1–9999 no device clock means anything, and dates that far out
            // break arithmetic further on. (Found by scripts/fuzz.)
            guard (-62_135_596_800...253_402_300_799).contains(seconds) else {
                throw reject(
                    .badTimestamp, "the time \(Self.plain(number)) is outside the years 1–9999", serial: serial)
            }
            return .instant(Date(timeIntervalSince1970: seconds))
        }
    }

    /// A number as a device sent it: whole numbers without a decimal point, never trapping.
    static func plain(_ number: Double) -> String {
        number.magnitude < 1e15 && number == number.rounded() ? String(Int64(number)) : "\(number)"
    }

    private func reject(_ reason: QuarantineReason, _ message: String, serial: DeviceSerial? = nil) -> Rejection {
        Rejection(reason, message, serial: serial, profileID: id)
    }
}
