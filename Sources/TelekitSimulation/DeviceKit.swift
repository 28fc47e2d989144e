import Foundation
import Vitals

/// The scale a simulated patient has, one per shipped scale profile.
public enum ScaleModel: String, Sendable, Codable, CaseIterable {
    case hv10Kilograms, sc300Pounds, openMHealthTablet
}

/// The blood-pressure monitor a simulated patient has, one per shipped monitor profile.
public enum MonitorModel: String, Sendable, Codable, CaseIterable {
    case bp7Millimetres, k2Kilopascals, phdHub
}

/// A patient's telekit: two devices and their serials.
public struct DeviceKit: Sendable, Hashable, Codable {
    public var scale: ScaleModel
    public var scaleSerial: String
    public var monitor: MonitorModel
    public var monitorSerial: String

    /// The kit of patient number `index`: models rotate so every shipped profile is used.
    public init(patient index: Int, serialPrefix: String = "SIM") {
        scale = ScaleModel.allCases[index % ScaleModel.allCases.count]
        monitor = MonitorModel.allCases[(index / ScaleModel.allCases.count) % MonitorModel.allCases.count]
        let number = String(format: "%05d", index)
        scaleSerial =
            switch scale {
            case .hv10Kilograms: "HV10-\(serialPrefix)\(number)"
            case .sc300Pounds: "SC300-\(serialPrefix)\(number)"
            case .openMHealthTablet: "TAB-\(serialPrefix)\(number)"
            }
        monitorSerial =
            switch monitor {
            case .bp7Millimetres: "BP7-\(serialPrefix)\(number)"
            case .k2Kilopascals: "K2-\(serialPrefix)\(number)"
            case .phdHub:
                String(format: "00-1B-C5-FF-FE-%02X-%02X-%02X", (index >> 16) & 0xFF, (index >> 8) & 0xFF, index & 0xFF)
            }
    }

    /// Both serials.
    public var serials: [String] { [scaleSerial, monitorSerial] }
}

/// A message as a device or gateway would publish it.
public struct DeviceMessage: Sendable, Hashable, Codable {
    public var topic: String
    public var payload: String
}

/// Writes readings in the device formats the shipped profiles read.
public enum DeviceEncoding {
    static func iso(_ date: Date, zone: TimeZone) -> String {
        var style = Date.ISO8601FormatStyle(timeZone: zone)
        style = style.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .colon)
        return date.formatted(style)
    }

    static func local(_ date: Date, zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let p = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d", p.year!, p.month!, p.day!, p.hour!, p.minute!, p.second!)
    }

    static func number(_ value: Double, decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }

    /// A weighing from `kit`'s scale; `sequence` numbers the device's messages.
    public static func weight(_ kg: Double, at time: Date, kit: DeviceKit, sequence: Int, zone: TimeZone)
        -> DeviceMessage
    {
        switch kit.scale {
        case .hv10Kilograms:
            return DeviceMessage(
                topic: "telekit/\(kit.scaleSerial)/hv10",
                payload:
                    #"{"serial": "\#(kit.scaleSerial)", "msg_id": "\#(kit.scaleSerial)-\#(sequence)", "measured": "\#(iso(time, zone: zone))", "weight": \#(number(kg, decimals: 1)), "unit": "kg"}"#
            )
        case .sc300Pounds:
            return DeviceMessage(
                topic: "telekit/\(kit.scaleSerial)/sc300",
                payload:
                    #"{"device": "\#(kit.scaleSerial)", "t": \#(Int(time.timeIntervalSince1970)), "w_lb": \#(number(kg / 0.45359237, decimals: 1))}"#
            )
        case .openMHealthTablet:
            return DeviceMessage(
                topic: "omh/\(kit.scaleSerial)/datapoints",
                payload:
                    #"{"header": {"id": "\#(kit.scaleSerial)-w\#(sequence)", "schema_id": {"namespace": "omh", "name": "body-weight", "version": "2.0"}}, "body": {"body_weight": {"value": \#(number(kg, decimals: 1)), "unit": "kg"}, "effective_time_frame": {"date_time": "\#(iso(time, zone: zone))"}}}"#
            )
        }
    }

    /// A blood-pressure measurement with pulse from `kit`'s monitor.
    public static func pressure(
        systolic: Double, diastolic: Double, pulse: Double, at time: Date, kit: DeviceKit, sequence: Int, zone: TimeZone
    ) -> DeviceMessage {
        switch kit.monitor {
        case .bp7Millimetres:
            return DeviceMessage(
                topic: "telekit/\(kit.monitorSerial)/bp7",
                payload:
                    #"{"sn": "\#(kit.monitorSerial)", "seq": \#(sequence), "time_ms": \#(Int64(time.timeIntervalSince1970) * 1000), "sys": \#(Int(systolic)), "dia": \#(Int(diastolic)), "pulse": \#(Int(pulse)), "unit": "mmHg"}"#
            )
        case .k2Kilopascals:
            return DeviceMessage(
                topic: "telekit/\(kit.monitorSerial)/k2",
                payload:
                    #"{"serial": "\#(kit.monitorSerial)", "local_time": "\#(local(time, zone: zone))", "systolic_kpa": \#(number(systolic / 7.500617, decimals: 2)), "diastolic_kpa": \#(number(diastolic / 7.500617, decimals: 2)), "hr": \#(Int(pulse))}"#
            )
        case .phdHub:
            let stamp = iso(time, zone: zone)
            return DeviceMessage(
                topic: "phd/HUB-SIM/observations",
                payload:
                    #"{"msgId": "\#(kit.monitorSerial)-\#(sequence)", "device": {"systemId": "\#(kit.monitorSerial)"}, "observations": [{"type": 150020, "unit": 266016, "time": "\#(stamp)", "compound": [{"type": 150021, "value": \#(Int(systolic))}, {"type": 150022, "value": \#(Int(diastolic))}]}, {"type": 149546, "value": \#(Int(pulse)), "unit": 264864, "time": "\#(stamp)"}]}"#
            )
        }
    }
}
