import Foundation
import GRDB
import GRDBSQLite
import MonitoringRecords
import Synchronization
import ThresholdRules

/// Each patient's recent readings as the rules read them, kept by the service's processor from
/// one batch to the next, so that a patient measured in every batch is not read again from
/// `reading_history` each time (that read was the largest part of the rules' cost on a
/// many-patient stream: docs/PERFORMANCE.md).
///
/// A patient's entry holds every reading of theirs measured from `from` on, as the store holds
/// them in the batch's transaction: it is filled by the rules' read of the store and then
/// follows the readings the processor itself inserts. It is trusted only while nothing else has
/// written the store:
/// * another connection's commit (another process, another worker) changes SQLite's
///   `data_version`;
/// * a write on the processor's own connection between two batches changes its
///   `total_changes`;
/// * a batch that fails (rolled back) empties it.
/// Any of these empties every entry; the next batch reads the store again. A request from before
/// an entry's `from` (a late reading) reads the store too.
///
/// Bounded by `capacity` readings in all (`Observation`: 32 bytes each): when a new entry would
/// exceed it, other patients' entries are dropped until a quarter of it is free, and a patient
/// with more than a quarter of it is not kept.
public final class RecentReadings: Sendable {
    /// The bound unless the caller sets one (the service's is `ingest.keptReadings`).
    public static let defaultCapacity = 200_000

    public let capacity: Int
    private let state: Mutex<State>

    struct State {
        var patients: [PatientID: Entry] = [:]
        var count = 0
        var storeReads = 0
        /// `data_version` and `total_changes` when the last batch settled; `nil`: never.
        var version: Int64?
        var changes: Int64?
    }

    struct Entry {
        /// Milliseconds since 1970.
        var from: Int64
        var observations: [Observation]
    }

    public init(capacity: Int = RecentReadings.defaultCapacity) {
        self.capacity = capacity
        state = Mutex(State())
    }

    /// How many readings are kept now.
    public var count: Int { state.withLock { $0.count } }

    /// How many times a patient's readings were read from the store and kept, since the last
    /// time every entry was dropped.
    public var storeReads: Int { state.withLock { $0.storeReads } }

    /// At the start of a batch's transaction: drops every entry if anything but this processor
    /// wrote the store since the last batch settled.
    func begin(_ db: Database) throws {
        let (version, changes) = try Self.writes(db)
        state.withLock { state in
            if state.version != version || state.changes != changes {
                state = State()
            }
        }
    }

    /// At the end of a batch's transaction, after its last write: what the next batch compares.
    func settle(_ db: Database) throws {
        let (version, changes) = try Self.writes(db)
        state.withLock { state in
            state.version = version
            state.changes = changes
        }
    }

    /// What tells another connection's commits (`data_version`) and this connection's own writes
    /// (`total_changes`) apart from nothing written.
    private static func writes(_ db: Database) throws -> (version: Int64?, changes: Int64) {
        (try Int64.fetchOne(db, sql: "PRAGMA data_version"), sqlite3_total_changes64(db.sqliteConnection))
    }

    /// Drops every entry (a failed batch).
    public func clear() {
        state.withLock { $0 = State() }
    }

    /// The patient's readings measured from `from` (milliseconds since 1970) on, if kept.
    func observations(patientID: PatientID, from: Int64) -> [Observation]? {
        state.withLock { state in
            guard let entry = state.patients[patientID], entry.from <= from else { return nil }
            guard entry.from < from else { return entry.observations }
            let start = Date(millisecondsSince1970: from)
            let kept = entry.observations.filter { $0.measuredAt >= start }
            state.count -= entry.observations.count - kept.count
            state.patients[patientID] = Entry(from: from, observations: kept)
            return kept
        }
    }

    /// Keeps what the store returned for the patient's readings from `from` on. Past the bound,
    /// other patients' entries are dropped until a quarter of it is free.
    func keep(_ observations: [Observation], patientID: PatientID, from: Int64) {
        guard observations.count <= capacity / 4 else { return }
        state.withLock { state in
            state.count -= state.patients.removeValue(forKey: patientID)?.observations.count ?? 0
            if state.count + observations.count > capacity {
                var excess = state.count + observations.count - capacity * 3 / 4
                var dropped: [PatientID] = []
                for (other, entry) in state.patients where excess > 0 {
                    dropped.append(other)
                    excess -= entry.observations.count
                }
                for other in dropped {
                    state.count -= state.patients.removeValue(forKey: other)?.observations.count ?? 0
                }
            }
            state.patients[patientID] = Entry(from: from, observations: observations)
            state.count += observations.count
            state.storeReads += 1
        }
    }

    /// A reading the processor has just inserted, in the batch's transaction.
    func add(_ observation: Observation, patientID: PatientID) {
        state.withLock { state in
            guard let from = state.patients[patientID]?.from,
                observation.measuredAt >= Date(millisecondsSince1970: from)
            else { return }
            guard state.count < capacity else {
                state.count -= state.patients[patientID]?.observations.count ?? 0
                state.patients[patientID] = nil
                return
            }
            state.patients[patientID]?.observations.append(observation)
            state.count += 1
        }
    }
}
