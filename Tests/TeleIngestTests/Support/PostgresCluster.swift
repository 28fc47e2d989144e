import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A private PostgreSQL cluster, made with initdb in a temporary folder and started with pg_ctl
/// on a free loopback port, as the tests start mosquitto; stopped and removed when the test
/// ends. Trust authentication on loopback for the cluster's own user `tele`; no fsync (a test
/// cluster is thrown away). PostgreSQL refuses to run as root: as root, the programs run as the
/// `postgres` account that Debian's package creates, in a folder it owns.
final class PostgresCluster: @unchecked Sendable {
    // @unchecked: `running` is only touched by the test that owns the cluster, one call at a time.
    let port: Int
    let folder: URL
    let user = "tele"
    private var running = false
    /// The shell started by `watch(process:)`, kept so that it is not killed when released.
    private var watchdog: ChildProcess?

    init() throws {
        (port, folder) = try Self.makeFolder()
        try run(
            "initdb",
            [
                "-D", folder.appendingPathComponent("data").path, "-U", user, "--auth=trust", "--no-sync", "-E", "UTF8",
                "--locale=C.UTF-8",
            ])
        // Clinicians sign in with their own role and a password (SCRAM), as on a real site; the
        // cluster's own user keeps trust on loopback. pg_hba.conf is read top down.
        let hba = folder.appendingPathComponent("data/pg_hba.conf")
        let rules = try String(contentsOf: hba, encoding: .utf8)
        try ("host all +teleingest_clinician 127.0.0.1/32 scram-sha-256\n" + rules).write(
            to: hba, atomically: false, encoding: .utf8)
    }

    /// A streaming-replication standby of `primary`, as an operator makes one: a base backup
    /// with `pg_basebackup -R` (which writes the connection to the primary and standby.signal)
    /// into a folder of its own; start it with `start()`. Read-only while it follows.
    init(standbyOf primary: PostgresCluster) throws {
        (port, folder) = try Self.makeFolder()
        try run(
            "pg_basebackup",
            [
                "-h", "127.0.0.1", "-p", String(primary.port), "-U", user, "-D",
                folder.appendingPathComponent("data").path, "-R", "-X", "stream", "--checkpoint=fast",
            ])
    }

    /// A free port and a new folder, owned by `postgres` when running as root.
    private static func makeFolder() throws -> (Int, URL) {
        let port = try freeLoopbackPort()
        let folder = URL(fileURLWithPath: "/tmp/tele-ingest-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if getuid() == 0 {
            guard let account = getpwnam("postgres") else {
                throw TestSetupError("running as root needs the postgres account (apt-get install postgresql)")
            }
            chown(folder.path, account.pointee.pw_uid, account.pointee.pw_gid)
        }
        return (port, folder)
    }

    /// Runs a client program of PostgreSQL's (pg_dump, pg_restore, createdb …) against this
    /// cluster, `-h`, `-p` and `-U` added; returns its output, throws with it when it fails.
    @discardableResult
    func client(_ program: String, _ arguments: [String]) throws -> String {
        try run(program, ["-h", "127.0.0.1", "-p", String(port), "-U", user] + arguments)
    }

    /// `postgresql://tele@127.0.0.1:PORT/DATABASE?sslmode=disable` for `database`.
    func url(_ database: String) -> String { "postgresql://\(user)@127.0.0.1:\(port)/\(database)?sslmode=disable" }

    func start() throws {
        try run(
            "pg_ctl",
            [
                "-D", folder.appendingPathComponent("data").path, "-l",
                folder.appendingPathComponent("server.log").path,
                "-w", "-t", "60", "-o",
                "-p \(port) -k \(folder.path) -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
                "start",
            ])
        running = true
    }

    /// A new, empty database in the cluster, named so that tests sharing the cluster never
    /// meet; returns its URL.
    func createDatabase() throws -> String {
        let name = "tele_ingest_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
        try run("createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", user, name])
        return url(name)
    }

    /// Runs SQL with psql on `database`, stopping at the first error; returns psql's output.
    @discardableResult
    func psql(_ database: String, _ sql: String) throws -> String {
        try run(
            "psql",
            [
                "-h", "127.0.0.1", "-p", String(port), "-U", user, "-d", database, "-v", "ON_ERROR_STOP=1", "-At", "-c",
                sql,
            ])
    }

    /// Runs SQL with psql on `database` signed in as `role` with `password` (SCRAM); throws with
    /// psql's message when the server refuses the sign-in or the statement.
    @discardableResult
    func psql(_ database: String, _ sql: String, as role: String, password: String) throws -> String {
        try run(
            "env",
            [
                "PGPASSWORD=\(password)", try Self.binary("psql"), "-h", "127.0.0.1", "-p", String(port), "-U", role,
                "-d", database, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql,
            ])
    }

    /// Starts a shell that waits for `process` to end and then stops this cluster and removes
    /// its folder: the cleanup of last resort when the process dies without running its exit
    /// handlers. Not waited for; it outlives the process on purpose.
    func watch(process: pid_t) throws {
        let data = folder.appendingPathComponent("data").path
        let stop =
            getuid() == 0
            ? "/usr/sbin/runuser -u postgres -- \(try Self.binary("pg_ctl")) -D \(data) -m immediate stop"
            : "\(try Self.binary("pg_ctl")) -D \(data) -m immediate stop"
        watchdog = try ChildProcess(
            executable: "/bin/sh",
            arguments: [
                "-c",
                "while kill -0 \(process) 2>/dev/null; do sleep 1; done; \(stop) >/dev/null 2>&1; rm -rf \(folder.path)",
            ],
            output: "/dev/null")
    }

    func stop() {
        if running {
            _ = try? run("pg_ctl", ["-D", folder.appendingPathComponent("data").path, "-m", "immediate", "stop"])
            running = false
        }
        try? FileManager.default.removeItem(at: folder)
    }

    deinit { stop() }

    /// Runs one of PostgreSQL's programs to its end (as `postgres` when root); throws with its
    /// output when it fails.
    @discardableResult
    private func run(_ program: String, _ arguments: [String]) throws -> String {
        let executable = try Self.binary(program)
        // A file per call: tests running at once share the cluster, and one file per program let
        // one test's psql remove or overwrite another's output before it was read.
        let output = folder.appendingPathComponent("\(program)-\(UUID().uuidString).out")
        defer { try? FileManager.default.removeItem(at: output) }
        let process =
            getuid() == 0
            ? try ChildProcess(
                executable: "/usr/sbin/runuser", arguments: ["-u", "postgres", "--", executable] + arguments,
                output: output.path, folder: folder.path)
            : try ChildProcess(executable: executable, arguments: arguments, output: output.path, folder: folder.path)
        let status = process.wait()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        guard status == 0 else { throw TestSetupError("\(program) failed (status \(status)):\n\(text)") }
        return text
    }

    /// A PostgreSQL program: Debian keeps the server's in /usr/lib/postgresql/VERSION/bin.
    static func binary(_ name: String) throws -> String {
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        for version in versions {
            let path = root.appendingPathComponent("\(version)/bin/\(name)").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return try Paths.program(name).path
    }
}

/// Runs `body` with the test process's cluster (`SharedPostgres`): each test makes its own
/// databases in it with `createDatabase()`, so tests never see each other's data, and the suite
/// pays for one initdb instead of one per test.
func withPostgres<T>(_ body: (PostgresCluster) async throws -> T) async throws -> T {
    try await body(try SharedPostgres.cluster())
}

/// Runs `body` with a cluster of its own, started, and stops it afterwards: for a test that
/// acts on the whole cluster (a base backup, a standby).
func withOwnPostgres<T>(_ body: (PostgresCluster) async throws -> T) async throws -> T {
    let cluster = try PostgresCluster()
    defer { cluster.stop() }
    try cluster.start()
    return try await body(cluster)
}

/// The one private cluster of a test process, made and started on first use and stopped when
/// the process exits: by an `atexit` handler on a normal exit, and by a watchdog shell that
/// outlives a crashed or killed test process (it polls the process and then stops the cluster
/// and removes its folder), so no PostgreSQL server is left running after a test run.
enum SharedPostgres {
    private static let shared = Mutex<PostgresCluster?>(nil)

    static func cluster() throws -> PostgresCluster {
        try shared.withLock { shared in
            if let shared { return shared }
            let cluster = try PostgresCluster()
            try cluster.start()
            try cluster.watch(process: getpid())
            atexit { SharedPostgres.stop() }
            shared = cluster
            return cluster
        }
    }

    private static func stop() {
        shared.withLock { $0?.stop() }
    }
}
