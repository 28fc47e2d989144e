import Foundation
import GRDB
import MonitoringRecords
import ServiceConfiguration

#if canImport(Glibc)
    import Glibc
#endif

/// The SQLite database of patients, devices, pairings, the message journal, readings and the
/// quarantine. Opens in WAL mode (a `DatabasePool`), migrates the schema on open, and is the only
/// way the rest of the product reads or writes that data.
public final class MonitoringStore: Sendable {
    /// The GRDB pool; readers never block the writer (WAL).
    let database: DatabasePool
    /// Where the database file is.
    public let path: String
    /// "Now" for everything the store stamps or judges by the time when the caller gives no
    /// instant: arrivals, pairings, acknowledgements, notes, audit entries, the service report.
    public let clock: WallClock

    /// Opens (creating if needed) and migrates the database at `path`.
    ///
    /// - Parameters:
    ///   - durability: `PRAGMA synchronous` for every connection; see `Durability`.
    ///   - busyTimeout: how long a write waits for another process's write lock before failing.
    ///   - memoryMapped: read through a memory map (`PRAGMA mmap_size`), for readers that scan a
    ///     lot at once (the console's worklist). Off for the ingest service: mapped pages count
    ///     towards its resident memory.
    ///   - clock: "now" when a method is given no instant; the system clock unless a test or a
    ///     demonstration fixes it.
    ///   - backgroundCheckpoints: the caller runs `checkpoint()` regularly (the ingest service),
    ///     so the writer does not checkpoint after a commit, except as a backstop when the WAL
    ///     passes `backstopCheckpointPages`.
    public init(
        path: String, durability: Durability = .normal, busyTimeout: TimeInterval = 5, memoryMapped: Bool = false,
        backgroundCheckpoints: Bool = false, groupAccess: Bool = false, clock: WallClock = .system
    ) throws {
        var configuration = Self.connectionConfiguration(
            label: "tele-ingest", durability: durability, busyTimeout: busyTimeout)
        configuration.prepareDatabase { db in
            // The writer keeps more pages than SQLite's 2 MiB default: every batch reads each
            // patient's recent readings and flags again for the rules, and re-reading them from
            // the file was a tenth of the processing time (docs/PERFORMANCE.md). Readers keep
            // the default; pages are allocated only when used.
            if !db.configuration.readonly {
                // A new file gives freed space back while running (journal retention,
                // docs/OPERATIONS.md); on an existing file this changes nothing until a VACUUM.
                // It must come before the WAL mode is set, which GRDB does next.
                try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
                try db.execute(sql: "PRAGMA cache_size = -\(Self.writerCacheKiB)")
                // A checkpoint runs in the connection whose commit crossed the limit, with an
                // fsync: on the writer it stalls the journal write in the MQTT callback and the
                // batch behind it. With background checkpoints the writer only checkpoints as a
                // backstop.
                let pages = backgroundCheckpoints ? Self.backstopCheckpointPages : Self.checkpointPages
                try db.execute(sql: "PRAGMA wal_autocheckpoint = \(pages)")
            }
            // Reads through a memory map instead of a read() per page: the worklist reads every
            // patient's latest values and open flags at once (docs/PERFORMANCE.md).
            if memoryMapped { try db.execute(sql: "PRAGMA mmap_size = \(Self.memoryMapBytes)") }
        }
        self.path = path
        self.clock = clock
        try Self.restrictAccess(path: path, groupAccess: groupAccess)
        self.database = try DatabasePool(path: path, configuration: configuration)
        try Schema.migrator.migrate(database)
        if try database.read(Schema.keptValuesMissing) { try database.write(Schema.completeKeptValues) }
        checkpointConnection =
            backgroundCheckpoints
            ? try DatabaseQueue(
                path: path,
                configuration: Self.connectionConfiguration(
                    label: "tele-ingest checkpoints", durability: durability, busyTimeout: busyTimeout,
                    cacheKiB: Self.sideConnectionCacheKiB))
            : nil
    }

    /// What every connection to the store's files gets: the busy timeout, `PRAGMA synchronous`
    /// for `durability`, and a page cache of `cacheKiB` (SQLite's default when `nil`). GRDB runs
    /// every `prepareDatabase` added to it, in order.
    static func connectionConfiguration(
        label: String, durability: Durability, busyTimeout: TimeInterval, cacheKiB: Int? = nil
    ) -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.label = label
        let synchronous = durability == .full ? "FULL" : "NORMAL"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            if let cacheKiB { try db.execute(sql: "PRAGMA cache_size = -\(cacheKiB)") }
        }
        return configuration
    }

    /// The connection `checkpoint()` uses: its own, so a checkpoint never waits for the writer
    /// and the writer never waits for it.
    private let checkpointConnection: DatabaseQueue?

    /// Copies what the WAL holds into the database file (`PRAGMA wal_checkpoint(PASSIVE)`) on a
    /// connection of its own, beside the writer: it takes no write lock, and the fsync it ends
    /// with holds up no commit. Stops early at pages a reader still uses; the next call goes on.
    /// Returns the WAL's frames and how many of them are in the database file now.
    @discardableResult
    public func checkpoint() throws -> (walFrames: Int, checkpointed: Int) {
        func passive(_ db: Database) throws -> (walFrames: Int, checkpointed: Int) {
            let result = try db.checkpoint(.passive)
            return (result.walFrameCount, result.checkpointedFrameCount)
        }
        // Without a connection of its own (a store opened without background checkpoints) the
        // writer does it.
        guard let checkpointConnection else { return try database.writeWithoutTransaction(passive) }
        return try checkpointConnection.writeWithoutTransaction(passive)
    }

    /// Health data: the database is readable by its owner only — or, with `groupAccess`
    /// (`database.groupAccess`: clinicians signing in with their own accounts on this machine),
    /// by its owner and group. A new file is created with that mode before SQLite opens it
    /// (SQLite gives the `-wal` and `-shm` files the database file's mode); an existing file with
    /// another mode is set to it, so a file open to others is always narrowed.
    static func restrictAccess(path: String, groupAccess: Bool = false) throws {
        let operation = "opening the database \(path)"
        let wanted: UInt16 = groupAccess ? 0o660 : 0o600
        if !FileManager.default.fileExists(atPath: path) {
            let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY, mode_t(wanted))
            guard descriptor >= 0 || errno == EEXIST else {
                throw StoreError(
                    operation, "cannot create the file: \(String(cString: strerror(errno)))", code: .unavailable)
            }
            if descriptor >= 0 {
                // The process's umask may have taken the group's bits away.
                fchmod(descriptor, mode_t(wanted))
                close(descriptor)
            }
        }
        for file in [path, path + "-wal", path + "-shm"] {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: file),
                let mode = (attributes[.posixPermissions] as? NSNumber)?.uint16Value, mode & 0o777 != wanted
            else { continue }
            try? FileManager.default.setAttributes([.posixPermissions: wanted], ofItemAtPath: file)
        }
    }

    /// The writer's page cache: 4 MiB. (16 MiB put the service at 74.7 MiB in the
    /// 10,000-patient replay and 8 MiB at 65 MiB, over its 64 MiB budget; docs/PERFORMANCE.md.)
    static let writerCacheKiB = 4 * 1024

    /// The page cache of the inbox's and the checkpoints' connections: they touch few pages.
    static let sideConnectionCacheKiB = 256

    /// WAL pages between automatic checkpoints: about 40 MiB of WAL.
    static let checkpointPages = 10_000

    /// With background checkpoints, the writer still checkpoints past this many WAL pages
    /// (about 400 MiB): the backstop if they fall behind.
    static let backstopCheckpointPages = 100_000

    /// Up to 2 GiB of the database file mapped for reading (SQLite caps it at its build's
    /// `SQLITE_MAX_MMAP_SIZE`, just under 2 GiB on Debian); address space, not resident memory.
    /// A year of 10,000 patients is a 600 MiB file whose kept values and flags lie near its end:
    /// beyond a 256 MiB map they were read with a `pread` per page (a tenth of the worklist's read).
    static let memoryMapBytes = 2 << 30

    /// `PRAGMA journal_mode`, which must read `wal`.
    public func journalMode() throws -> String {
        try database.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    /// `PRAGMA synchronous` as a number: 1 NORMAL, 2 FULL.
    public func synchronousLevel() throws -> Int {
        try database.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }
}
