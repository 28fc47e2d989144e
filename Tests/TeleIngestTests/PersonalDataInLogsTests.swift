import Foundation
import MonitoringRecords
import StoreInterface
import Testing
import ThresholdRules

@testable import IngestWorker
@testable import TeleIngest

/// CPR numbers and names are personal data: they may be in the database, never in a log. The
/// real binaries at their most verbose, through every path that logs — registration, good
/// readings that raise flags, broken and hostile payloads that carry personal data, unknown
/// devices, a CSV import, the missing-data check, shutdown — and then the logs are searched.
@Suite(.serialized) struct PersonalDataInLogsTests {

    @Test("no CPR-shaped string and no patient name in any log line, at trace level")
    func logsCarryNoPersonalData() async throws {
        try await withBroker { broker in
            try await withTemporaryDirectory { directory in
                let db = directory.appendingPathComponent("logs.sqlite")
                var logs: [String] = []
                func admin(_ arguments: String...) throws {
                    let (status, output) = try teleIngest(Array(arguments) + ["--db", db.path], in: directory)
                    #expect(status == 0, "tele-ingest \(arguments.joined(separator: " ")):\n\(output)")
                    // The import's report is what an operator reads beside the logs: check it too.
                    if arguments.first == "import" { logs.append(output) }
                }
                try admin("patients", "add", "--id", "P-LOG1", "--name", "Torben Logsen", "--cpr", "000170-4321")
                try admin("patients", "add", "--id", "P-LOG2", "--name", "Karen Logsen", "--cpr", "0002714322")
                try admin(
                    "devices", "pair", "--serial", "HV10-00017", "--patient", "P-LOG1", "--from", "2026-01-01T00:00:00Z"
                )

                let service = ServiceProcess(broker: broker, database: db, directory: directory, logLevel: "trace")
                try service.start()
                try await service.waitUntilConnected()
                let publisher = try await Publisher(broker: broker)
                defer { publisher.close() }
                for (day, weight) in [(16, 80.0), (17, 80.1), (18, 81.2), (19, 82.7)] {
                    try publisher.publish(
                        "telekit/HV10-00017/hv10",
                        #"{"serial": "HV10-00017", "msg_id": "log-\#(day)", "measured": "2026-11-\#(day)T07:12:03+01:00", "weight": \#(weight), "unit": "kg"}"#
                    )
                }
                // Hostile and broken payloads that carry personal data.
                try publisher.publish(
                    "telekit/HV10-00017/hv10", #"{"serial": "HV10-00017", "note": "Torben Logsen 000170-4321""#)
                try publisher.publish(
                    "telekit/HV10-00017/hv10",
                    #"{"serial": "HV10-00017", "msg_id": "000170-4321", "measured": "2026-11-20T07:12:03+01:00", "weight": 82.4, "unit": "mmHg"}"#
                )
                try publisher.publish(
                    "telekit/HV10-99999/hv10",
                    #"{"serial": "HV10-99999", "msg_id": "Karen Logsen", "measured": "2026-11-20T07:12:03+01:00", "weight": 82.4, "unit": "kg"}"#
                )
                try publisher.publish("telekit/000170-4321/hv10", #"{"serial": "000170-4321"}"#)
                try await publisher.flush()
                let store = try MonitoringStore(path: db.path, clock: TestCohort.clock)
                #expect(try await eventually { try store.journalBacklog() == 0 && store.quarantine().count == 4 })
                #expect(try store.flags(patientID: "P-LOG1").contains { $0.severity == .red })
                // The missing-data check runs once the backlog has settled (P-LOG2 has no readings).
                #expect(try await eventually(timeout: .seconds(30)) { service.log.contains("missing-data check done") })
                service.stop()
                logs.append(service.log)

                let csv = directory.appendingPathComponent("history.csv")
                try """
                serial,kind,value,unit,measured_at
                HV10-00017,weight,82.0,kg,2026-11-10T07:00:00+01:00
                000170-4321,weight,82.0,kg,2026-11-11T07:00:00+01:00
                HV10-00017,weight,Torben Logsen,kg,2026-11-12T07:00:00+01:00

                """.write(to: csv, atomically: true, encoding: .utf8)
                try admin("import", csv.path)

                let all = logs.joined(separator: "\n")
                #expect(all.contains("quarantined"), "the logs were captured: \(all.prefix(400))")
                // A CPR number stands alone (10 digits, a dash after the sixth or not); the digits
                // inside a temporary folder's UUID do not count.
                for line in all.split(separator: "\n") {
                    #expect(
                        line.firstMatch(of: #/\b\d{6}-?\d{4}\b/#) == nil, "CPR-shaped string in a log line: \(line)")
                    #expect(!line.contains("Logsen"), "a patient name in a log line: \(line)")
                }
            }
        }
    }
}

@Suite struct LoggedSerialTests {
    @Test(
        "a serial shaped like a CPR number is logged masked; a long one is cut",
        arguments: [
            ("HV10-00017", "HV10-00017"), ("000170-4321", "000170-****"), ("0001704321", "000170****"),
            ("00-1B-C5-FF-FE-00-12-34", "00-1B-C5-FF-FE-00-12-34"), ("12345678901", "12345678901"),
            (DeviceSerial(String(repeating: "A", count: 60)), String(repeating: "A", count: 40) + "…"),
        ] as [(DeviceSerial, String)])
    func masked(serial: DeviceSerial, logged: String) {
        #expect(LoggedSerial.of(serial) == logged)
    }
}

@Suite struct CPRPatternTests {
    @Test(
        "the log scan finds CPR numbers standing alone, not digits inside other tokens",
        arguments: [
            ("serial=000170-4321 x", true), ("cpr 0001704321.", true), ("serial=000170-****", false),
            ("/tmp/tests-31404708-0F28-4004-B80F-0895600107E5/db", false), ("journal=123456789012", false),
        ])
    func pattern(line: String, found: Bool) {
        #expect((line.firstMatch(of: #/\b\d{6}-?\d{4}\b/#) != nil) == found)
    }
}
