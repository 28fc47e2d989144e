import Dispatch
import Foundation
import MonitoringRecords
import StoreInterface
import Synchronization
import ThresholdRules

/// Something the site wants to hear about at once, outside the worklist.
public enum NotificationEvent: Sendable, Hashable {
    /// A red flag nobody acknowledged within its working days (`rules.overdue.redWorkingDays`).
    case redFlagOverdue(flagID: Int64, patientID: PatientID)
    /// An escalation recorded while the hotline was closed.
    case escalationAfterHours(escalationID: Int64, patientID: PatientID)

    /// `red-flag-overdue`, `escalation-after-hours`: the command's first argument.
    public var kind: String {
        switch self {
        case .redFlagOverdue: "red-flag-overdue"
        case .escalationAfterHours: "escalation-after-hours"
        }
    }

    /// The flag's or the escalation's id.
    public var reference: Int64 {
        switch self {
        case .redFlagOverdue(let id, _), .escalationAfterHours(let id, _): id
        }
    }

    public var patientID: PatientID {
        switch self {
        case .redFlagOverdue(_, let patient), .escalationAfterHours(_, let patient): patient
        }
    }

    /// The command's arguments: the event, the patient's id and the flag's or escalation's id.
    /// Never a name or a CPR number: the gateway looks the patient up if it must.
    public var arguments: [String] { [kind, patientID.rawValue, String(reference)] }
}

/// The notifier failed: the command could not start or exited with another status than 0.
public struct NotifierError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The site's notifier: a command (its SMS or secure-mail gateway) run once per event, with
/// `NotificationEvent.arguments`, no standard input and an environment of `PATH` only. Each
/// event is claimed in the store before the command runs, so several workers and consoles send
/// it once; a failed command gives the claim back and the next check tries again.
public struct SiteNotifier: Sendable {
    public var command: String
    /// A command still running after this long is killed and counts as failed.
    public var timeout: Duration

    public init(command: String, timeout: Duration = .seconds(30)) {
        self.command = command
        self.timeout = timeout
    }

    /// Sends `event` unless it was sent before; returns whether the command ran.
    @discardableResult
    public func send(_ event: NotificationEvent, ledger: any NotificationLedger, at: Date) async throws -> Bool {
        guard
            try await ledger.claimNotification(
                kind: event.kind, reference: event.reference, patientID: event.patientID, at: at)
        else { return false }
        do {
            try await run(event.arguments)
        } catch {
            try await ledger.releaseNotification(kind: event.kind, reference: event.reference)
            throw error
        }
        return true
    }

    private func run(_ arguments: [String]) async throws {
        // Linux refuses to execute a file that some process holds open for writing (ETXTBSY):
        // a script just written or replaced, whose descriptor a process forked at that moment
        // still holds until it execs. That passes within milliseconds, so the start is tried again.
        var attempt = 1
        while true {
            do {
                return try await runOnce(arguments)
            } catch is TextFileBusy where attempt < 5 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(20 * attempt))
            } catch let busy as TextFileBusy {
                throw NotifierError("\(command) could not start: \(busy.underlying)")
            }
        }
    }

    /// The command could not start because its file was open for writing somewhere.
    private struct TextFileBusy: Error {
        var underlying: any Error
    }

    private func runOnce(_ arguments: [String]) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command)
        process.arguments = arguments
        process.environment = ["PATH": "/usr/local/bin:/usr/bin:/bin"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let timeout = timeout
        let (status, killed): (Int32, Bool) = try await withCheckedThrowingContinuation { continuation in
            let run = NotifierRun()
            process.terminationHandler = { finished in
                let timedOut = run.state.withLock { state in
                    state.finished = true
                    return state.timedOut
                }
                continuation.resume(returning: (finished.terminationStatus, timedOut))
            }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                let cause = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
                if cause?.domain == NSPOSIXErrorDomain, cause?.code == Int(ETXTBSY) {
                    continuation.resume(throwing: TextFileBusy(underlying: error))
                } else {
                    continuation.resume(throwing: NotifierError("\(command) could not start: \(error)"))
                }
                return
            }
            // A gateway that hangs must not hold the caller: killed after `timeout`.
            let pid = process.processIdentifier
            // On a dispatch queue, not a task: the caller's cooperative threads may all be busy,
            // and the watchdog must fire on time whatever they do.
            let (seconds, attoseconds) = timeout.components
            let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) {
                run.state.withLock { state in
                    // Killed only while the command is known to run, so its pid is still its own.
                    guard !state.finished else { return }
                    state.timedOut = true
                    kill(pid, SIGKILL)
                }
            }
        }
        if killed { throw NotifierError("\(command) \(arguments[0]) did not finish within \(timeout) and was killed") }
        guard status == 0 else { throw NotifierError("\(command) \(arguments[0]) exited with status \(status)") }
    }

    /// Sends `red-flag-overdue` for every open red flag that nobody acknowledged within
    /// `policy`'s working days (in the patient's zone), once per flag; returns what was sent.
    /// Escalated flags wait for the hotline, not the nurse, and are not counted.
    public func notifyOverdueRedFlags(
        store: any FollowUpStore, policy: OverduePolicy, defaultZone: TimeZone, now: Date
    ) async throws -> [NotificationEvent] {
        let open = try await store.flags(patientID: nil, state: .open).filter { $0.severity == .red }
        guard !open.isEmpty else { return [] }
        let zones = Dictionary(
            try await store.patients().map { ($0.id, TimeZone(identifier: $0.timeZone) ?? defaultZone) },
            uniquingKeysWith: { first, _ in first })
        var sent: [NotificationEvent] = []
        for flag in open.sorted(by: { $0.id < $1.id })
        where policy.isOverdue(
            severity: .red, openedAt: flag.openedAt, now: now, zone: zones[flag.patientID] ?? defaultZone)
        {
            let event = NotificationEvent.redFlagOverdue(flagID: flag.id, patientID: flag.patientID)
            if try await send(event, ledger: store, at: now) { sent.append(event) }
        }
        return sent
    }
}

/// What a command's watchdog and its termination handler share.
private final class NotifierRun: Sendable {
    struct State {
        var finished = false
        var timedOut = false
    }
    let state = Mutex(State())
}
