import CAllocator
import Foundation

/// The C allocator's per-thread arenas, limited to one.
///
/// glibc gives each thread that allocates its own arena (up to eight per core) and keeps the
/// memory freed into an arena for that arena's next allocations. tele-ingest allocates on its
/// processing thread, the MQTT client's thread and, with PostgreSQL, the network threads: a
/// year's replay for 1,000 patients left three arenas of 7.7–9.3 MiB, 28.5–30.6 MiB of the
/// service's own data on PostgreSQL. In one arena the same replay peaks at 18.7–20.4 MiB, at
/// the same speed (docs/PERFORMANCE.md, "Allocator arenas"). Small allocations still go through
/// each thread's cache without taking the arena's lock.
enum AllocatorArenas {
    /// Limits the allocator to one arena unless the operator chose otherwise
    /// (`MALLOC_ARENA_MAX`, or `glibc.malloc.arena_max` in `GLIBC_TUNABLES`). Call it first
    /// thing, before another thread allocates: a thread keeps the arena it started with.
    static func limitToOne() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["MALLOC_ARENA_MAX"] == nil,
            environment["GLIBC_TUNABLES"]?.contains("arena_max") != true
        else { return }
        _ = mallopt(M_ARENA_MAX, 1)
    }
}
