import Foundation
import MonitoringRecords
import ReadingIntake
import StoreInterface
import ThresholdRules
import Vitals

/// A patient's record arranged for reading: daily values for the charts, the limits in force
/// drawn as lines, the thresholds and who set them, adherence. Pure: built from a
/// `PatientRecord`, the rule set and an instant.
public struct PatientOverview: Sendable {
    /// One value per local day: the first reading of the day (the morning value the rules use).
    public struct DailyPoint: Sendable, Hashable, Codable {
        public var day: LocalDay
        public var value: Double
    }

    /// A line drawn across a chart: a limit in force now.
    public struct LimitLine: Sendable, Hashable, Codable {
        public var label: String
        public var value: Double
        /// `nil` for the dry weight itself.
        public var severity: Severity?
    }

    /// A rule parameter that differs from the rule set's default, or a dry weight / suspension,
    /// with who set it.
    public struct Threshold: Sendable, Hashable, Codable {
        public var what: String
        public var setBy: String
        public var setAt: Date
        public var validFrom: Date
        public var reason: String
    }

    public var record: PatientRecord
    public var zone: TimeZone
    public var today: LocalDay
    /// The chart window: the last `chartDays` days up to today.
    public var chartDays: Int
    public var daily: [ReadingKind: [DailyPoint]]
    public var limits: [ReadingKind: [LimitLine]]
    public var dryWeight: Double?
    /// Settings in force now, newest per target.
    public var thresholds: [Threshold]
    public var adherence: Adherence
    /// The plan the patient is asked to measure by, their own days a week included.
    public var measurementPlan: MeasurementPlan
    /// Personal limits the patient's own readings suggest (`LimitProposal`), for the
    /// cardiologist to accept or edit; empty while learning or when the limits in force fit.
    public var limitProposals: [LimitProposal]
    public var ruleSet: RuleSet?

    public init(record: PatientRecord, ruleSet: RuleSet?, now: Date, defaultZone: TimeZone, chartDays: Int = 30) {
        self.record = record
        self.ruleSet = ruleSet
        self.chartDays = chartDays
        zone = TimeZone(identifier: record.patient.timeZone) ?? defaultZone
        today = LocalDay(now, in: zone)
        let firstDay = today.adding(days: -(chartDays - 1))
        var daily: [ReadingKind: [DailyPoint]] = [:]
        for reading in record.readings {
            let day = LocalDay(reading.measuredAt, in: zone)
            guard day >= firstDay, day <= today else { continue }
            if daily[reading.kind]?.last?.day == day { continue }  // readings are in measured order
            daily[reading.kind, default: []].append(DailyPoint(day: day, value: reading.value))
        }
        self.daily = daily
        let context = PatientContext(
            timeZone: zone, monitoringStart: record.patient.monitoringStart,
            settings: record.settings.map(\.setting))
        dryWeight = context.dryWeight(at: now)
        var limits: [ReadingKind: [LimitLine]] = [:]
        if let dryWeight {
            limits[.weight, default: []].append(LimitLine(label: "dry", value: dryWeight, severity: nil))
        }
        for rule in ruleSet?.rules ?? [] where rule.kind == .range && !context.isSuspended(rule, at: now) {
            var offset = 0.0
            if rule.relativeToDryWeight {
                guard let dryWeight else { continue }
                offset = dryWeight
            }
            for (name, severity) in [
                ("yellowBelow", Severity.yellow), ("yellowAbove", .yellow), ("redBelow", .red), ("redAbove", .red),
            ] {
                guard let (value, personal) = context.parameter(name, of: rule, at: now) else { continue }
                let label = (severity == .red ? "red" : "yellow") + (personal ? "*" : "")
                limits[rule.measurement, default: []].append(
                    LimitLine(label: label, value: value + offset, severity: severity))
            }
        }
        self.limits = limits
        var latestPerTarget: [String: PersonalSettingRecord] = [:]
        for setting in record.settings where setting.setting.validFrom <= now {
            let target: String =
                switch setting.setting.change {
                case .limit(let rule, let parameter, _): "\(rule).\(parameter)"
                case .dryWeight: "dryWeight"
                case .suspension(let rule, _, _): "suspend \(rule)"
                case .measurementPlan: "plan"
                }
            latestPerTarget[target] = setting
        }
        thresholds = latestPerTarget.values.sorted { $0.setting.validFrom < $1.setting.validFrom }.compactMap {
            record in
            switch record.setting.change {
            case .limit(_, _, nil), .dryWeight(nil), .measurementPlan(nil):
                return nil  // back to default: nothing personal in force
            case .suspension(_, let until, _) where until <= now: return nil
            default:
                return Threshold(
                    what: record.setting.change.summary, setBy: record.setBy, setAt: record.setAt,
                    validFrom: record.setting.validFrom, reason: record.reason)
            }
        }
        let plan = MeasurementPlan(ruleSet: ruleSet, context: context, at: now)
        measurementPlan = plan
        limitProposals =
            ruleSet.map { ruleSet in
                LimitProposal.proposals(
                    record.readings.map(\.observation), ruleSet: ruleSet, context: context, now: now)
            } ?? []
        adherence = Adherence(
            weighings: record.readings.filter { $0.kind == .weight }.map(\.measuredAt),
            week: ISOWeek(containing: today), today: today, zone: zone,
            monitoringStart: record.patient.monitoringStart, plan: plan)
    }

    /// Open and escalated flags, most severe first.
    public var openFlags: [PatientFlag] {
        record.flags.filter { $0.state == .open || $0.state == .escalated }
            .sorted { ($0.severity, $1.openedAt) > ($1.severity, $0.openedAt) }
    }

    /// Flags closed or withdrawn within the record's window, newest first.
    public var recentFlags: [PatientFlag] {
        record.flags.filter { $0.state == .closed || $0.state == .withdrawn }
    }

    /// The escalation still waiting for an answer, if any.
    public var pendingEscalation: Escalation? {
        record.escalations.first { $0.answer == nil }
    }

    /// The rule's title, or its id when the rule set does not know it.
    public func title(ofRule id: String) -> String {
        ruleSet?.rules.first { $0.id == id }?.title ?? id
    }

    /// The newest reading of a kind in the record.
    public func latest(_ kind: ReadingKind) -> StoredReading? {
        record.readings.last { $0.kind == kind }
    }

    /// The newest reading of a kind measured at least `days` days before the newest one.
    public func reading(_ kind: ReadingKind, daysBeforeLatest days: Int) -> StoredReading? {
        guard let latest = latest(kind) else { return nil }
        let cut = LocalDay(latest.measuredAt, in: zone).adding(days: -days)
        return record.readings.last { $0.kind == kind && LocalDay($0.measuredAt, in: zone) <= cut }
    }

    /// Days with a weighing in the last 7 days up to today.
    public var weighedDaysLastWeek: Int {
        let first = today.adding(days: -6)
        return Set(
            record.readings.filter { $0.kind == .weight }.map { LocalDay($0.measuredAt, in: zone) }.filter {
                $0 >= first && $0 <= today
            }
        ).count
    }
}
