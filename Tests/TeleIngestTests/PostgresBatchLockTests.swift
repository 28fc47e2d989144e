import DevicePayloads
import Foundation
import MonitoringRecords
import PostgresNIO
import ReadingIntake
import StoreInterface
import Testing
import Vitals

@testable import PostgresStore

/// A batch on PostgreSQL claims its journal chunk by chunk and takes its devices' and patients'
/// advisory locks with each chunk. Only the first chunk waits for them; a later chunk that finds
/// one held by another batch is left for the next batch with nothing of it written, so that two
/// batches never wait for each other in a circle.
@Suite struct PostgresBatchLockTests {
    @Test(
        "a later chunk whose device or patient another batch holds is left for the next batch, nothing of it written (PostgreSQL)",
        arguments: [PostgresMonitoringStore.LockSpace.device, .patient])
    func laterChunkLeft(held space: PostgresMonitoringStore.LockSpace) async throws {
        let intake = ReadingIntake(
            decoder: MessageDecoder(profiles: try TestCohort.profiles()), futureTolerance: 300,
            defaultTimeZone: TimeZone(identifier: "Europe/Copenhagen")!)
        try await withPostgres { cluster in
            let location = try PostgresLocation(url: try cluster.createDatabase())
            try await PostgresMonitoringStore.with(location, clock: .fixed(TestCohort.now)) { store in
                try await ReadingIntakeConformanceTests.register(store)
                // The first chunk is Patient One's scale; the second, Patient Two's (the scale
                // handed over on 10 November was theirs before).
                let weighing = ReadingIntakeConformanceTests.weighing
                try await store.journal(
                    .mqtt,
                    messages: [
                        weighing("one-1", "2026-11-05T07:00:00Z", 80.1, "HV10-00017"),
                        weighing("one-2", "2026-11-06T07:00:00Z", 80.2, "HV10-00017"),
                        weighing("two-1", "2026-11-05T07:00:00Z", 70.1, "HV10-77777"),
                        weighing("two-2", "2026-11-06T07:00:00Z", 70.2, "HV10-77777"),
                    ], receivedAt: ReadingIntakeConformanceTests.at("2026-11-30T08:00:00Z"))
                let name = space == .device ? "HV10-77777" : "P-0002"
                let first = try await store.client.withTransaction(logger: store.logger) { other in
                    try await store.lock(space, [DeviceSerial(rawValue: name)], on: other)
                    return try await store.processBatch(limit: 4, chunk: 2, intake: intake)
                }
                #expect(first.results.map(\.outcome) == [.stored, .stored], "the first chunk only")
                #expect(try await store.readings(patientID: "P-0002").isEmpty)
                #expect(try await store.serviceReport().journalBacklog == 2, "the second chunk is not marked processed")
                #expect(try await store.latestValues()["P-0002"] == nil)

                let next = try await store.processBatch(limit: 4, chunk: 2, intake: intake)
                #expect(next.results.map(\.outcome) == [.stored, .stored])
                #expect(try await store.readings(patientID: "P-0002").map(\.value) == [70.1, 70.2])
                #expect(try await store.serviceReport().journalBacklog == 0)
            }
        }
    }
}
