/// A grid of characters with styles: what every screen draws into, what rendering tests compare
/// as text, and what the terminal turns into escape sequences. One cell per `Character`: the
/// console's text (Latin letters with æøå, arrows, braille, box lines) is all one column wide.
public struct ScreenBuffer: Sendable, Hashable {
    public struct Cell: Sendable, Hashable {
        public var character: Character
        public var style: Style
    }

    public let width: Int
    public let height: Int
    private var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(1, width)
        self.height = max(1, height)
        cells = Array(repeating: Cell(character: " ", style: .plain), count: self.width * self.height)
    }

    public subscript(row: Int, column: Int) -> Cell {
        cells[row * width + column]
    }

    /// Writes `text` from (`row`, `column`), clipped at `limit` columns (default: the edge).
    /// Returns the column after the last character written.
    @discardableResult
    public mutating func put(_ text: String, row: Int, column: Int, style: Style = .plain, limit: Int? = nil) -> Int {
        guard row >= 0, row < height else { return column }
        let end = min(width, column + (limit ?? width))
        var x = column
        for character in text {
            if character == "\n" { break }
            guard x < end else { break }
            if x >= 0 { cells[row * width + x] = Cell(character: character, style: style) }
            x += 1
        }
        return x
    }

    /// Paints a style over a span of a row, keeping the characters (a selection bar).
    public mutating func paint(row: Int, from column: Int = 0, to end: Int? = nil, style: Style) {
        guard row >= 0, row < height else { return }
        for x in max(0, column)..<min(width, end ?? width) { cells[row * width + x].style = style }
    }

    /// Blanks a rectangle (for overlays).
    public mutating func clear(row: Int, column: Int, width w: Int, height h: Int) {
        for y in max(0, row)..<min(height, row + h) {
            for x in max(0, column)..<min(width, column + w) {
                cells[y * width + x] = Cell(character: " ", style: .plain)
            }
        }
    }

    /// The same screen with typographic symbols replaced by ASCII look-alikes, one for one, for
    /// a terminal without Unicode (letters such as æ, ø, å are kept).
    public func transliterated() -> ScreenBuffer {
        var copy = self
        for index in copy.cells.indices {
            if let ascii = Self.ascii[copy.cells[index].character] { copy.cells[index].character = ascii }
        }
        return copy
    }

    static let ascii: [Character: Character] = [
        "→": ">", "←": "<", "↑": "^", "↓": "v", "·": ".", "—": "-", "–": "-", "…": "~", "─": "-", "±": "~",
        "×": "x", "≥": ">", "≤": "<", "°": "o",
    ]

    /// The screen as text, one line per row, trailing spaces removed: what tests compare.
    public var text: String {
        (0..<height).map { row in
            var line = String(cells[(row * width)..<((row + 1) * width)].map(\.character))
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }

    /// Escape sequences that draw the whole buffer from the top-left corner. Without colour only
    /// bold and reverse video are used, which every terminal has.
    public func ansi(colour: Bool) -> String {
        var output = "\u{1B}[H"
        var current: Style?
        for row in 0..<height {
            output += "\u{1B}[\(row + 1);1H"
            for column in 0..<width {
                let cell = cells[row * width + column]
                if cell.style != current {
                    output += cell.style.escape(colour: colour)
                    current = cell.style
                }
                output.append(cell.character)
            }
        }
        return output + "\u{1B}[0m"
    }
}

extension String {
    /// Cut to `width` characters, ending in `ellipsis` when cut.
    public func fitted(_ width: Int, ellipsis: String = "…") -> String {
        guard width > 0 else { return "" }
        if count <= width { return self }
        return String(prefix(max(0, width - ellipsis.count))) + ellipsis
    }

    /// Padded with spaces (or cut) to exactly `width` characters.
    public func padded(_ width: Int, ellipsis: String = "…") -> String {
        let cut = fitted(width, ellipsis: ellipsis)
        return cut + String(repeating: " ", count: max(0, width - cut.count))
    }

    /// Right-aligned in `width` characters. A longer text keeps its beginning: a number cut at
    /// the front would read as another number (152/103 as 52/103).
    public func leftPadded(_ width: Int) -> String {
        count >= width ? String(prefix(width)) : String(repeating: " ", count: width - count) + self
    }
}
