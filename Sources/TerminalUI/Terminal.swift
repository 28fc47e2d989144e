import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The controlling terminal in full-screen mode: raw keyboard input, the alternate screen, its
/// size. Owns the saved terminal settings and puts them back in `restore()`, which must be
/// called before the process exits (also on SIGTERM and SIGHUP: see `stopRequested`).
public final class Terminal {
    private var saved = termios()
    private var active = false

    /// Set by SIGTERM, SIGHUP or SIGINT; the event loop polls it and leaves cleanly.
    public static let stopRequested = Atomic<Bool>(false)

    /// Whether standard input and output are a terminal at all.
    public static var isInteractive: Bool { isatty(0) == 1 && isatty(1) == 1 }

    /// Colour unless `NO_COLOR` is set (no-color.org) or the terminal is dumb.
    public static func colourWanted(environment: [String: String]) -> Bool {
        environment["NO_COLOR"].map(\.isEmpty) ?? true && !isDumb(environment: environment)
    }

    /// ASCII glyphs for a dumb terminal or a locale that is not UTF-8.
    public static func glyphs(environment: [String: String]) -> Glyphs {
        let locale = environment["LC_ALL"] ?? environment["LC_CTYPE"] ?? environment["LANG"] ?? ""
        let utf8 = locale.isEmpty || locale.uppercased().contains("UTF-8") || locale.uppercased().contains("UTF8")
        return isDumb(environment: environment) || !utf8 ? .ascii : .unicode
    }

    static func isDumb(environment: [String: String]) -> Bool {
        (environment["TERM"] ?? "dumb") == "dumb"
    }

    public init() {}

    deinit {
        assert(!active, "Terminal.restore() must be called before the terminal is released")
    }

    /// Raw input (no echo, no line editing, no signals from keys), alternate screen, hidden cursor.
    public func enterFullScreen() {
        tcgetattr(0, &saved)
        var raw = saved
        raw.c_iflag &= ~tcflag_t(BRKINT | ICRNL | INPCK | ISTRIP | IXON)
        raw.c_oflag &= ~tcflag_t(OPOST)
        raw.c_cflag |= tcflag_t(CS8)
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | IEXTEN | ISIG)
        tcsetattr(0, TCSAFLUSH, &raw)
        active = true
        for signal in [SIGTERM, SIGHUP, SIGINT] {
            _ = Glibc.signal(signal) { _ in Terminal.stopRequested.store(true, ordering: .relaxed) }
        }
        write("\u{1B}[?1049h\u{1B}[?25l\u{1B}[2J")
    }

    /// Puts the terminal back as it was: cursor shown, main screen, saved settings.
    public func restore() {
        guard active else { return }
        write("\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l")
        tcsetattr(0, TCSAFLUSH, &saved)
        active = false
    }

    /// Columns and rows; 80×24 when the size cannot be read.
    public func size() -> (width: Int, height: Int) {
        var size = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 {
            return (Int(size.ws_col), Int(size.ws_row))
        }
        return (80, 24)
    }

    /// Waits up to `milliseconds` for input and decodes what arrived; empty on timeout or signal.
    public func readKeys(timeout milliseconds: Int32) -> [Key] {
        var descriptor = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, milliseconds) > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = read(0, &buffer, buffer.count)
        guard count > 0 else { return [] }
        var bytes = Array(buffer[0..<count])
        // A lone ESC may be the start of a sequence still in flight: wait briefly for the rest.
        if bytes == [0x1B] {
            descriptor.revents = 0
            if poll(&descriptor, 1, 30) > 0 {
                let more = read(0, &buffer, buffer.count)
                if more > 0 { bytes += buffer[0..<more] }
            }
        }
        return Key.decode(bytes)
    }

    /// Writes text (escape sequences included) to the terminal.
    public func write(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { Glibc.write(1, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 { break }
            offset += written
        }
    }
}
