import ArgumentParser
import Foundation
import MonitoringRecords
import ServiceConfiguration
import StoreInterface
import TerminalUI

extension ErasureBasis: ExpressibleByArgument {}

extension Patients {
    /// `tele-ingest patients erase P-17 --basis retention-over --reason "…"`: one patient's data
    /// removed where the law allows it (docs/SECURITY.md, keeping and forgetting).
    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase one patient's data where the law allows it (audited; docs/SECURITY.md).",
            discussion: """
                --basis retention-over: the monitoring has ended and the newest entry in the \
                record is older than records.keepYears (10). --basis registered-in-error: no \
                clinician has acted on the record (no note, review, escalation, personal setting \
                or acknowledged flag). Removes the registration, pairings, readings, flags, notes, \
                reviews, escalations, settings, reminders, the change history, the raw payloads \
                of the patient's messages and the quarantined messages from the patient's devices. \
                The audit entries on the patient stay, their detail blanked; the id is never given \
                again. Backups made before keep the data until they are rotated out. Export first \
                (tele-ingest patients export) if the data must go elsewhere. On PostgreSQL, run as \
                the role that owns the schema.
                """)
        @OptionGroup var store: StoreOptions
        @Argument(help: "Patient id.") var id: PatientID
        @Option(help: "retention-over or registered-in-error.") var basis: ErasureBasis
        @Option(help: "Why (required; kept in the erasure record and the audit log).") var reason: String
        @Flag(help: "Show what would be removed and whether the law allows it; change nothing.") var dryRun = false

        func run() async throws {
            let configuration = try store.configuration()
            let policy = ErasurePolicy(keepYears: configuration.recordsKeepYears)
            let result = try await store.withStore { store -> (PatientFootprint, String?, PatientErasureRecord?) in
                if dryRun {
                    guard let footprint = try await store.erasureFootprint(patientID: id) else {
                        throw ValidationErrorText("no patient with id \(id)")
                    }
                    return (
                        footprint,
                        policy.refusal(patientID: id, footprint: footprint, basis: basis, at: store.clock.now()), nil
                    )
                }
                // The store reads what is held inside its own transaction and refuses an unknown patient.
                let record = try await store.erasePatient(
                    id: id, basis: basis, reason: reason, account: try await store.sessionAccount(), policy: policy)
                return (record.removed, nil, record)
            }
            let (footprint, refusal, record) = result
            if let record {
                print("\(id): erased (\(record.basis.rawValue)): \(footprint.summary)")
                print(
                    "kept: \(footprint.auditEntries) audit entries on \(id), their detail blanked; the erasure record")
                return
            }
            print("\(id) holds: \(footprint.summary); \(footprint.auditEntries) audit entries")
            print(
                "newest entry \(Output.utc(footprint.newestEntry)); monitoring \(footprint.monitoringEnded ? "ended" : "not ended")"
            )
            if let refusal {
                print("would be refused: \(refusal)")
                throw ExitCode(1)
            }
            print("would be erased (--basis \(basis.rawValue)); nothing changed (--dry-run)")
        }
    }

    /// `tele-ingest patients erasures`: the erasure records.
    struct Erasures: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The patients whose data was erased: when, by whom, on which basis, why and what went.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let records = try await store.withStore { try await $0.erasures() }
            if json { return try Output.json(records) }
            Output.table(
                ["ERASED (UTC)", "PATIENT", "BY", "BASIS", "REMOVED", "WHY"],
                records.map {
                    [
                        Output.utc($0.erasedAt), $0.patientID.rawValue, $0.erasedBy, $0.basis.rawValue,
                        $0.removed.summary, $0.reason,
                    ]
                })
            if records.isEmpty { print("no patient's data has been erased") }
        }
    }
}
