/// How a cell is drawn. Colour is an addition: every screen must read the same without it.
public struct Style: Sendable, Hashable {
    public enum Colour: Int, Sendable, Hashable {
        case red = 31, green = 32, yellow = 33, blue = 34, magenta = 35, cyan = 36
    }

    public var colour: Colour?
    public var bold: Bool
    public var dim: Bool
    /// Reverse video: the selected row, the title bar.
    public var inverse: Bool

    public init(colour: Colour? = nil, bold: Bool = false, dim: Bool = false, inverse: Bool = false) {
        self.colour = colour
        self.bold = bold
        self.dim = dim
        self.inverse = inverse
    }

    public static let plain = Style()
    public static let bold = Style(bold: true)
    public static let dim = Style(dim: true)
    public static let inverse = Style(inverse: true)

    public func with(colour: Colour?) -> Style {
        var copy = self
        copy.colour = colour
        return copy
    }

    /// The SGR escape for this style, after a reset.
    func escape(colour useColour: Bool) -> String {
        var codes = ["0"]
        if bold { codes.append("1") }
        if dim && useColour { codes.append("2") }
        if inverse { codes.append("7") }
        if useColour, let colour { codes.append(String(colour.rawValue)) }
        return "\u{1B}[" + codes.joined(separator: ";") + "m"
    }
}

/// Which characters the terminal can show: Unicode (arrows, braille, box lines) or plain ASCII
/// for a dumb terminal or a non-UTF-8 locale.
public struct Glyphs: Sendable, Hashable {
    public var up: String
    public var down: String
    public var steady: String
    public var horizontal: Character
    public var ellipsis: String
    /// Braille dot charts; ASCII falls back to `*` points.
    public var braille: Bool

    public static let unicode = Glyphs(up: "↑", down: "↓", steady: "→", horizontal: "─", ellipsis: "…", braille: true)
    public static let ascii = Glyphs(up: "^", down: "v", steady: "=", horizontal: "-", ellipsis: "~", braille: false)
}
