import MonitoringRecords
import Testing

/// A masked CPR number shows the date part only, whatever the stored text looks like. Stored
/// numbers take a byte-copying shortcut; anything else is cut by characters, and both must agree.
@Suite("CPR numbers masked")
struct CPRNumberTests {
    @Test(
        "the first six characters, a dash and four stars",
        arguments: [
            ("000150-1001", "000150-****"),  // as stored (normalised)
            ("0001501001", "000150-****"),  // without the dash
            ("000150", "000150-****"),  // the date part alone
            ("00015", "00015-****"),  // too short for the shortcut
            ("", "-****"),
            ("000150\u{301}-1001", "000150\u{301}-****"),  // a combining mark joins the sixth digit
            ("00015x-1001", "00015x-****"),  // not all digits
            ("٠٠٠١٥٠-1001", "٠٠٠١٥٠-****"),  // digits, not ASCII ones
            ("000150 1001", "000150-****"),
        ])
    func masked(stored: String, shown: String) {
        #expect(CPRNumber.masked(stored) == shown)
        #expect(CPRNumber.masked(stored) == "\(stored.prefix(6))-****", "the same as cutting by characters")
    }
}
