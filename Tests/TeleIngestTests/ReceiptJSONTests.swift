import Foundation
import IngestWorker
import MonitoringRecords
import Testing

/// Receipts are written without Foundation's encoder; gateways read them as JSON, so the text
/// must read back as the same receipt, and is the same text Foundation writes with sorted keys.
@Suite struct ReceiptJSONTests {
    static let receipts: [Receipt] = [
        Receipt(serial: "HV10-00017", messages: [Receipt.Entry(messageId: "m-1", outcome: "stored")]),
        Receipt(
            serial: "BP-0042",
            messages: [
                Receipt.Entry(messageId: "m-1", outcome: "stored"),
                Receipt.Entry(messageId: nil, outcome: "quarantined"),
                Receipt.Entry(messageId: #"a "quoted" id \ with æøå"#, outcome: "duplicate"),
            ]),
        Receipt(serial: "HV10-00018", messages: []),
    ]

    @Test("the same text as Foundation's encoder with sorted keys", arguments: receipts)
    func sameAsFoundation(receipt: Receipt) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(receipt.json == String(decoding: try encoder.encode(receipt), as: UTF8.self))
    }

    @Test("read back as the same receipt, a slash and a control character included")
    func readsBack() throws {
        let receipt = Receipt(
            serial: "HV10-00017", messages: [Receipt.Entry(messageId: "batch/7\u{1}", outcome: "stored")])
        #expect(try JSONDecoder().decode(Receipt.self, from: Data(receipt.json.utf8)) == receipt)
    }
}
