import DevicePayloads
import MonitoringRecords
import Testing

@testable import TeleIngest

@Suite struct TopicPatternTests {
    @Test(
        "matching topics and capturing the serial",
        arguments: [
            ("telekit/{serial}/hv10", "telekit/HV10-1/hv10", true, "HV10-1"),
            ("telekit/{serial}/hv10", "telekit/HV10-1/bp7", false, nil),
            ("telekit/{serial}/hv10", "telekit/HV10-1/hv10/x", false, nil),
            ("telekit/{serial}/hv10", "telekit//hv10", false, nil),
            ("phd/+/observations", "phd/HUB-7/observations", true, nil),
            ("telekit/#", "telekit/a/b/c", true, nil),
            ("telekit/{serial}/#", "telekit/S1/x/y", true, "S1"),
            ("telekit/#", "telekit", true, nil),
            ("telekit/{serial}/hv10", "telekit/HV10-1", false, nil),
            ("telekit/{serial}/hv10", "telekit/HV10-1/", false, nil),
            ("telekit/{serial}/hv10", "telekit/HV10-1/hv1", false, nil),
            ("telekit/{serial}/hv10", "telekit/HV10-1/hv100", false, nil),
            ("telekit/{serial}/hv10", "telekat/HV10-1/hv10", false, nil),
            ("telekit/+", "telekit/", true, nil),
            ("telekit/+", "telekit", false, nil),
            ("+/+", "/", true, nil),
            ("telekit/{serial}", "telekit/Måler-ø7", true, "Måler-ø7"),
        ] as [(String, String, Bool, DeviceSerial?)])
    func matching(pattern: String, topic: String, matches: Bool, serial: DeviceSerial?) throws {
        let compiled = try #require(TopicPattern(pattern))
        let match = compiled.match(topic)
        #expect((match != nil) == matches)
        #expect(match?.serial == serial)
    }

    @Test("invalid patterns are refused", arguments: ["", "a/#/b", "a/b+/c", "a/{serial}/{serial}", "a/{ser}/b"])
    func invalid(pattern: String) {
        #expect(TopicPattern(pattern) == nil)
    }
}
