import Foundation
import MonitoringRecords
import TeleIngest

#if canImport(Glibc)
    import Glibc
#endif

/// A child process started with `posix_spawn`, with an empty signal mask and default signal
/// dispositions. (Foundation's `Process` passes on the spawning thread's blocked signals, so a
/// broker or service started from a test would ignore SIGTERM.) Its clock is the tests' clock:
/// `TELE_INGEST_NOW` is set to `TestCohort.clock`'s reading, so no program a test starts
/// depends on the date the suite runs on.
final class ChildProcess: @unchecked Sendable {
    // @unchecked: `pid` and `status` are only touched by the owning test, one call at a time.
    private(set) var pid: pid_t = 0
    private var status: Int32?

    /// `clock`: the program's `TELE_INGEST_NOW` instead of the tests' clock's reading. `folder`:
    /// the program's current folder (the test process's when `nil`).
    init(executable: String, arguments: [String], output: String, clock: String? = nil, folder: String? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        if let folder {
            guard Self.addChdir(&actions, folder) == 0 else { throw TestSetupError("cannot start in \(folder)") }
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var environment = ProcessInfo.processInfo.environment
        environment[WallClock.environmentVariable] = clock ?? Self.clockSetting()
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        // A program a test has just copied may still be open for writing in a child that another
        // test is starting at that moment (the descriptor is inherited until its exec): the exec
        // then fails with ETXTBSY for a moment.
        var rc = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        for _ in 0..<100 where rc == ETXTBSY {
            usleep(20_000)
            rc = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        }
        guard rc == 0 else {
            pid = 0
            throw TestSetupError("posix_spawn \(executable) failed: \(String(cString: strerror(rc)))")
        }
    }

    /// glibc's `posix_spawn_file_actions_addchdir_np` (2.29+), which Swift's Glibc module does
    /// not export: looked up by name.
    private static let addChdir:
        @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) ->
            Int32 = {
                guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np")
                else {
                    fatalError("glibc without posix_spawn_file_actions_addchdir_np")
                }
                return unsafeBitCast(
                    symbol,
                    to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) ->
                        Int32)
                        .self)
            }()

    /// `TELE_INGEST_NOW` for a program started now: the tests' clock, to the second.
    static func clockSetting() -> String {
        TestCohort.clock.now().formatted(.iso8601)
    }

    var isRunning: Bool {
        guard status == nil else { return false }
        var raw: Int32 = 0
        if waitpid(pid, &raw, WNOHANG) == pid {
            status = raw
            return false
        }
        return true
    }

    /// Sends `signal` and waits for the process to end; returns the raw wait status.
    @discardableResult
    func stop(signal: Int32 = SIGTERM) -> Int32 {
        if let status { return status }
        kill(pid, signal)
        return wait()
    }

    @discardableResult
    func wait() -> Int32 {
        if let status { return status }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) == -1, errno == EINTR {}
        status = raw
        return raw
    }

    deinit {
        // pid 0 (the spawn failed) would signal the whole process group, test runner included.
        if status == nil, pid > 0 {
            kill(pid, SIGKILL)
            wait()
        }
    }
}
