import CMosquitto

/// A libmosquitto call that failed, with the function that was called and the library's words.
public struct MQTTError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The C function that returned the error, e.g. `mosquitto_subscribe`.
    public var function: String
    /// The `MOSQ_ERR_*` code.
    public var code: Int32
    /// What was being done, in words (`subscribing to telekit/#`).
    public var context: String

    public var description: String {
        let reason = String(cString: mosquitto_strerror(code))
        return "\(context) failed: \(function) returned \(code) (\(reason))"
    }
}

/// Turns a libmosquitto return code into a thrown `MQTTError`; the one place raw codes are compared.
@inline(__always)
func check(_ code: Int32, _ function: String, _ context: @autoclosure () -> String) throws(MQTTError) {
    guard code != Int32(MOSQ_ERR_SUCCESS.rawValue) else { return }
    throw MQTTError(function: function, code: code, context: context())
}
