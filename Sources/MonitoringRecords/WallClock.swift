import Foundation

/// Where "now" comes from: the instant a reading arrived, a flag was opened, a pairing began,
/// a patient's monitoring started, and the "today" that missing data, overdue flags, the
/// worklist's week and the hotline's hours are judged against.
///
/// Everything in the product that decides by the current time takes a clock instead of calling
/// `Date()`, so tests fix the instant they are about and pass on any day of any year. The
/// executables use ``system`` unless `TELE_INGEST_NOW` says otherwise (``fromEnvironment(_:)``).
public struct WallClock: Sendable {
    private let read: @Sendable () -> Date

    /// A clock that answers `read()`.
    public init(_ read: @escaping @Sendable () -> Date) {
        self.read = read
    }

    /// The current instant by this clock.
    public func now() -> Date { read() }

    /// The operating system's clock: the one place the product reads it.
    public static let system = WallClock { Date() }

    /// A clock that always says `instant`: for tests and for evaluating "as of" a given time.
    public static func fixed(_ instant: Date) -> WallClock {
        WallClock { instant }
    }

    /// A clock that read `instant` at the moment it was made and runs on at `base`'s pace, so
    /// intervals (heartbeats, timeouts measured by date) still pass.
    public static func starting(at instant: Date, base: WallClock = .system) -> WallClock {
        let offset = instant.timeIntervalSince(base.now())
        return WallClock { base.now().addingTimeInterval(offset) }
    }

    /// The environment variable that sets the clock of `tele-ingest`, `nurse-console` and
    /// `telekit-sim` for a demonstration or a test: an ISO 8601 instant such as
    /// `2026-11-27T09:00:00+01:00`. The clock starts there and runs on.
    public static let environmentVariable = "TELE_INGEST_NOW"

    /// ``system``, or a clock starting at the instant in `TELE_INGEST_NOW` when it is set.
    /// Throws ``ClockSettingError`` for a value that is not an ISO 8601 instant with an offset.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment, base: WallClock = .system
    ) throws(ClockSettingError) -> WallClock {
        guard let text = environment[environmentVariable], !text.isEmpty else { return base }
        guard let instant = try? Date(text, strategy: .iso8601) else {
            throw ClockSettingError(value: text)
        }
        return .starting(at: instant, base: base)
    }

    /// Whether `TELE_INGEST_NOW` moves the clock in `environment`; the service logs it.
    public static func isSet(in environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        !(environment[environmentVariable] ?? "").isEmpty
    }
}

/// `TELE_INGEST_NOW` holds something other than an ISO 8601 instant.
public struct ClockSettingError: Error, CustomStringConvertible, Sendable {
    /// What the variable held.
    public var value: String

    public var description: String {
        "\(WallClock.environmentVariable) must be an ISO 8601 instant with an offset, like 2026-11-27T09:00:00+01:00; found '\(value)'"
    }
}
