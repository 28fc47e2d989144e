import Foundation
import ThresholdRules

/// The heart-failure hotline's number and opening hours, and what to do when it is closed.
/// Whether it is open is always worked out for an instant given by the caller, so tests and
/// screens agree on the time.
public struct HotlineSchedule: Sendable, Hashable {
    /// Whether the hotline is staffed at an instant.
    public enum Status: Sendable, Hashable {
        /// Open until `closes`.
        case open(closes: Date)
        /// Closed; opens again at `opens` (nil: no opening hours configured).
        case closed(opens: Date?)

        public var isOpen: Bool {
            if case .open = self { true } else { false }
        }
    }

    /// What the hotline is called at this site ("Heart-failure hotline, Cardiology").
    public var name: String
    /// The number to call; `nil` when not configured.
    public var phone: String?
    /// ISO weekdays it is staffed: 1 = Monday … 7 = Sunday.
    public var weekdays: Set<Int>
    /// Minutes after local midnight.
    public var opensAtMinute: Int
    public var closesAtMinute: Int
    public var timeZone: TimeZone
    /// Local dates it is closed although a weekday (public holidays), `YYYY-MM-DD`.
    public var closedDates: Set<String>
    /// What to do when it is closed and the patient cannot wait.
    public var acuteInstruction: String

    /// Weekdays 08:00–15:00 in Copenhagen: the design's "daytime on weekdays". Each site sets its own.
    public init(
        name: String = "Heart-failure hotline", phone: String? = nil, weekdays: Set<Int> = [1, 2, 3, 4, 5],
        opensAtMinute: Int = 8 * 60, closesAtMinute: Int = 15 * 60,
        timeZone: TimeZone = TimeZone(identifier: "Europe/Copenhagen")!, closedDates: Set<String> = [],
        acuteInstruction: String =
            "Call the on-call doctor (bagvagt) through the hospital switchboard; if life is in danger, call 112."
    ) {
        self.name = name
        self.phone = phone
        self.weekdays = weekdays
        self.opensAtMinute = opensAtMinute
        self.closesAtMinute = closesAtMinute
        self.timeZone = timeZone
        self.closedDates = closedDates
        self.acuteInstruction = acuteInstruction
    }

    /// Open or closed at `instant`, with the next change.
    public func status(at instant: Date) -> Status {
        let today = LocalDay(instant, in: timeZone)
        let minute = Int(instant.timeIntervalSince(today.start(in: timeZone)) / 60)
        if isStaffed(today), minute >= opensAtMinute, minute < closesAtMinute {
            return .open(closes: time(closesAtMinute, on: today))
        }
        for offset in 0...31 {
            let day = today.adding(days: offset)
            guard isStaffed(day) else { continue }
            if offset == 0, minute >= opensAtMinute { continue }
            return .closed(opens: time(opensAtMinute, on: day))
        }
        return .closed(opens: nil)
    }

    /// `Mon–Fri 08:00–15:00`.
    public var hoursText: String {
        let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        let days = weekdays.sorted()
        let dayText: String
        if let first = days.first, let last = days.last, days == Array(first...last), days.count > 1 {
            dayText = "\(names[first - 1])–\(names[last - 1])"
        } else {
            dayText = days.map { names[$0 - 1] }.joined(separator: ", ")
        }
        return "\(dayText) \(Self.clock(opensAtMinute))–\(Self.clock(closesAtMinute))"
    }

    /// What a person reads before escalating at `instant`, in plain words.
    public func notice(at instant: Date) -> [String] {
        let number = phone.map { "call \($0)" } ?? "phone number not configured (console.hotline.phone)"
        switch status(at: instant) {
        case .open(let closes):
            return [
                "\(name) is open now (\(hoursText)), until \(local(closes)): \(number).",
                "Read the brief to the cardiologist or paste it into a secure message.",
            ]
        case .closed(let opens):
            return [
                "\(name) is CLOSED now (\(hoursText)). Nobody reads an escalation before it opens"
                    + (opens.map { " \(local($0))" } ?? "") + ".",
                "If the patient cannot wait: \(acuteInstruction)",
            ]
        }
    }

    /// `Mon 23 Nov 08:00`.
    public func local(_ instant: Date) -> String {
        let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        let day = LocalDay(instant, in: timeZone)
        let minute = Int(instant.timeIntervalSince(day.start(in: timeZone)) / 60)
        return "\(names[Self.weekday(day) - 1]) \(day.short) \(Self.clock(minute))"
    }

    func isStaffed(_ day: LocalDay) -> Bool {
        weekdays.contains(Self.weekday(day)) && !closedDates.contains(day.description)
    }

    func time(_ minute: Int, on day: LocalDay) -> Date {
        // Minutes from local midnight; correct except in the DST hour, which no hotline opens in.
        day.start(in: timeZone).addingTimeInterval(Double(minute) * 60)
    }

    /// ISO weekday, 1 = Monday.
    static func weekday(_ day: LocalDay) -> Int { day.isoWeekday }

    static func clock(_ minute: Int) -> String { String(format: "%02d:%02d", minute / 60, minute % 60) }
}
