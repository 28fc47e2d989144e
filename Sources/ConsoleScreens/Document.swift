import TerminalUI

/// A scrollable page of styled lines: the patient view, the escalation preview, the help.
public struct Document: Sendable {
    public struct Span: Sendable, Hashable {
        public var text: String
        public var style: Style
    }

    public var lines: [[Span]] = []

    public init() {}

    public mutating func add(_ text: String = "", _ style: Style = .plain) {
        lines.append([Span(text: text, style: style)])
    }

    public mutating func add(_ spans: [Span]) { lines.append(spans) }

    /// A heading line.
    public mutating func heading(_ text: String) {
        if !lines.isEmpty { add() }
        add(text, .bold)
    }

    /// Long text wrapped at `width` columns, each continuation indented by `indent`.
    public mutating func wrapped(_ text: String, width: Int, indent: Int, _ style: Style = .plain, first: String = "") {
        var line = first
        let pad = String(repeating: " ", count: indent)
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            let candidate = line.isEmpty || line == first ? line + word : line + " " + word
            if candidate.count > width, !(line.isEmpty || line == first || line == pad) {
                add(line, style)
                line = pad + word
            } else {
                line = candidate
            }
        }
        if !line.isEmpty { add(line, style) }
    }

    /// Draws lines `top ..< top + rows` at screen row `row`.
    public func draw(into buffer: inout ScreenBuffer, row: Int, rows: Int, top: Int) {
        for (offset, spans) in lines.dropFirst(top).prefix(rows).enumerated() {
            var x = 0
            for span in spans { x = buffer.put(span.text, row: row + offset, column: x, style: span.style) }
        }
    }
}
