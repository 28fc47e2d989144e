import BrokerSettings
import DevicePayloads
import Foundation
import Logging
import MQTT
import MonitoringRecords
import Synchronization
import TeleIngest

/// The message callback: puts each message in the inbox (`MessageInbox`) before returning,
/// because the broker gets its PUBACK as soon as it returns. If the file refuses the write (disk
/// full, an I/O error) it keeps retrying rather than return: the broker keeps the message and
/// the rest queue behind it. If the service is told to stop while it is stuck, it ends the
/// process without acknowledging, so the broker delivers the message again after restart.
final class InboxWriter: Sendable {
    private let inbox: MessageInbox
    private let metrics: ServiceMetrics?
    private let logger: Logger
    /// Wakes the batches, with when the message arrived.
    private let wake: AsyncStream<ContinuousClock.Instant>.Continuation
    private let stopping = Atomic<Bool>(false)
    /// The service's own topics (`<prefix>/+/receipt`, `<prefix>/+/reminder`): the subscription
    /// to the device topics brings them back to the service, and they are not readings.
    private let ownTopics: [TopicPattern]
    /// The broker's count of dropped messages, as last reported (`-1`: none yet).
    private let droppedByBroker = Atomic<Int>(-1)
    /// Stamps each message's arrival.
    private let clock: WallClock

    /// The broker's own counter of messages it dropped (queues full, clients gone): subscribed
    /// beside the device topics, read here, never journaled.
    static let droppedTopic = "$SYS/broker/publish/messages/dropped"

    init(
        inbox: MessageInbox, logger: Logger, wake: AsyncStream<ContinuousClock.Instant>.Continuation,
        receiptPrefix: String? = nil,
        reminderPrefix: String? = nil, clock: WallClock = .system, metrics: ServiceMetrics? = nil
    ) {
        self.metrics = metrics
        self.inbox = inbox
        self.clock = clock
        self.logger = logger
        self.wake = wake
        self.ownTopics = [
            receiptPrefix.flatMap { TopicPattern("\($0)/+/receipt") },
            reminderPrefix.flatMap { TopicPattern("\($0)/+/reminder") },
        ].compactMap { $0 }
    }

    /// Logs once each time the broker's dropped-message count goes up (it reports every
    /// `sys_interval`): messages it dropped never reach the service, and only its count says so.
    /// The first count the service sees is logged too when it is not zero: the drops happened
    /// before the service (re)connected, or before the broker's first report reached it.
    private func noteDropped(_ text: String) {
        guard let count = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return }
        let previous = droppedByBroker.exchange(count, ordering: .relaxed)
        if count > max(previous, 0) {
            logger.warning(
                "the broker reports dropped messages: check max_queued_messages and slow or absent subscribers",
                metadata: [
                    "dropped": "\(count - max(previous, 0))", "brokerTotal": "\(count)",
                    "since": previous < 0 ? "the broker started" : "its last report",
                ])
        }
    }

    /// Tells a stuck `write` to give up by ending the process.
    func beginStopping() {
        stopping.store(true, ordering: .sequentiallyConsistent)
    }

    /// Puts `message` in the inbox; returns only once it is there.
    func write(_ message: MQTTMessage) {
        if ownTopics.contains(where: { $0.match(message.topic) != nil }) { return }
        if message.topic == Self.droppedTopic {
            noteDropped(String(decoding: message.payload, as: UTF8.self))
            return
        }
        let receivedAt = clock.now()
        let arrived = ContinuousClock.now
        var failures = 0
        while true {
            do {
                try inbox.append(topic: message.topic, payload: message.payload, receivedAt: receivedAt)
                metrics?.messageReceived()
                wake.yield(arrived)
                if failures > 0 {
                    logger.notice("inbox writable again; message stored", metadata: ["attempts": "\(failures + 1)"])
                }
                return
            } catch {
                failures += 1
                if failures == 1 {
                    // The error names the file and the system's reason: no payload reaches the log.
                    logger.error(
                        "inbox write is waiting for the disk; the message is not acknowledged until it is stored",
                        metadata: ["error": "\(error)"])
                }
                if stopping.load(ordering: .sequentiallyConsistent) {
                    logger.critical(
                        "stopping while a message could not be put in the inbox; exiting without acknowledging it, the broker will deliver it again"
                    )
                    exit(75)  // EX_TEMPFAIL
                }
                Thread.sleep(forTimeInterval: min(0.05 * Double(1 << min(failures, 7)), 5))
            }
        }
    }
}
