import ArgumentParser
import FollowUp
import Foundation
import MonitoringRecords
import StoreInterface
import TeleIngest
import TerminalUI
import ThresholdRules

struct AcknowledgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ack", abstract: "Acknowledge (close) an open flag; a red flag needs a comment.")
    @OptionGroup var options: ConsoleOptions
    @Argument(help: "Flag id.") var flag: Int64
    @Option(help: "What was done or agreed.") var comment: String?

    func run() async throws {
        let closed = try await options.withSession { try await $0.acknowledge(flagID: flag, comment: comment) }
        print(
            "flag \(closed.id) (\(closed.ruleID), \(closed.severity.rawValue)) acknowledged by \(closed.closedBy ?? "")"
        )
    }
}

struct NoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "note", abstract: "Add a note to a patient's record.")
    @OptionGroup var options: ConsoleOptions
    @Argument(help: "Patient id.") var patient: PatientID
    @Option(help: "Contact: phone, video, home-visit or none.") var kind: ContactNote.Contact
    @Option(help: "What was said or done.") var text: String

    func run() async throws {
        let note = try await options.withSession { try await $0.note(patientID: patient, contact: kind, text: text) }
        print("note \(note.id) (\(note.contact.rawValue)) added to \(patient)")
    }
}

struct ReviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review", abstract: "Mark a patient reviewed for a week (default: this week).")
    @OptionGroup var options: ConsoleOptions
    @Argument(help: "Patient id.") var patient: PatientID
    @Option(help: "ISO week, e.g. 2026-W47.") var week: String?

    func run() async throws {
        let review = try await options.withSession {
            try await $0.review(patientID: patient, week: try parseWeek(week))
        }
        print("\(patient) reviewed for \(review.week) by \(review.reviewedBy)")
    }
}

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Agree a patient's measurement plan after the daily phase: N days a week (audited).",
        discussion: """
            Missed measurements are judged against it from now on: the worklist's adherence \
            column, the patient view and the missing-data reminders. --default returns to the \
            rule set's plan.
            """)
    @OptionGroup var options: ConsoleOptions
    @Argument(help: "Patient id.") var patient: PatientID
    @Option(help: "Days a week to measure after the daily phase, 1 to 7.") var daysAWeek: Int?
    @Flag(name: .customLong("default"), help: "Return to the rule set's plan.") var backToDefault = false
    @Option(help: "Why, in words (required).") var reason: String

    func validate() throws {
        guard (daysAWeek == nil) != (!backToDefault) else {
            throw ValidationError("give either --days-a-week N or --default")
        }
        if let daysAWeek, !(1...7).contains(daysAWeek) {
            throw ValidationError("--days-a-week: expected 1 to 7, found \(daysAWeek)")
        }
    }

    func run() async throws {
        try await options.withSession { session in
            let record = try await session.setMeasurementPlan(patientID: patient, daysAWeek: daysAWeek, reason: reason)
            let plan = try await session.overview(patientID: patient, audited: false).measurementPlan
            print("\(patient): \(record.setting.change.summary) from now on (\(plan.text)), set by \(record.setBy)")
        }
    }
}

struct EscalateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "escalate",
        abstract: "Escalate a patient to the heart-failure hotline with an SBAR brief pre-filled from the record.")
    @OptionGroup var options: ConsoleOptions
    @Argument(help: "Patient id.") var patient: PatientID
    @Option(help: "Situation: why the hotline should look now.") var reason: String
    @Option(help: "Your assessment, in words.") var assessment: String = ""
    @Option(help: "What you ask for (default: an assessment).") var recommendation: String = ""
    @Flag(help: "Print the brief and the hotline notice without recording anything.") var dryRun = false

    func run() async throws {
        try await options.withSession { session in
            let brief = EscalationBrief(reason: reason, assessment: assessment, recommendation: recommendation)
            if dryRun {
                let draft = try await session.draft(patientID: patient, brief: brief)
                draft.notice.forEach { print($0) }
                print()
                print(draft.text, terminator: "")
                return
            }
            let result = try await session.escalate(patientID: patient, brief: brief)
            result.notice.forEach { print($0) }
            print()
            print(result.escalation.brief, terminator: "")
            print(
                "\nrecorded as escalation \(result.escalation.id); flags escalated: \(result.escalation.flagIDs.map(String.init).joined(separator: ", "))"
            )
        }
    }
}

struct EscalationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "escalation", abstract: "Escalations: print a brief, list a patient's escalations.",
        subcommands: [Brief.self, List.self])

    struct Brief: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print an escalation's brief as recorded, to read out or paste into a secure message.")
        @OptionGroup var options: ConsoleOptions
        @Argument(help: "Escalation id.") var id: Int64
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let escalation = try await options.withSession { try await $0.brief(escalationID: id) }
            if json { return try Output.json(escalation) }
            print(escalation.brief, terminator: "")
            if let answer = escalation.answer {
                print(
                    "\nAnswer by \(answer.answeredBy) at \(Output.utc(answer.answeredAt)): \(answer.decision.words)"
                        + (answer.medicationChange.map { "; \($0)" } ?? "")
                        + (answer.nextReview.map { "; next review \($0)" } ?? ""))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A patient's escalations, newest first.")
        @OptionGroup var options: ConsoleOptions
        @Option(help: "Patient id.") var patient: PatientID
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await options.withSession { session in
                let escalations = try await session.overview(patientID: patient).record.escalations
                if json { return try Output.json(escalations) }
                Output.table(
                    ["ID", "AT", "BY", "HOTLINE", "REASON", "ANSWER"],
                    escalations.map {
                        [
                            String($0.id), Output.utc($0.escalatedAt), $0.escalatedBy,
                            $0.hotlineOpen ? "open" : "closed",
                            $0.reason, $0.answer.map { "\($0.decision.words) (\($0.answeredBy))" } ?? "waiting",
                        ]
                    })
                if escalations.isEmpty { print("no escalations") }
            }
        }
    }
}

struct RespondCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "respond",
        abstract: "Record the cardiologist's answer to an escalation (cardiologist role only).")
    @OptionGroup var options: ConsoleOptions
    @Argument(help: "Escalation id.") var escalation: Int64
    @Option(help: "medication-changed, thresholds-changed, outpatient-visit, admission or no-change.")
    var decision: Escalation.Decision
    @Option(help: "The medication change in words.") var medication: String?
    @Option(help: "A comment for the nurse.") var comment: String?
    @Option(help: "Next review date, YYYY-MM-DD.") var nextReview: String?
    @Option(help: "New dry weight in kg.") var dryWeight: Double?
    @Option(help: "A personal limit: RULE.PARAMETER=VALUE, e.g. systolic-range.yellowBelow=85 (repeatable).")
    var limit: [String] = []

    func run() async throws {
        var settings: [PersonalSetting.Change] = []
        if let dryWeight { settings.append(.dryWeight(dryWeight)) }
        for text in limit { settings.append(try LimitSetting(text, option: "--limit").change) }
        let answered = try await options.withSession {
            try await $0.answer(
                escalationID: escalation, decision: decision, medicationChange: medication, comment: comment,
                nextReview: nextReview, settings: settings)
        }
        print(
            "escalation \(answered.id) answered: \(decision.words)"
                + (answered.answer?.settingIDs.isEmpty == false
                    ? "; personal settings \(answered.answer!.settingIDs.map(String.init).joined(separator: ", "))"
                    : ""))
    }
}

/// `RULE.PARAMETER=VALUE` as typed: `systolic-range.yellowBelow=85`, or `=default` to return to
/// the rule set's value.
struct LimitSetting {
    var ruleID: String
    var parameter: String
    var value: Double?

    init(_ text: String, option: String) throws {
        let parts = text.split(separator: "=", maxSplits: 1)
        let target = parts.first?.split(separator: ".", maxSplits: 1) ?? []
        let value: Double?? =
            parts.count == 2 ? (parts[1] == "default" ? .some(nil) : Double(parts[1]).map { $0 }) : nil
        guard target.count == 2, let value else {
            throw ValidationError(
                "\(option) expects RULE.PARAMETER=VALUE (or =default), e.g. systolic-range.yellowBelow=85, found '\(text)'"
            )
        }
        ruleID = String(target[0])
        parameter = String(target[1])
        self.value = value
    }

    var change: PersonalSetting.Change { .limit(ruleID: ruleID, parameter: parameter, value: value) }
}

struct LimitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "limit",
        abstract: "Set a patient's personal limit from now on (cardiologist role only, audited).",
        discussion: """
            Accepts or edits a limit the patient view proposes from the patient's own readings \
            ("accept: nurse-console limit P-17 systolic-range.yellowBelow=82"), or sets one the \
            cardiologist chooses; =default returns to the rule set's value. Readings from now on \
            are judged by it; flags already open stay until acknowledged.
            """)
    @OptionGroup var options: ConsoleOptions
    @Argument(help: "Patient id.") var patient: PatientID
    @Argument(help: "RULE.PARAMETER=VALUE, e.g. systolic-range.yellowBelow=82, or =default.") var setting: String
    @Option(help: "Why, in words (required).") var reason: String

    func run() async throws {
        let limit = try LimitSetting(setting, option: "the setting")
        let record = try await options.withSession {
            try await $0.setLimit(
                patientID: patient, ruleID: limit.ruleID, parameter: limit.parameter, value: limit.value, reason: reason
            )
        }
        print("\(patient): \(record.setting.change.summary) from now on, set by \(record.setBy)")
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The audit log: who looked at or did what, when, to which patient.")
    @OptionGroup var options: ConsoleOptions
    @Option(help: "Only this patient.") var patient: PatientID?
    @Option(help: "Only the newest N entries.") var limit: Int?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let entries = try await options.withSession { try await $0.auditLog(patientID: patient, limit: limit) }
        if json { return try Output.json(entries) }
        Output.table(
            ["AT", "USER", "ROLE", "ACTION", "PATIENT", "DETAIL"],
            entries.map {
                [Output.utc($0.at), $0.user, $0.role, $0.action.rawValue, $0.patientID?.rawValue ?? "-", $0.detail]
            })
        if entries.isEmpty { print("the audit log is empty") }
    }
}
