import Foundation

/// A person using the follow-up tools: who they are and what they may do. Every action and
/// every view of a patient is written to the audit log under this name and role.
public struct Clinician: Sendable, Hashable, Codable {
    /// What a clinician may do.
    public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
        /// Municipal nurse: views, notes, acknowledgements, weekly reviews, escalations.
        case nurse
        /// Cardiologist at the heart-failure clinic: everything a nurse may do, and answers
        /// escalations and changes a patient's personal thresholds.
        case cardiologist
    }

    /// The person's name as it appears in the record and the audit log.
    public var name: String
    public var role: Role
    /// The teams whose patients the person follows (a nurse: her district; a cardiologist: the
    /// teams the hotline serves). Empty: every team's.
    public var teams: [String]

    public init(name: String, role: Role, teams: [String] = []) {
        self.name = name
        self.role = role
        self.teams = teams
    }

    /// Whether the person may change personal thresholds and answer escalations.
    public var mayChangeThresholds: Bool { role == .cardiologist }

    /// Whether `patient` is in the person's caseload: no teams (every patient), a patient of one
    /// of their teams, or a patient not yet given a team (so nobody's red flag goes unseen).
    public func follows(_ patient: Patient) -> Bool {
        teams.isEmpty || patient.team.map(teams.contains) ?? true
    }

    /// "teams north, south", or "every team".
    public var caseloadText: String {
        teams.isEmpty ? "every team" : "team\(teams.count == 1 ? "" : "s") \(teams.joined(separator: ", "))"
    }
}

/// A person in the clinician directory: the account they sign in with — their PostgreSQL role,
/// or their operating-system account on the embedded SQLite store — and who that is. Only an
/// operator changes the directory (`tele-ingest clinicians`).
public struct ClinicianAccount: Sendable, Hashable, Codable {
    public var account: String
    public var clinician: Clinician

    public init(account: String, clinician: Clinician) {
        self.account = account
        self.clinician = clinician
    }

    /// An entry as an operator adds it: refuses an empty account or name, and an account name
    /// that is not 1–63 lower-case letters, digits, `_`, `.` or `-` (it becomes a database role).
    public static func checked(account: String, name: String, role: Clinician.Role, teams: [String]) throws
        -> ClinicianAccount
    {
        let operation = "adding clinician \(account)"
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw StoreError(operation, "a name is required: it is what the record shows") }
        guard !account.isEmpty, account.count <= 63,
            account.unicodeScalars.allSatisfy({
                ("a"..."z").contains($0) || ("0"..."9").contains($0) || "_.-".unicodeScalars.contains($0)
            })
        else {
            throw StoreError(
                operation, "an account is 1 to 63 lower-case letters, digits, '_', '.' or '-', found '\(account)'")
        }
        return ClinicianAccount(account: account, clinician: Clinician(name: name, role: role, teams: teams.sorted()))
    }
}

/// A group of nurses and their patients: a municipality's home-care district.
public struct Team: Sendable, Hashable, Codable {
    /// Short id (`north`), as patients and clinicians name it.
    public var id: String
    public var name: String

    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}

extension Team {
    /// Refuses an id that is not 1–40 lower-case letters, digits and hyphens, and an empty name.
    public static func check(_ team: Team, operation: String) throws {
        guard !team.id.isEmpty, team.id.count <= 40,
            team.id.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" })
        else {
            throw StoreError(
                operation, "a team id is 1 to 40 lower-case letters, digits or hyphens, found '\(team.id)'")
        }
        guard !team.name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw StoreError(operation, "a team needs a name (the district it serves)")
        }
    }
}
