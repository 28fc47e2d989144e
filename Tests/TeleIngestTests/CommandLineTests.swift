import BrokerSettings
import Foundation
import MQTT
import MonitoringRecords
import ReadingIntake
import ServiceConfiguration
import Testing

@testable import TeleIngest

/// The administration subcommands of the real `tele-ingest` binary, as an operator uses them.
@Suite struct CommandLineTests {
    @Test("register, pair, import, list readings and quarantine, and reprocess after pairing")
    func administration() async throws {
        try await withTemporaryDirectory { directory in
            let db = directory.appendingPathComponent("admin.sqlite").path
            func run(_ arguments: String...) throws -> String {
                let (status, output) = try teleIngest(Array(arguments) + ["--db", db], in: directory)
                #expect(status == 0, "tele-ingest \(arguments.joined(separator: " ")) failed:\n\(output)")
                return output
            }
            _ = try run("patients", "add", "--id", "P-0001", "--name", "Test Patient One", "--cpr", "000101-0001")
            let patients = try run("patients", "list")
            #expect(patients.contains("000101-****"))
            #expect(!patients.contains("000101-0001"))
            _ = try run(
                "devices", "pair", "--serial", "HV10-00017", "--patient", "P-0001", "--from", "2026-01-01T00:00:00Z")
            #expect(try run("devices", "list").contains("HV10-00017"))

            let csv = directory.appendingPathComponent("history.csv")
            try """
            serial,kind,value,unit,measured_at
            HV10-00017,weight,82.4,kg,2026-11-01T07:00:00+01:00
            HV10-00017,weight,82.9,kg,2026-11-02 07:00:00
            HV10-NEW01,weight,75.0,kg,2026-11-02T07:00:00+01:00
            HV10-00017,weight,82.4,mmHg,2026-11-03T07:00:00+01:00

            """.write(to: csv, atomically: true, encoding: .utf8)
            let imported = try run("import", csv.path)
            #expect(imported.contains("imported 4 rows: 2 stored, 0 already stored, 2 quarantined"))
            #expect(try run("import", csv.path).contains("0 stored, 2 already stored, 2 quarantined"))

            let readings = try run("readings", "--patient", "P-0001", "--json")
            let decoded = try JSONDecoder.iso8601.decode([StoredReading].self, from: Data(readings.utf8))
            #expect(decoded.map(\.value) == [82.4, 82.9])

            let quarantine = try run("quarantine")
            #expect(quarantine.contains("unknown_device"))
            #expect(quarantine.contains("wrong_unit"))
            #expect(quarantine.contains("Register the device and pair it"))

            _ = try run(
                "devices", "pair", "--serial", "HV10-NEW01", "--patient", "P-0001", "--from", "2026-01-01T00:00:00Z")
            #expect(
                try run("reprocess", "--profiles", Paths.deviceProfiles.path).contains(
                    "2 now stored, 2 still in quarantine"))
            // Imported twice, quarantined twice, stored once.
            let after = try JSONDecoder.iso8601.decode(
                [StoredReading].self,
                from: Data(try run("readings", "--patient", "P-0001", "--kind", "weight", "--json").utf8))
            #expect(after.map(\.value).sorted() == [75.0, 82.4, 82.9])
        }
    }

    @Test("profiles check passes on the shipped folder and fails, naming file and field, on a broken one")
    func profilesCheck() async throws {
        try await withTemporaryDirectory { directory in
            let good = try teleIngest(["profiles", "check", Paths.deviceProfiles.path], in: directory)
            #expect(good.status == 0)
            #expect(good.output.contains("profiles OK"))
            let broken = directory.appendingPathComponent("profiles")
            try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
            try DeviceProfileTests.validProfile.replacingOccurrences(of: "kind: weight", with: "kind: wieght")
                .write(to: broken.appendingPathComponent("scale.yaml"), atomically: true, encoding: .utf8)
            let bad = try teleIngest(["profiles", "check", broken.path], in: directory)
            #expect(bad.status != 0)
            #expect(bad.output.contains("scale.yaml: field 'measurements.0.kind'"))
        }
    }

    @Test("run refuses to start on a bad configuration file, naming the file, the field and what was expected")
    func badConfiguration() async throws {
        try await withTemporaryDirectory { directory in
            let config = directory.appendingPathComponent("tele-ingest.yaml")
            try """
            broker:
              url: http://localhost
            database:
              synchronous: sometimes
            """.write(to: config, atomically: true, encoding: .utf8)
            let (status, output) = try teleIngest(["run", "--config", config.path], in: directory)
            #expect(status != 0)
            #expect(output.contains("tele-ingest.yaml: field 'broker.url': expected mqtt://host:port"))
            #expect(output.contains("field 'database.synchronous': expected normal or full, found 'sometimes'"))
        }
    }

    @Test("--help explains the service")
    func help() async throws {
        try await withTemporaryDirectory { directory in
            let (status, output) = try teleIngest(["run", "--help"], in: directory)
            #expect(status == 0)
            #expect(output.contains("--broker"))
            #expect(output.contains("--topic"))
        }
    }
}

extension JSONDecoder {
    static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

@Suite struct ConfigurationTests {
    @Test("the shipped example configuration loads, with paths resolved against its folder")
    func shippedExample() throws {
        let url = Paths.packageRoot.appendingPathComponent("deploy/tele-ingest.yaml")
        let configuration = try IngestConfiguration.load(file: url)
        #expect(configuration.clientID == "tele-ingest")
        #expect(configuration.worker == .main)
        #expect(configuration.sharedGroup == nil)
        #expect(configuration.session.cleanSession == false)
        #expect(configuration.session.qos == 1)
        #expect(configuration.durability == .normal)
        #expect(configuration.profilesDirectory.hasSuffix("deploy/../device-profiles"))
        #expect(configuration.databasePath.hasSuffix("deploy/tele-ingest.sqlite"))
    }

    @Test("a second worker gets a client id of its own and subscribes through the shared group")
    func workerAndSharedGroup() async throws {
        try await withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("worker.yaml")
            try "broker:\n  sharedGroup: ingest\n  topics: [\"telekit/#\"]\ningest:\n  worker: b\n".write(
                to: url, atomically: true, encoding: .utf8)
            var configuration = try IngestConfiguration.load(file: url)
            #expect(configuration.worker == WorkerName("b"))
            #expect(configuration.mqttSession().clientID == "tele-ingest-b")
            #expect(configuration.mqttSession().topicFilters == ["$share/ingest/telekit/#"])
            configuration.clientID = "ingest-east-2"
            #expect(configuration.mqttSession().clientID == "ingest-east-2", "a configured client id wins")
        }
    }

    @Test(
        "on PostgreSQL a worker's inbox lies in ingest.inboxFolder, resolved against the configuration's folder; on SQLite beside the database"
    )
    func inboxFolder() async throws {
        try await withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("worker.yaml")
            try "database:\n  url: postgresql://tele@127.0.0.1/t\ningest:\n  worker: b\n  inboxFolder: inboxes\n".write(
                to: url, atomically: true, encoding: .utf8)
            let configuration = try IngestConfiguration.load(file: url)
            let base = directory.appendingPathComponent("inboxes/tele-ingest").path
            #expect(configuration.inboxBasePath == base)
            #expect(
                MessageInbox.path(forStore: configuration.inboxBasePath, worker: configuration.worker)
                    == base + ".inbox-b")
            var sqlite = configuration
            sqlite.databaseURL = nil
            #expect(sqlite.inboxBasePath == sqlite.databasePath, "inboxFolder is for PostgreSQL only")
        }
    }

    @Test("the receipts' publish window: 1,000 unless configured")
    func publishWindow() async throws {
        #expect(IngestConfiguration().mqttSession().publishWindow == 1000)
        try await withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("window.yaml")
            try "broker:\n  publishWindow: 250\n".write(to: url, atomically: true, encoding: .utf8)
            #expect(try IngestConfiguration.load(file: url).mqttSession().publishWindow == 250)
        }
    }

    @Test("journal retention: 180 days unless configured; 'forever' keeps every payload")
    func journalRetention() async throws {
        #expect(IngestConfiguration().journalRetention.keepPayloadDays == 180)
        #expect(IngestConfiguration().journalRetention.pruneIntervalMinutes == 60)
        try await withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("journal.yaml")
            try "journal:\n  keepPayloadDays: 30\n  pruneIntervalMinutes: 15\n".write(
                to: url, atomically: true, encoding: .utf8)
            let configured = try IngestConfiguration.load(file: url).journalRetention
            #expect(configured.keepPayloadDays == 30 && configured.pruneIntervalMinutes == 15)
            try "journal:\n  keepPayloadDays: forever\n".write(to: url, atomically: true, encoding: .utf8)
            #expect(try IngestConfiguration.load(file: url).journalRetention.keepPayloadDays == nil)
        }
    }

    @Test(
        "each bad value is named with its field",
        arguments: [
            ("broker:\n  clientId: \"\"", "broker.clientId"),
            ("broker:\n  topics: []", "broker.topics"),
            ("broker:\n  sharedGroup: \"a/b\"", "broker.sharedGroup"),
            ("broker:\n  publishWindow: 0", "broker.publishWindow"),
            ("broker:\n  publishWindow: 70000", "broker.publishWindow"),
            ("ingest:\n  worker: Worker_1", "ingest.worker"),
            ("ingest:\n  worker: much-too-long-name", "ingest.worker"),
            ("broker:\n  tls:\n    caFile: /nonexistent/ca.pem", "broker.tls.caFile"),
            ("ingest:\n  batchSize: 0", "ingest.batchSize"),
            ("ingest:\n  keptReadings: -1", "ingest.keptReadings"),
            ("ingest:\n  defaultTimeZone: Mars/Olympus", "ingest.defaultTimeZone"),
            ("receipts:\n  topicPrefix: \"a/#\"", "receipts.topicPrefix"),
            ("reminders:\n  topicPrefix: \"\"", "reminders.topicPrefix"),
            ("database:\n  url: postgresql://tele@127.0.0.1", "database.url"),
            ("database:\n  path: t.sqlite\n  url: postgresql://tele@127.0.0.1/t", "database"),
            ("logging:\n  level: loud", "logging.level"),
            ("ingest:\n  batchSize: many", "ingest.batchSize"),
            ("journal:\n  keepPayloadDays: 0", "journal.keepPayloadDays"),
            ("journal:\n  keepPayloadDays: always", "journal.keepPayloadDays"),
            ("journal:\n  pruneIntervalMinutes: 0", "journal.pruneIntervalMinutes"),
            ("metrics:\n  port: 70000", "metrics.port"),
        ])
    func badValue(yaml: String, field: String) async throws {
        try await withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("bad.yaml")
            try yaml.write(to: url, atomically: true, encoding: .utf8)
            #expect {
                try IngestConfiguration.load(file: url)
            } throws: { error in
                "\(error)".contains("bad.yaml: field '\(field)'")
            }
        }
    }
}
