/// A line chart drawn with characters: braille dots (2×4 per cell) where the terminal has
/// Unicode, `*` and `-` where it has only ASCII. Values are plotted left to right, one slot per
/// day; gaps stay gaps. Limit lines are dotted across the chart so they are told from the data
/// without colour.
public struct DotChart: Sendable {
    /// A horizontal line (a limit, the dry weight).
    public struct Line: Sendable, Hashable {
        public var value: Double
        public var tag: Int
        public init(value: Double, tag: Int) {
            self.value = value
            self.tag = tag
        }
    }

    /// One character cell: what to draw and which layer it shows (for the caller to style).
    public struct Cell: Sendable, Hashable {
        public var character: Character
        /// Data dots in the cell.
        public var data: Bool
        /// The tag of a limit line in the cell, if any and no data.
        public var line: Int?
    }

    /// One or more series (systolic and diastolic share a chart), one slot per day.
    public var series: [[Double?]]
    public var lines: [Line]
    public var width: Int
    public var height: Int
    public var braille: Bool
    /// The smallest value range drawn, so a flat series is not blown up into noise.
    public var minimumSpan: Double

    public init(
        series: [[Double?]], lines: [Line], width: Int, height: Int, braille: Bool, minimumSpan: Double = 1
    ) {
        self.minimumSpan = minimumSpan
        self.series = series
        self.lines = lines
        self.width = max(2, width)
        self.height = max(2, height)
        self.braille = braille
    }

    /// The value range drawn: the data and the lines, with a little room.
    public var range: (low: Double, high: Double) {
        let values = series.flatMap { $0.compactMap { $0 } } + lines.map(\.value)
        guard var low = values.min(), var high = values.max() else { return (0, 1) }
        if high - low < minimumSpan {
            let middle = (high + low) / 2
            low = middle - minimumSpan / 2
            high = middle + minimumSpan / 2
        }
        let pad = (high - low) * 0.05
        low -= pad
        high += pad
        return (low, high)
    }

    /// The chart's cells, top row first.
    public func cells() -> [[Cell]] {
        let dotsAcross = braille ? width * 2 : width
        let dotsDown = braille ? height * 4 : height
        let (low, high) = range
        func y(_ value: Double) -> Int {
            let fraction = (value - low) / (high - low)
            return min(dotsDown - 1, max(0, Int(((1 - fraction) * Double(dotsDown - 1)).rounded())))
        }
        let slotCount = series.map(\.count).max() ?? 0
        func x(_ slot: Int) -> Int {
            slotCount <= 1 ? 0 : Int((Double(slot) * Double(dotsAcross - 1) / Double(slotCount - 1)).rounded())
        }
        var data = Array(repeating: Array(repeating: false, count: dotsAcross), count: dotsDown)
        var limit: [[Int?]] = Array(repeating: Array(repeating: nil, count: dotsAcross), count: dotsDown)
        for line in lines {
            let row = y(line.value)
            for column in stride(from: 0, to: dotsAcross, by: braille ? 4 : 2) { limit[row][column] = line.tag }
        }
        for slots in series {
            var previous: (x: Int, y: Int)?
            for (slot, value) in slots.enumerated() {
                guard let value else {
                    previous = nil  // a day without a reading: no line across it
                    continue
                }
                let point = (x: x(slot), y: y(value))
                if let from = previous, braille {
                    // Straight segment between consecutive days.
                    let steps = max(abs(point.x - from.x), abs(point.y - from.y))
                    for step in 0...steps {
                        let t = steps == 0 ? 0 : Double(step) / Double(steps)
                        let px = from.x + Int((Double(point.x - from.x) * t).rounded())
                        let py = from.y + Int((Double(point.y - from.y) * t).rounded())
                        data[py][px] = true
                    }
                }
                data[point.y][point.x] = true
                previous = point
            }
        }
        var result: [[Cell]] = []
        for row in 0..<height {
            var cells: [Cell] = []
            for column in 0..<width {
                if braille {
                    var bits = 0
                    var hasData = false
                    var tag: Int?
                    let offsets = [
                        (0, 0, 0x01), (0, 1, 0x02), (0, 2, 0x04), (1, 0, 0x08), (1, 1, 0x10), (1, 2, 0x20),
                        (0, 3, 0x40), (1, 3, 0x80),
                    ]
                    for (dx, dy, bit) in offsets {
                        let px = column * 2 + dx
                        let py = row * 4 + dy
                        if data[py][px] {
                            bits |= bit
                            hasData = true
                        } else if let line = limit[py][px] {
                            bits |= bit
                            tag = tag ?? line
                        }
                    }
                    let character = bits == 0 ? " " : Character(Unicode.Scalar(0x2800 + bits)!)
                    cells.append(Cell(character: character, data: hasData, line: hasData ? nil : tag))
                } else {
                    if data[row][column] {
                        cells.append(Cell(character: "*", data: true, line: nil))
                    } else if let line = limit[row][column] {
                        cells.append(Cell(character: "-", data: false, line: line))
                    } else {
                        cells.append(Cell(character: " ", data: false, line: nil))
                    }
                }
            }
            result.append(cells)
        }
        return result
    }

    /// The value at the middle of a character row, for axis labels.
    public func value(atRow row: Int) -> Double {
        let (low, high) = range
        return high - (Double(row) + 0.5) / Double(height) * (high - low)
    }
}
