/// What the MQTT connection is doing now, for status output and logs.
public enum ConnectionState: Sendable, Equatable, CustomStringConvertible {
    /// Not started, or stopped on purpose.
    case idle
    /// Trying to reach the broker (first attempt or after a drop).
    case connecting
    /// Connected and subscribed.
    case connected
    /// Lost or refused; libmosquitto retries with backoff. Carries the reason.
    case disconnected(reason: String)

    public var description: String {
        switch self {
        case .idle: "idle"
        case .connecting: "connecting"
        case .connected: "connected"
        case .disconnected(let reason): "disconnected (\(reason))"
        }
    }
}
