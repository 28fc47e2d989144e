import Foundation
import MonitoringRecords
import Testing

/// Patient ids and device serials are types of their own, but what is written and printed stays
/// their text: JSON that commands print and rosters that tools exchange read as before.
@Suite struct IdentifierTests {
    @Test("a patient id and a serial are their text in JSON: alone, inside a record and as a key")
    func textInJSON() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode(PatientID("P-0017")), as: UTF8.self) == #""P-0017""#)
        #expect(String(decoding: try encoder.encode(DeviceSerial("HV10-00017")), as: UTF8.self) == #""HV10-00017""#)
        let receipt = Receipt(serial: "HV10-00017", messages: [])
        #expect(
            String(decoding: try encoder.encode(receipt), as: UTF8.self)
                == #"{"messages":[],"serial":"HV10-00017"}"#)
        // Keyed by id, a dictionary is a JSON object, as it was when the keys were strings.
        let byPatient: [PatientID: DeviceSerial] = ["P-1": "S-1"]
        #expect(String(decoding: try encoder.encode(byPatient), as: UTF8.self) == #"{"P-1":"S-1"}"#)
        #expect(
            try JSONDecoder().decode([PatientID: DeviceSerial].self, from: Data(#"{"P-1":"S-1"}"#.utf8)) == byPatient)
    }

    @Test("ids order and compare by their text")
    func ordering() {
        #expect([PatientID("P-0010"), "P-0002", "P-0001"].sorted() == ["P-0001", "P-0002", "P-0010"])
        #expect(PatientID("P-0001") == "P-0001")
        #expect("P-\(7)" as PatientID == PatientID("P-7"))
        #expect(DeviceSerial("A") < DeviceSerial("B"))
    }
}
