import Foundation
import StoreInterface
import Testing

@testable import TeleIngest

/// The flag's reading ids and supports are kept as JSON arrays of integers; the store reads and
/// writes them without Foundation's coders, so it must agree with them.
@Suite struct IDListTests {
    @Test(
        "reading what JSON writes",
        arguments: [
            ("[]", []),
            ("[1]", [1]),
            ("[12,15,19]", [12, 15, 19]),
            ("[ 12, 15 ,19 ]", [12, 15, 19]),
            ("[1795000000000,1795086400000]", [1_795_000_000_000, 1_795_086_400_000]),
            ("[-5,0,9223372036854775807]", [-5, 0, Int64.max]),
            ("", []),
        ] as [(String, [Int64])])
    func parsing(text: String, ids: [Int64]) {
        #expect(IDList.parse(text) == ids)
    }

    @Test("written as Foundation's JSON encoder writes it, and read back", arguments: [0, 1, 2, 7, 40])
    func roundTrip(count: Int) throws {
        var generator = SystemRandomNumberGenerator()
        let ids = (0..<count).map { _ in Int64.random(in: -1_000_000_000_000...4_000_000_000_000, using: &generator) }
        let text = IDList.text(ids)
        #expect(text == String(decoding: try JSONEncoder().encode(ids), as: UTF8.self))
        #expect(IDList.parse(text) == ids)
        #expect(try JSONDecoder().decode([Int64].self, from: Data(text.utf8)) == ids)
    }
}
