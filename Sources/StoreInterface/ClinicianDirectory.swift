import Foundation
import MonitoringRecords

/// Teams, the clinician directory and who is signed in, with the same behaviour on every
/// backend. On PostgreSQL the account is the session's database role and the database enforces
/// what the directory says (group roles, row-level security); on the embedded SQLite store the
/// account is the operating-system account and the programs enforce it.
public protocol ClinicianDirectory: Sendable {
    /// The account this store's session acts as: PostgreSQL's `current_user`; on SQLite, the
    /// operating-system account running this process.
    func sessionAccount() async throws -> String

    /// Every directory entry, by account.
    func clinicianAccounts() async throws -> [ClinicianAccount]

    /// Adds or replaces a directory entry (an operator's change). Refuses a team that does not
    /// exist; on PostgreSQL also a login role that does not exist, and grants the role the group
    /// role of its clinical role (`teleingest_nurse`, `teleingest_cardiologist`).
    func saveClinician(_ entry: ClinicianAccount) async throws

    /// Adds a team; refuses an id already taken or empty.
    func addTeam(_ team: Team) async throws

    /// Every team, by id.
    func teams() async throws -> [Team]

    /// Gives the patient to `team` (`nil`: none). Refuses an unknown patient or team.
    func assignTeam(patientID: PatientID, team: String?) async throws
}

/// Why nobody could be signed in.
public struct SignInError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension ClinicianDirectory {
    /// The clinician an operator enters a written order for (`tele-ingest thresholds --by`,
    /// `flags ack --by`): while the directory is empty, `name` as given with `role`; afterwards
    /// someone in the directory by that name and role (a cardiologist may do what a nurse may).
    public func orderingClinician(named name: String, role: Clinician.Role) async throws -> Clinician {
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw SignInError("--by must name the clinician whose order this is") }
        let directory = try await clinicianAccounts()
        guard !directory.isEmpty else { return Clinician(name: name, role: role) }
        let fitting = directory.map(\.clinician).filter {
            $0.name == name && ($0.role == role || $0.role == .cardiologist)
        }
        guard let clinician = fitting.first else {
            throw SignInError(
                "no \(role.rawValue) named '\(name)' in the clinician directory (tele-ingest clinicians list)")
        }
        return clinician
    }

    /// Who is using the store: the directory's entry for the session's account. A name and role
    /// given by hand (`claimed`: the demo's `--user`/`--role`, or `console.user`) stand only
    /// while the directory is empty; once an operator has entered anyone, the account decides
    /// and a claim naming someone else is refused.
    public func signIn(claimed: Clinician?) async throws -> Clinician {
        let account = try await sessionAccount()
        let directory = try await clinicianAccounts()
        if let entry = directory.first(where: { $0.account == account }) {
            if let claimed, claimed.name != entry.clinician.name || claimed.role != entry.clinician.role {
                throw SignInError(
                    "you are signed in as \(account) (\(entry.clinician.name), \(entry.clinician.role.rawValue)); "
                        + "--user/--role cannot name someone else")
            }
            return entry.clinician
        }
        guard directory.isEmpty else {
            throw SignInError(
                "account \(account) is not in the clinician directory; an operator adds it: "
                    + "tele-ingest clinicians add --account \(account) --name NAME --role nurse|cardiologist [--team T]"
            )
        }
        guard let claimed else {
            throw SignInError(
                "who is using the console? Give --user NAME --role nurse|cardiologist, or set console.user in the configuration"
            )
        }
        return claimed
    }
}
