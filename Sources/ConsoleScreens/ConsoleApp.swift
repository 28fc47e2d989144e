import FollowUp
import Foundation
import MonitoringRecords
import StoreInterface
import TerminalUI
import ThresholdRules

/// The full-screen console as a state machine: keys in, screens out. It owns no terminal, so
/// tests drive it with keys and compare what it draws; `nurse-console` connects it to the real
/// terminal. Every error an action meets is shown in a message box, never as a crash.
public final class ConsoleApp {
    /// A text field in a dialog.
    struct Prompt {
        var title: String
        var context: [String]
        var label: String
        var text = ""
        var required: Bool
        var submit: (String) async throws -> Void
    }

    /// A choice of one of a few options by digit.
    struct Choice {
        var title: String
        var options: [String]
        var choose: (Int) async throws -> Void
    }

    /// A page to read and confirm (the escalation brief).
    struct Preview {
        var title: String
        var page: Document
        var top = 0
        var confirmLabel: String
        var confirm: () async throws -> Void
    }

    enum Overlay {
        case help
        case message(title: String, lines: [String])
        case prompt(Prompt)
        case choice(Choice)
        case preview(Preview)
    }

    struct WorklistState {
        var list: Worklist
        var week: ISOWeek
        var selected = 0
        var top = 0
        var flaggedOnly = false
        /// Only what waits for the hotline: a cardiologist's console opens on it.
        var waitingOnly = false
        var search = ""
        var searching = false
    }

    struct PatientState {
        var overview: PatientOverview
        var top = 0
    }

    public let session: FollowUpSession
    public var glyphs: Glyphs
    var worklist: WorklistState
    var patient: PatientState?
    var overlay: Overlay?
    /// The screen size of the last draw: paging and scrolling use it.
    var size = (width: 80, height: 24)

    public init(session: FollowUpSession, glyphs: Glyphs) async throws {
        self.session = session
        self.glyphs = glyphs
        let week = session.currentWeek
        worklist = WorklistState(list: try await session.worklist(week: week), week: week)
        worklist.waitingOnly = session.clinician.role == .cardiologist
    }

    var visibleEntries: [WorklistEntry] {
        worklist.list.filtered(
            flaggedOnly: worklist.flaggedOnly, search: worklist.search, waitingOnly: worklist.waitingOnly)
    }

    // MARK: Keys

    /// Handles one key; returns false when the user quits.
    public func handle(_ key: Key) async -> Bool {
        do {
            return try await dispatch(key)
        } catch {
            overlay = .message(title: "Could not do that", lines: ["\(error)"])
            return true
        }
    }

    private func dispatch(_ key: Key) async throws -> Bool {
        if key == .control("c") { return false }
        if let overlay {
            try await handleOverlay(overlay, key)
            return true
        }
        if patient != nil { return try await handlePatient(key) }
        return try await handleWorklist(key)
    }

    private func handleWorklist(_ key: Key) async throws -> Bool {
        let entries = visibleEntries
        let rows = WorklistScreen.listRows(height: size.height)
        if worklist.searching {
            switch key {
            case .enter, .escape: worklist.searching = false
            case .backspace: _ = worklist.search.popLast()
            case .character(let character): worklist.search.append(character)
            default: break
            }
            worklist.selected = 0
            worklist.top = 0
            return true
        }
        switch key {
        case .character("q"), .escape: return false
        case .character("?"): overlay = .help
        case .down, .character("j"): worklist.selected = min(entries.count - 1, worklist.selected + 1)
        case .up, .character("k"): worklist.selected = max(0, worklist.selected - 1)
        case .pageDown, .character(" "): worklist.selected = min(entries.count - 1, worklist.selected + rows)
        case .pageUp: worklist.selected = max(0, worklist.selected - rows)
        case .home, .character("g"): worklist.selected = 0
        case .end, .character("G"): worklist.selected = max(0, entries.count - 1)
        case .character("f"):
            worklist.flaggedOnly.toggle()
            worklist.selected = 0
        case .character("v"):
            worklist.waitingOnly.toggle()
            worklist.selected = 0
        case .character("/"):
            worklist.searching = true
            worklist.search = ""
        case .character("w"): try await loadWeek(worklist.week.previous)
        case .character("W"): try await loadWeek(worklist.week.next)
        case .character("t"): try await loadWeek(session.currentWeek)
        case .character("R"): try await reloadWorklist(audited: false)
        case .enter, .right, .character("l"):
            if entries.indices.contains(worklist.selected) {
                try await openPatient(entries[worklist.selected].patientID)
            }
        default: break
        }
        worklist.selected = max(0, worklist.selected)
        if worklist.selected < worklist.top { worklist.top = worklist.selected }
        if worklist.selected >= worklist.top + rows { worklist.top = worklist.selected - rows + 1 }
        return true
    }

    private func loadWeek(_ week: ISOWeek) async throws {
        worklist.list = try await session.worklist(week: week)
        worklist.week = week
        worklist.selected = 0
        worklist.top = 0
    }

    /// Reads what another person or the service changed: the screen shown (no dialog open) is read
    /// again, without another audit entry for the same view. The full-screen console calls it on
    /// a timer; `R` does it at once. Returns whether anything was read.
    @discardableResult
    public func refresh() async -> Bool {
        guard overlay == nil else { return false }
        do {
            if patient != nil {
                try await refreshPatient()
            } else {
                try await reloadWorklist(audited: false)
            }
            return true
        } catch {
            overlay = .message(title: "Could not refresh", lines: ["\(error)"])
            return false
        }
    }

    private func reloadWorklist(audited: Bool = true) async throws {
        let selectedID =
            visibleEntries.indices.contains(worklist.selected) ? visibleEntries[worklist.selected].patientID : nil
        worklist.list = try await session.worklist(week: worklist.week, audited: audited)
        if let selectedID, let index = visibleEntries.firstIndex(where: { $0.patientID == selectedID }) {
            worklist.selected = index
        }
    }

    /// Opens the patient view of `id` (from the worklist, or directly at start: `open --patient`).
    public func openPatient(_ id: PatientID) async throws {
        patient = PatientState(overview: try await session.overview(patientID: id))
    }

    /// Reloads the record after an action, without another audit entry await for the same view.
    private func refreshPatient() async throws {
        guard let current = patient else { return }
        patient?.overview = try await session.overview(patientID: current.overview.record.patient.id, audited: false)
    }

    private func handlePatient(_ key: Key) async throws -> Bool {
        guard let state = patient else { return true }
        let id = state.overview.record.patient.id
        let page = PatientScreen(overview: state.overview, glyphs: glyphs).document(
            width: size.width, height: size.height)
        let rows = size.height - 2
        let maxTop = max(0, page.lines.count - rows)
        switch key {
        case .character("q"), .escape, .left, .character("h"):
            patient = nil
            try await reloadWorklist()
        case .character("?"): overlay = .help
        case .down, .character("j"): patient?.top = min(maxTop, state.top + 1)
        case .up, .character("k"): patient?.top = max(0, state.top - 1)
        case .pageDown, .character(" "): patient?.top = min(maxTop, state.top + rows - 1)
        case .pageUp: patient?.top = max(0, state.top - rows + 1)
        case .home, .character("g"): patient?.top = 0
        case .end, .character("G"): patient?.top = maxTop
        case .character("a"): startAcknowledge(state.overview)
        case .character("n"): startNote(patientID: id)
        case .character("r"):
            let review = try await session.review(patientID: id, week: worklist.week)
            overlay = .message(
                title: "Reviewed", lines: ["\(state.overview.record.patient.name) marked reviewed for \(review.week)."])
        case .character("e"): startEscalation(state.overview)
        case .character("A"): try await startAnswer(state.overview)
        case .character("E"): startEndOrReopen(state.overview)
        case .character("R"): try await refreshPatient()
        default: break
        }
        return true
    }

    // MARK: Actions

    private func startAcknowledge(_ overview: PatientOverview) {
        let flags = overview.openFlags.filter { $0.state == .open }
        guard !flags.isEmpty else {
            let escalated = overview.openFlags.isEmpty ? "" : " Escalated flags close with the hotline's answer."
            overlay = .message(title: "Acknowledge", lines: ["No open flag to acknowledge.\(escalated)"])
            return
        }
        let ask: (PatientFlag) -> Void = { [unowned self] flag in
            overlay = .prompt(
                Prompt(
                    title: "Acknowledge flag #\(flag.id) (\(flag.severity.rawValue))",
                    context: [flag.explanation],
                    label: flag.severity == .red ? "Comment (required for red): " : "Comment (optional): ",
                    required: flag.severity == .red,
                    submit: { [unowned self] text in
                        try await session.acknowledge(flagID: flag.id, comment: text, shown: flag)
                        try await refreshPatient()
                        overlay = .message(title: "Acknowledged", lines: ["Flag #\(flag.id) is closed."])
                    }))
        }
        if flags.count == 1 {
            ask(flags[0])
        } else {
            overlay = .choice(
                Choice(
                    title: "Which flag?",
                    options: flags.prefix(9).map {
                        "\($0.severity.rawValue.uppercased()) #\($0.id) \(FlagHeadline.of($0.explanation))"
                    },
                    choose: { index in ask(flags[index]) }))
        }
    }

    private func startNote(patientID: PatientID) {
        let kinds: [ContactNote.Contact] = [.phone, .video, .homeVisit, .none]
        overlay = .choice(
            Choice(
                title: "New note: how was the contact?",
                options: ["phone", "video", "home visit", "no contact (remark)"],
                choose: { [unowned self] index in
                    overlay = .prompt(
                        Prompt(
                            title: "Note (\(kinds[index].rawValue))", context: ["What was said or done."],
                            label: "Note: ", required: true,
                            submit: { [unowned self] text in
                                try await session.note(patientID: patientID, contact: kinds[index], text: text)
                                try await refreshPatient()
                                overlay = .message(title: "Note saved", lines: ["The note is in the record."])
                            }))
                }))
    }

    /// `E`: ends the monitoring period (reason, then the closing remark), or reopens an ended one.
    private func startEndOrReopen(_ overview: PatientOverview) {
        let patient = overview.record.patient
        if let end = patient.monitoringEnd {
            overlay = .choice(
                Choice(
                    title:
                        "Monitoring ended \(LocalDay(end.endedAt, in: overview.zone).short) (\(end.reason.rawValue))",
                    options: ["Reopen the monitoring period"],
                    choose: { [unowned self] _ in
                        try await session.reopenMonitoring(patientID: patient.id)
                        try await refreshPatient()
                        overlay = .message(
                            title: "Monitoring reopened",
                            lines: [
                                "\(patient.name) is back on the worklist.",
                                "Pair the devices again: tele-ingest devices pair --serial … --patient \(patient.id)",
                            ])
                    }))
            return
        }
        let reasons = MonitoringEnd.Reason.allCases
        overlay = .choice(
            Choice(
                title: "End monitoring of \(patient.name): why?",
                options: reasons.map(\.rawValue),
                choose: { [unowned self] index in
                    overlay = .prompt(
                        Prompt(
                            title: "End monitoring (\(reasons[index].rawValue))",
                            context: [
                                "The devices are unpaired now, open flags are closed and the patient leaves the",
                                "worklist. The record stays, read-only; E reopens it. Closing remark for the GP:",
                            ],
                            label: "Remark: ", required: false,
                            submit: { [unowned self] text in
                                let end = try await session.endMonitoring(
                                    patientID: patient.id, reason: reasons[index], comment: text)
                                try await refreshPatient()
                                overlay = .message(
                                    title: "Monitoring ended", lines: ["\(patient.name): \(end.summary)."])
                            }))
                }))
    }

    private func startEscalation(_ overview: PatientOverview) {
        let id = overview.record.patient.id
        if let pending = overview.pendingEscalation {
            overlay = .message(
                title: "Escalation",
                lines: ["Escalation #\(pending.id) is still waiting for the hotline's answer."])
            return
        }
        overlay = .prompt(
            Prompt(
                title: "Escalate to the heart-failure hotline (1 of 3)",
                context: ["Situation: why should the cardiologist look at this patient now?"],
                label: "Reason: ", required: true,
                submit: { [unowned self] reason in
                    overlay = .prompt(
                        Prompt(
                            title: "Escalate (2 of 3)",
                            context: ["Your assessment: what you saw and heard (Enter to skip)."],
                            label: "Assessment: ", required: false,
                            submit: { [unowned self] assessment in
                                overlay = .prompt(
                                    Prompt(
                                        title: "Escalate (3 of 3)",
                                        context: ["Recommendation: what you ask for (Enter: an assessment)."],
                                        label: "Request: ", required: false,
                                        submit: { [unowned self] request in
                                            let brief = EscalationBrief(
                                                reason: reason, assessment: assessment, recommendation: request)
                                            try await previewEscalation(patientID: id, brief: brief)
                                        }))
                            }))
                }))
    }

    private func previewEscalation(patientID: PatientID, brief: EscalationBrief) async throws {
        let draft = try await session.draft(patientID: patientID, brief: brief)
        var page = Document()
        let open = session.hotline.status(at: session.now()).isOpen
        for line in draft.notice {
            page.wrapped(
                line, width: size.width - 2, indent: 1,
                open ? Style(colour: .green, bold: true) : Style(colour: .red, bold: true), first: " ")
        }
        page.add()
        for line in draft.text.split(separator: "\n", omittingEmptySubsequences: false) {
            page.wrapped(String(line), width: size.width - 2, indent: 4, first: " ")
        }
        overlay = .preview(
            Preview(
                title: "Escalation brief — Enter records it, Esc cancels",
                page: page, confirmLabel: "record",
                confirm: { [unowned self] in
                    let result = try await session.escalate(patientID: patientID, brief: brief)
                    try await refreshPatient()
                    overlay = .message(
                        title: "Escalation #\(result.escalation.id) recorded",
                        lines: result.notice + ["The brief: nurse-console escalation brief \(result.escalation.id)"])
                }))
    }

    private func startAnswer(_ overview: PatientOverview) async throws {
        guard session.clinician.role == .cardiologist else {
            overlay = .message(
                title: "Answer", lines: ["Only a cardiologist records the hotline's answer and changes thresholds."])
            return
        }
        guard let pending = overview.pendingEscalation else {
            overlay = .message(title: "Answer", lines: ["No escalation is waiting for an answer."])
            return
        }
        let decisions = Escalation.Decision.allCases
        overlay = .choice(
            Choice(
                title: "Answer to escalation #\(pending.id): the decision",
                options: decisions.map(\.words),
                choose: { [unowned self] index in
                    let decision = decisions[index]
                    overlay = .prompt(
                        Prompt(
                            title: "Answer: medication", context: ["The medication change in words (Enter: none)."],
                            label: "Medication: ", required: decision == .medicationChanged,
                            submit: { [unowned self] medication in
                                overlay = .prompt(
                                    Prompt(
                                        title: "Answer: dry weight",
                                        context: [
                                            "A new dry weight in kg (Enter: unchanged). Limits: `respond --limit`."
                                        ],
                                        label: "Dry weight kg: ", required: decision == .thresholdsChanged,
                                        submit: { [unowned self] dryText in
                                            var settings: [PersonalSetting.Change] = []
                                            if !dryText.isEmpty {
                                                guard let kg = Double(dryText.replacingOccurrences(of: ",", with: "."))
                                                else { throw FollowUpError("'\(dryText)' is not a weight in kg") }
                                                settings.append(.dryWeight(kg))
                                            }
                                            overlay = .prompt(
                                                Prompt(
                                                    title: "Answer: next review",
                                                    context: ["Date of the next review, YYYY-MM-DD (Enter: none)."],
                                                    label: "Next review: ", required: false,
                                                    submit: { [unowned self] next in
                                                        try await session.answer(
                                                            escalationID: pending.id, decision: decision,
                                                            medicationChange: medication, comment: nil,
                                                            nextReview: next.isEmpty ? nil : next, settings: settings)
                                                        try await refreshPatient()
                                                        overlay = .message(
                                                            title: "Answer recorded",
                                                            lines: ["Escalation #\(pending.id): \(decision.words)."])
                                                    }))
                                        }))
                            }))
                }))
    }

    private func handleOverlay(_ current: Overlay, _ key: Key) async throws {
        switch current {
        case .help, .message:
            overlay = nil
        case .choice(let choice):
            if key == .escape || key == .character("q") {
                overlay = nil
            } else if case .character(let character) = key, let digit = character.wholeNumberValue,
                digit >= 1, digit <= choice.options.count
            {
                overlay = nil
                try await choice.choose(digit - 1)
            }
        case .prompt(var prompt):
            switch key {
            case .escape: overlay = nil
            case .enter:
                let text = prompt.text.trimmingCharacters(in: .whitespaces)
                if prompt.required && text.isEmpty {
                    prompt.context =
                        ["This field is required."] + prompt.context.filter { $0 != "This field is required." }
                    overlay = .prompt(prompt)
                } else {
                    overlay = nil
                    do {
                        try await prompt.submit(text)
                    } catch {
                        overlay = .message(title: "Not saved", lines: ["\(error)"])
                    }
                }
            case .backspace:
                _ = prompt.text.popLast()
                overlay = .prompt(prompt)
            case .character(let character):
                prompt.text.append(character)
                overlay = .prompt(prompt)
            default: break
            }
        case .preview(var preview):
            let rows = size.height - 4
            switch key {
            case .escape, .character("q"): overlay = nil
            case .enter:
                overlay = nil
                do {
                    try await preview.confirm()
                } catch {
                    overlay = .message(title: "Not recorded", lines: ["\(error)"])
                }
            case .down, .character("j"):
                preview.top = min(max(0, preview.page.lines.count - rows), preview.top + 1)
                overlay = .preview(preview)
            case .up, .character("k"):
                preview.top = max(0, preview.top - 1)
                overlay = .preview(preview)
            case .pageDown, .character(" "):
                preview.top = min(max(0, preview.page.lines.count - rows), preview.top + rows - 1)
                overlay = .preview(preview)
            case .pageUp:
                preview.top = max(0, preview.top - rows + 1)
                overlay = .preview(preview)
            default: break
            }
        }
    }

    // MARK: Drawing

    /// Draws the current screen at `width` × `height`.
    public func render(width: Int, height: Int) -> ScreenBuffer {
        size = (width, height)
        var buffer = ScreenBuffer(width: width, height: height)
        if let state = patient {
            let screen = PatientScreen(overview: state.overview, glyphs: glyphs)
            let page = screen.document(width: width, height: height)
            buffer.put(screen.title.padded(width, ellipsis: glyphs.ellipsis), row: 0, column: 0, style: .inverse)
            let top = min(state.top, max(0, page.lines.count - (height - 2)))
            page.draw(into: &buffer, row: 1, rows: height - 2, top: top)
            let keys =
                session.clinician.role == .cardiologist
                ? " a ack  n note  r review  e escalate  A answer  E end  ↑↓ scroll  ? help  q back"
                : " a acknowledge  n note  r reviewed  e escalate  E end  ↑↓ scroll  ? help  q back"
            buffer.put(
                (glyphs.braille ? keys : keys.replacingOccurrences(of: "↑↓", with: "j/k")).padded(width),
                row: height - 1,
                column: 0, style: .inverse)
        } else {
            WorklistScreen(
                list: worklist.list, entries: visibleEntries, selected: worklist.selected, top: worklist.top,
                flaggedOnly: worklist.flaggedOnly, waitingOnly: worklist.waitingOnly, search: worklist.search,
                clinician: "\(session.clinician.name) (\(session.clinician.role.rawValue))", glyphs: glyphs
            ).draw(into: &buffer)
            if worklist.searching {
                buffer.put(
                    " Search name or id: \(worklist.search)_  (Enter: done, Esc: keep)".padded(width), row: 1,
                    column: 0,
                    style: .bold)
            }
        }
        if let overlay { drawOverlay(overlay, into: &buffer) }
        return glyphs.braille ? buffer : buffer.transliterated()
    }

    private func drawOverlay(_ overlay: Overlay, into buffer: inout ScreenBuffer) {
        let width = buffer.width
        let height = buffer.height
        switch overlay {
        case .help:
            box(title: "Keys", lines: Self.helpLines(role: session.clinician.role), into: &buffer)
        case .message(let title, let lines):
            box(title: title, lines: lines + ["", "Press any key."], into: &buffer)
        case .choice(let choice):
            box(
                title: choice.title,
                lines: choice.options.enumerated().map { "\($0.offset + 1)  \($0.element)" } + [
                    "", "Digit: choose · Esc: cancel",
                ],
                into: &buffer)
        case .prompt(let prompt):
            box(
                title: prompt.title,
                lines: prompt.context + ["", prompt.label + prompt.text + "_", "", "Enter: save · Esc: cancel"],
                into: &buffer)
        case .preview(let preview):
            buffer.clear(row: 0, column: 0, width: width, height: height)
            buffer.put(" \(preview.title)".padded(width), row: 0, column: 0, style: .inverse)
            preview.page.draw(into: &buffer, row: 1, rows: height - 2, top: preview.top)
            buffer.put(
                " Enter \(preview.confirmLabel)  Esc cancel  ↑↓ scroll".padded(width), row: height - 1, column: 0,
                style: .inverse)
        }
    }

    /// A framed box in the middle of the screen; long lines are wrapped.
    private func box(title: String, lines: [String], into buffer: inout ScreenBuffer) {
        let width = min(buffer.width - 2, 76)
        var body = Document()
        for line in lines { body.wrapped(line, width: width - 4, indent: 0, first: "") }
        let height = min(buffer.height - 2, body.lines.count + 2)
        let left = (buffer.width - width) / 2
        let top = max(0, (buffer.height - height) / 2)
        buffer.clear(row: top, column: left, width: width, height: height)
        let bar = String(repeating: glyphs.horizontal, count: width)
        buffer.put(bar, row: top, column: left, style: .bold)
        buffer.put(" \(title) ", row: top, column: left + 2, style: .bold)
        for (index, spans) in body.lines.prefix(height - 2).enumerated() {
            buffer.put(spans.map(\.text).joined(), row: top + 1 + index, column: left + 2, limit: width - 4)
        }
        buffer.put(bar, row: top + height - 1, column: left, style: .bold)
    }

    static func helpLines(role: Clinician.Role) -> [String] {
        var lines = [
            "Worklist: ↑/↓ or j/k move, PgUp/PgDn page, Enter open the patient,",
            "  f flagged only, v waiting for the hotline only (escalations, review dates come),",
            "  / search by name or id, w previous week, W next week, t this week.",
            "Order: RED, then YELLOW, then NO DATA (stopped measuring), then stable;",
            "  within each, the longest-waiting flag first. Arrows: latest value against last week.",
            "  PLAN: days weighed / days so far this week; 'low' = below the measurement plan.",
            "Patient: ↑/↓ scroll, a acknowledge a flag (red needs a comment), n note,",
            "  r mark reviewed for the week, e escalate to the hotline (SBAR brief), q back.",
            "  E end the monitoring period (reason, closing remark), or reopen an ended one.",
            "R (both screens) read again now; the screen also refreshes by itself every minute.",
        ]
        if role == .cardiologist {
            lines.append("  A record the answer to an escalation (decision, medication, dry weight).")
        }
        lines += ["Every view and action is written to the audit log.", "Ctrl-C or q on the worklist: quit."]
        return lines
    }
}
