import MonitoringRecords

/// A device serial as it may appear in a log. Serials come from devices — a broken or hostile
/// one can send anything — and logs must never carry a CPR number: a serial shaped like one
/// (six digits, an optional dash, four digits) is logged with its last four digits hidden, and
/// any serial is cut to 40 characters.
enum LoggedSerial {
    static func of(_ serial: DeviceSerial?) -> String {
        guard let serial = serial?.rawValue else { return "-" }
        let digits = serial.filter(\.isNumber)
        let cprShaped =
            digits.count == 10 && serial.count <= 11
            && (serial.count == 10 || serial[serial.index(serial.startIndex, offsetBy: 6)] == "-")
        if cprShaped { return String(serial.prefix(serial.count - 4)) + "****" }
        return serial.count > 40 ? String(serial.prefix(40)) + "…" : serial
    }
}
