import ArgumentParser
import TeleIngest

@main
struct TeleIngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tele-ingest",
        abstract:
            "Stores heart-failure telekit readings from MQTT in SQLite, and administers patients, devices and quarantine.",
        discussion: """
            Start the service with `tele-ingest run`. Every other subcommand works on the database
            given by --db (or the configuration file's database.path) and may run beside the service.
            """,
        subcommands: [
            Run.self, Migrate.self, Patients.self, Devices.self, Readings.self, FlagsCommand.self,
            ThresholdsCommand.self,
            RulesCommand.self,
            QuarantineCommand.self, Reprocess.self, Import.self, Profiles.self, StatusCommand.self,
            Workers.self, BackupCommand.self, VerifyCommand.self, Teams.self, Clinicians.self, Export.self,
            JournalCommand.self,
        ]
    )

    /// Runs the command given on the command line, with the allocator set up first.
    static func main() async {
        AllocatorArenas.limitToOne()
        await main(nil)
    }
}
