/// A key press, decoded from the bytes a terminal sends.
public enum Key: Sendable, Hashable {
    case character(Character)
    case enter, escape, backspace, tab, up, down, left, right, pageUp, pageDown, home, end, delete
    /// Control plus a letter (`control("c")` for Ctrl-C).
    case control(Character)

    /// Decodes everything in `bytes`. An escape byte alone is the Escape key; `ESC [` and
    /// `ESC O` start the sequences of arrows and paging keys that xterm, tmux and the Linux
    /// console send. UTF-8 sequences become one character each.
    public static func decode(_ bytes: [UInt8]) -> [Key] {
        var keys: [Key] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case 0x1B:
                if index + 2 < bytes.count, bytes[index + 1] == 0x5B || bytes[index + 1] == 0x4F {
                    var end = index + 2
                    while end < bytes.count, !(0x40...0x7E).contains(bytes[end]) { end += 1 }
                    guard end < bytes.count else {
                        index = bytes.count
                        continue
                    }
                    let parameters = String(decoding: bytes[(index + 2)..<end], as: UTF8.self)
                    switch (bytes[end], parameters) {
                    case (0x41, _): keys.append(.up)
                    case (0x42, _): keys.append(.down)
                    case (0x43, _): keys.append(.right)
                    case (0x44, _): keys.append(.left)
                    case (0x48, _), (0x7E, "1"), (0x7E, "7"): keys.append(.home)
                    case (0x46, _), (0x7E, "4"), (0x7E, "8"): keys.append(.end)
                    case (0x7E, "3"): keys.append(.delete)
                    case (0x7E, "5"): keys.append(.pageUp)
                    case (0x7E, "6"): keys.append(.pageDown)
                    default: break
                    }
                    index = end + 1
                } else {
                    keys.append(.escape)
                    index += 1
                }
            case 0x0D, 0x0A: keys.append(.enter); index += 1
            case 0x09: keys.append(.tab); index += 1
            case 0x7F, 0x08: keys.append(.backspace); index += 1
            case 0x01...0x1A:
                keys.append(.control(Character(Unicode.Scalar(byte + 0x60))))
                index += 1
            case 0x20...0x7E:
                keys.append(.character(Character(Unicode.Scalar(byte))))
                index += 1
            default:
                let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
                let end = min(bytes.count, index + length)
                if let character = String(validating: bytes[index..<end], as: UTF8.self)?.first {
                    keys.append(.character(character))
                }
                index = end
            }
        }
        return keys
    }
}
