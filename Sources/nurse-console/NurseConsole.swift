import ArgumentParser

@main
struct NurseConsole: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nurse-console",
        abstract: "The weekly heart-failure follow-up: worklist, patient view, notes, acknowledgements, escalation.",
        discussion: """
            With no subcommand it opens the full-screen console (press ? inside for the keys).
            Every subcommand takes --config, --db, --user and --role; every view and action is
            written to the audit log under that user.
            """,
        subcommands: [
            Open.self, WorklistCommand.self, PatientCommand.self, AcknowledgeCommand.self, NoteCommand.self,
            ReviewCommand.self, PlanCommand.self, LimitCommand.self, EscalateCommand.self, EscalationCommand.self,
            RespondCommand.self, EndMonitoringCommand.self, ReopenMonitoringCommand.self, ReportCommand.self,
            IndicatorsCommand.self,
            AuditCommand.self,
        ],
        defaultSubcommand: Open.self)
}
