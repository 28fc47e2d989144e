import MonitoringRecords

/// A profile's topic pattern: MQTT filter syntax (`+`, `#`) plus `{serial}`, which matches one
/// level and captures it as the device serial (`telekit/{serial}/hv10`).
public struct TopicPattern: Sendable, Hashable, CustomStringConvertible {
    enum Level: Sendable, Hashable {
        case literal(String)
        case anyOne
        case serial
        case rest
    }

    let levels: [Level]
    public let description: String

    /// Parses a pattern; `nil` when `#` is not last, or a level mixes wildcards and text.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var levels: [Level] = []
        for (index, part) in parts.enumerated() {
            switch part {
            case "+": levels.append(.anyOne)
            case "{serial}": levels.append(.serial)
            case "#":
                guard index == parts.count - 1 else { return nil }
                levels.append(.rest)
            default:
                guard !part.contains("+"), !part.contains("#"), !part.contains("{") else { return nil }
                levels.append(.literal(part))
            }
        }
        guard !text.isEmpty, levels.filter({ $0 == .serial }).count <= 1 else { return nil }
        self.levels = levels
        self.description = text
    }

    /// Whether the pattern captures the serial from the topic.
    public var capturesSerial: Bool { levels.contains(.serial) }

    /// Matches `topic`; returns `nil` when it does not match, else the captured serial (if any).
    ///
    /// Walks the topic's bytes level by level without splitting it: every message is matched
    /// against the profiles in turn.
    public func match(_ topic: String) -> Match? {
        let bytes = topic.utf8
        var start = bytes.startIndex
        var serial: DeviceSerial?
        for (index, level) in levels.enumerated() {
            if case .rest = level { return Match(serial: serial) }
            // The topic has fewer levels than the pattern.
            if index > 0 {
                guard start < bytes.endIndex else { return nil }
                start = bytes.index(after: start)  // past the "/"
            }
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "/")) ?? bytes.endIndex
            let part = bytes[start..<end]
            switch level {
            case .literal(let text): guard part.elementsEqual(text.utf8) else { return nil }
            case .anyOne: break
            case .serial:
                guard !part.isEmpty else { return nil }
                serial = DeviceSerial(String(topic[start..<end]))
            case .rest: break
            }
            start = end
        }
        return start == bytes.endIndex ? Match(serial: serial) : nil
    }

    /// The result of a successful match.
    public struct Match: Sendable, Hashable {
        /// The serial captured by `{serial}`, if the pattern has one.
        public var serial: DeviceSerial?
    }
}
