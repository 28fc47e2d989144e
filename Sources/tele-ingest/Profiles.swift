import ArgumentParser
import DevicePayloads
import Foundation
import TeleIngest

struct Profiles: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check device profiles.", subcommands: [Check.self], defaultSubcommand: Check.self)

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate every profile in a folder and run its sample payloads.")
        @Argument(help: "Folder of device profiles (default: the shipped ones).")
        var directory = ShippedFiles.current.path(ShippedFiles.profilesFolder)

        func run() throws {
            let profiles = try DeviceProfileSet.load(directory: URL(fileURLWithPath: directory))
            let failures = SampleCheck.run(profiles)
            for profile in profiles.profiles {
                print("\(profile.id): \(profile.samples.count) samples  (\(profile.name))")
            }
            for failure in failures { print("FAIL \(failure)") }
            if !failures.isEmpty { throw ExitCode(1) }
            print("\(profiles.profiles.count) profiles OK")
        }
    }
}
