/// How hard a commit tries to reach the disk (`PRAGMA synchronous` in WAL mode).
public enum Durability: String, Sendable, CaseIterable, Codable {
    /// A commit survives the process crashing or being killed, but the last commits before a
    /// power loss or kernel crash may be lost. Fast: no fsync per commit. The default.
    case normal
    /// A commit also survives a power loss: every commit waits for fsync. Slower by the disk's
    /// fsync latency per journaled message.
    case full
}
