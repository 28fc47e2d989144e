import DevicePayloads
import Foundation
import Prometheus
import ReadingIntake
import ThresholdRules

/// What the running service counts and measures, in Prometheus' text format
/// (docs/OPERATIONS.md, metrics): messages in, their outcomes, readings stored, the quarantine by
/// reason, flags opened by severity, the backlog, batch, rule and missing-data check times, the
/// broker connection, raw payloads removed. Counters start at zero when the process starts, as Prometheus expects.
public final class ServiceMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let messagesReceived: Counter
    private let readingsStored: Counter
    private let backlog: Gauge
    private let batchDuration: DurationHistogram
    private let ruleDuration: DurationHistogram
    private let missingDataCheckDuration: DurationHistogram
    private let brokerConnected: Gauge
    private let brokerConnects: Gauge
    private let payloadsRemovedTotal: Counter
    /// Made once for every outcome and quarantine reason: a batch only increments them.
    private let processed: [JournalOutcome: Counter]
    private let quarantined: [QuarantineReason: Counter]
    private let flagsOpened: [Severity: Counter]

    public init() {
        let registry = registry
        processed = Dictionary(
            uniqueKeysWithValues: [JournalOutcome.stored, .duplicate, .quarantined].map { outcome in
                (
                    outcome,
                    registry.makeCounter(
                        name: "tele_ingest_messages_processed_total", labels: [("outcome", outcome.rawValue)],
                        help: "Journal messages processed, by outcome: stored, duplicate, quarantined.")
                )
            })
        quarantined = Dictionary(
            uniqueKeysWithValues: QuarantineReason.allCases.map { reason in
                (
                    reason,
                    registry.makeCounter(
                        name: "tele_ingest_quarantined_total", labels: [("reason", reason.rawValue)],
                        help: "Messages quarantined, by reason (tele-ingest quarantine).")
                )
            })
        flagsOpened = Dictionary(
            uniqueKeysWithValues: [Severity.red, .yellow].map { severity in
                (
                    severity,
                    registry.makeCounter(
                        name: "tele_ingest_flags_opened_total", labels: [("severity", severity.rawValue)],
                        help: "Flags the rules opened, by severity: on new readings and by the missing-data check.")
                )
            })
        messagesReceived = registry.makeCounter(
            name: "tele_ingest_messages_received_total",
            help: "Messages from the broker committed to the inbox (before their PUBACK).")
        readingsStored = registry.makeCounter(
            name: "tele_ingest_readings_stored_total",
            help: "Readings stored (a blood-pressure message makes up to three).")
        backlog = registry.makeGauge(
            name: "tele_ingest_backlog_messages", help: "Messages in the inbox and the journal not yet processed.")
        let seconds: [Duration] = [
            .milliseconds(5), .milliseconds(20), .milliseconds(100), .milliseconds(500), .seconds(2), .seconds(10),
        ]
        batchDuration = registry.makeDurationHistogram(
            name: "tele_ingest_batch_duration_seconds",
            buckets: seconds, help: "One batch: moving the inbox into the journal and processing it, rules included.")
        ruleDuration = registry.makeDurationHistogram(
            name: "tele_ingest_rule_evaluation_duration_seconds",
            buckets: [.microseconds(500)] + seconds,
            help: "The rules' part of one batch: reading the patients' history, deciding, writing the flags.")
        missingDataCheckDuration = registry.makeDurationHistogram(
            name: "tele_ingest_missing_data_check_duration_seconds",
            buckets: seconds + [.seconds(60)], help: "The clock-driven missing-data rules over every patient.")
        brokerConnected = registry.makeGauge(
            name: "tele_ingest_broker_connected", help: "1 while connected to the broker, 0 otherwise.")
        brokerConnects = registry.makeGauge(
            name: "tele_ingest_broker_connections",
            help: "Connections to the broker made since the process started: the first and every reconnect.")
        payloadsRemovedTotal = registry.makeCounter(
            name: "tele_ingest_journal_payloads_removed_total",
            help: "Raw payloads removed by the retention (journal.keepPayloadDays).")
    }

    /// A message committed to the inbox.
    func messageReceived() { messagesReceived.increment() }

    /// What the heartbeat saw: the backlog and the broker connection.
    func heartbeat(backlog: Int, connected: Bool, connects: Int) {
        self.backlog.set(Double(backlog))
        brokerConnected.set(connected ? 1.0 : 0.0)
        brokerConnects.set(Double(connects))
    }

    /// Open and escalated flags by severity, as the store counts them now.
    func openFlags(_ counts: [String: Int]) {
        for severity in ["red", "yellow"] {
            registry.makeGauge(
                name: "tele_ingest_open_flags", labels: [("severity", severity)],
                help: "Flags open or escalated, by severity: waiting for a nurse or for the hotline."
            ).set(Double(counts[severity] ?? 0))
        }
    }

    /// A missing-data check took `duration` and gave `outcome`.
    func missingDataCheck(took duration: Duration, _ outcome: RuleEngine.Outcome) {
        missingDataCheckDuration.record(duration)
        flagsOpened(outcome)
    }

    private func flagsOpened(_ outcome: RuleEngine.Outcome) {
        for flag in outcome.opened { flagsOpened[flag.severity]?.increment() }
    }

    /// The retention removed `count` payloads.
    func payloadsRemoved(_ count: Int) { payloadsRemovedTotal.increment(by: Int64(count)) }

    /// A batch took `duration` and gave `batch`.
    func batch(took duration: Duration, _ batch: RuleEngine.ProcessedBatch) {
        batchDuration.record(duration)
        record(batch.results)
        guard !batch.results.isEmpty else { return }
        ruleDuration.record(batch.ruleDuration)
        flagsOpened(batch.rules)
    }

    /// Counts a batch's results by outcome, its readings and its quarantine reasons.
    private func record(_ results: [MessageResult]) {
        for result in results {
            processed[result.outcome]?.increment()
            if let reason = result.rejection?.reason { quarantined[reason]?.increment() }
            readingsStored.increment(by: Int64(result.storedReadings.count))
        }
    }

    /// The text a scrape gets.
    public var exposition: [UInt8] { registry.emitToBuffer() }
}
