/// A list of row ids as the store keeps it in one text column: a JSON array of integers,
/// `[12,15,19]`. Flags keep the readings behind them this way. Read and written on every rule
/// run for every patient with new readings, so it is done here directly rather than through
/// Foundation's JSON coders, which were a tenth of the ingest's processing time.
public enum IDList {
    /// `[1,2,3]`; `[]` for none.
    public static func text<S: Sequence<Int64>>(_ ids: S) -> String {
        "[" + ids.map(String.init).joined(separator: ",") + "]"
    }

    /// The integers of a JSON array of integers; whitespace is allowed, anything else that is
    /// not an integer is skipped (the column is written only by `text(_:)`).
    public static func parse(_ text: String) -> [Int64] {
        var ids: [Int64] = []
        var current: Int64 = 0
        var negative = false
        var inNumber = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let (times, overflow1) = current.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
                current = overflow1 || overflow2 ? current : sum
                inNumber = true
            case UInt8(ascii: "-") where !inNumber:
                negative = true
            default:
                if inNumber { ids.append(negative ? -current : current) }
                current = 0
                negative = false
                inNumber = false
            }
        }
        if inNumber { ids.append(negative ? -current : current) }
        return ids
    }
}
