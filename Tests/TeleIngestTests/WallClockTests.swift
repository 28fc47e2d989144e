import Foundation
import MonitoringRecords
import Synchronization
import Testing

@testable import TeleIngest

/// "Now" as the executables set it from `TELE_INGEST_NOW`.
@Suite struct WallClockTests {
    /// A clock a test moves by hand.
    final class HandClock: Sendable {
        let instant = Mutex(TestCohort.now)
        var clock: WallClock { WallClock { self.instant.withLock { $0 } } }
        func advance(_ seconds: TimeInterval) { instant.withLock { $0.addTimeInterval(seconds) } }
    }

    @Test("TELE_INGEST_NOW starts the clock at that instant, and it runs on at its base's pace")
    func startsAndRuns() throws {
        let hand = HandClock()
        let clock = try WallClock.fromEnvironment(["TELE_INGEST_NOW": "2027-02-28T23:30:00+01:00"], base: hand.clock)
        let start = try Date("2027-02-28T22:30:00Z", strategy: .iso8601)
        #expect(clock.now() == start)
        hand.advance(3600)
        #expect(clock.now() == start.addingTimeInterval(3600))
    }

    @Test("without TELE_INGEST_NOW, or with it empty, the base clock is used as it is")
    func unset() throws {
        let hand = HandClock()
        #expect(try WallClock.fromEnvironment([:], base: hand.clock).now() == TestCohort.now)
        #expect(try WallClock.fromEnvironment(["TELE_INGEST_NOW": ""], base: hand.clock).now() == TestCohort.now)
        #expect(!WallClock.isSet(in: [:]))
        #expect(WallClock.isSet(in: ["TELE_INGEST_NOW": "2027-01-01T00:00:00Z"]))
    }

    @Test("a value that is not an ISO 8601 instant with an offset is refused, saying what was expected")
    func refused() {
        for text in ["tomorrow", "2027-02-28", "2027-02-28 09:00"] {
            #expect {
                try WallClock.fromEnvironment(["TELE_INGEST_NOW": text])
            } throws: { error in
                "\(error)".contains("must be an ISO 8601 instant with an offset") && "\(error)".contains("'\(text)'")
            }
        }
    }

    @Test("tele-ingest refuses to start with a bad TELE_INGEST_NOW")
    func commandRefuses() async throws {
        try await withTemporaryDirectory { directory in
            let output = directory.appendingPathComponent("bad-clock.out")
            let child = try ChildProcess(
                executable: try Paths.teleIngestExecutable.path,
                arguments: ["patients", "--db", directory.appendingPathComponent("c.sqlite").path],
                output: output.path, clock: "next Friday")
            #expect((child.wait() >> 8) & 0xFF != 0)
            #expect(
                try String(contentsOf: output, encoding: .utf8).contains("TELE_INGEST_NOW must be an ISO 8601 instant"))
        }
    }
}
