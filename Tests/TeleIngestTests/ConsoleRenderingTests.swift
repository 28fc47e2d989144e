import FollowUp
import Foundation
import TerminalUI
import Testing

@testable import ConsoleScreens
@testable import TeleIngest

/// What the console draws, as text, compared with the screens in `Fixtures/screens/`. A change
/// to a screen shows up here as a diff to review; `RECORD_SCREENS=1 swift test` rewrites the
/// screens that differ and fails for each one it rewrote, so a recording run never passes by
/// comparing a screen with itself: review the diff, then run again without it.
@Suite struct ConsoleRenderingTests {
    static let sizes = [(80, 24), (132, 43)]

    func compare(_ buffer: ScreenBuffer, _ name: String) throws {
        let file = Paths.fixtures.appendingPathComponent("screens/\(name).txt")
        let text = buffer.text + "\n"
        #expect(buffer.text.split(separator: "\n", omittingEmptySubsequences: false).count == buffer.height)
        let expected = try? String(contentsOf: file, encoding: .utf8)
        guard text != expected else { return }
        if ProcessInfo.processInfo.environment["RECORD_SCREENS"] == "1" {
            try text.write(to: file, atomically: true, encoding: .utf8)
            Issue.record(
                "screen \(name) was recorded anew in \(file.path): review the diff, then run without RECORD_SCREENS")
        } else if expected == nil {
            Issue.record("no recorded screen \(file.path); record it with RECORD_SCREENS=1 and review it")
        } else {
            Issue.record("screen \(name) differs from \(file.path); got:\n\(text)")
        }
    }

    @Test("the worklist at 80×24 and 132×43", arguments: sizes)
    func worklist(width: Int, height: Int) async throws {
        try await withTemporaryDirectory { directory in
            let app = try await ConsoleApp(
                session: try ConsoleFixture.session(try ConsoleFixture.store(in: directory)), glyphs: .unicode)
            try compare(app.render(width: width, height: height), "worklist-\(width)x\(height)")
        }
    }

    @Test("the patient view of the red patient at 80×24 and 132×43", arguments: sizes)
    func patientView(width: Int, height: Int) async throws {
        try await withTemporaryDirectory { directory in
            let app = try await ConsoleApp(
                session: try ConsoleFixture.session(try ConsoleFixture.store(in: directory)), glyphs: .unicode)
            _ = app.render(width: width, height: height)
            #expect(await app.handle(.enter))  // the first row is the red patient
            try compare(app.render(width: width, height: height), "patient-\(width)x\(height)")
            // Scrolled to the end: notes, thresholds, escalations, devices, closed flags.
            #expect(await app.handle(.end))
            try compare(app.render(width: width, height: height), "patient-end-\(width)x\(height)")
        }
    }

    @Test(
        "value columns hold the widest values whole, and a value too wide keeps its leading digits",
        arguments: [80, 100, 132])
    func valueColumnsFit(width: Int) {
        let widths = WorklistScreen.columns(width: width).widths
        #expect(widths[3] >= "350.0↑".count)
        #expect(widths[4] >= "300/200↑".count)
        #expect(widths[5] >= "250↑".count)
        #expect("152/103↑".leftPadded(7).hasPrefix("152/103"))
        #expect("152/103↑".leftPadded(8) == "152/103↑")
        #expect("96↑".leftPadded(5) == "  96↑")
    }

    @Test("without Unicode the screens fall back to ASCII and still read")
    func asciiFallback() async throws {
        try await withTemporaryDirectory { directory in
            let app = try await ConsoleApp(
                session: try ConsoleFixture.session(try ConsoleFixture.store(in: directory)), glyphs: .ascii)
            let list = app.render(width: 80, height: 24).text
            #expect(list.allSatisfy { $0.isASCII || $0.isLetter })
            #expect(list.contains("RED"))
            _ = await app.handle(.enter)
            let patient = app.render(width: 80, height: 24).text
            #expect(patient.allSatisfy { $0.isASCII || $0.isLetter })
            #expect(patient.contains("*"))  // the weight chart's points
        }
    }

    @Test("without colour the triage is still spelled out; with colour red rows are red")
    func colour() async throws {
        try await withTemporaryDirectory { directory in
            let app = try await ConsoleApp(
                session: try ConsoleFixture.session(try ConsoleFixture.store(in: directory)), glyphs: .unicode)
            let buffer = app.render(width: 80, height: 24)
            let plain = buffer.ansi(colour: false)
            #expect(!plain.contains("\u{1B}[0;31m") && !plain.contains(";31m"))
            #expect(buffer.text.split(separator: "\n")[3].hasPrefix("RED"))
            #expect(buffer[3, 0].style.colour == .red)
            #expect(buffer.ansi(colour: true).contains(";31m"))
            #expect(Terminal.colourWanted(environment: ["TERM": "xterm", "NO_COLOR": "1"]) == false)
            #expect(Terminal.colourWanted(environment: ["TERM": "dumb"]) == false)
            #expect(Terminal.colourWanted(environment: ["TERM": "xterm-256color"]) == true)
            #expect(Terminal.glyphs(environment: ["TERM": "xterm", "LANG": "C"]) == .ascii)
        }
    }

    @Test("the help overlay, search and the flagged filter")
    func keys() async throws {
        try await withTemporaryDirectory { directory in
            let app = try await ConsoleApp(
                session: try ConsoleFixture.session(try ConsoleFixture.store(in: directory)), glyphs: .unicode)
            _ = await app.handle(.character("?"))
            #expect(app.render(width: 80, height: 24).text.contains("Keys"))
            _ = await app.handle(.character("x"))  // any key closes it
            _ = await app.handle(.character("f"))
            #expect(!app.render(width: 80, height: 24).text.contains("Test Patient Stable"))
            _ = await app.handle(.character("f"))
            for key in [Key.character("/"), .character("q"), .character("u"), .enter] { _ = await app.handle(key) }
            let searched = app.render(width: 80, height: 24).text
            #expect(searched.contains("Test Patient Quiet"))
            #expect(!searched.contains("Test Patient Red "))
            await #expect(await app.handle(.character("q")) == false)
        }
    }

    @Test(
        "keys decode from what xterm and tmux send",
        arguments: [
            ([0x1B, 0x5B, 0x41], [Key.up]), ([0x1B, 0x5B, 0x36, 0x7E], [.pageDown]), ([0x1B], [.escape]),
            ([0x0D], [.enter]), ([0x7F], [.backspace]), ([0x03], [.control("c")]),
            ([0xC3, 0xB8, 0x61], [.character("ø"), .character("a")]),
        ])
    func keyDecoding(bytes: [UInt8], keys: [Key]) {
        #expect(Key.decode(bytes) == keys)
    }
}
