import Foundation
import MonitoringRecords
import PostgresNIO
import StoreInterface

extension PostgresMonitoringStore: ClinicianDirectory {
    /// The database role this store's connections sign in as.
    public func sessionAccount() async throws -> String {
        try await failing("finding the signed-in account") {
            var account = ""
            for try await name in try await client.query("SELECT current_user::text", logger: logger).decode(
                String.self)
            {
                account = name
            }
            return account
        }
    }

    public func clinicianAccounts() async throws -> [ClinicianAccount] {
        try await failing("reading the clinician directory") {
            var entries: [ClinicianAccount] = []
            for try await (account, name, role, teams) in try await client.query(
                "SELECT account, name, role, teams FROM clinician ORDER BY account", logger: logger
            ).decode((String, String, String, [String]).self) {
                guard let role = Clinician.Role(rawValue: role) else { continue }
                entries.append(
                    ClinicianAccount(account: account, clinician: Clinician(name: name, role: role, teams: teams)))
            }
            return entries
        }
    }

    public func saveClinician(_ entry: ClinicianAccount) async throws {
        let operation = "adding clinician \(entry.account)"
        try await failing(operation) {
            try await client.withTransaction(logger: logger) { connection in
                let login = try await connection.query(
                    "SELECT 1 FROM pg_roles WHERE rolname = \(entry.account) AND rolcanlogin", logger: logger
                ).collect()
                guard !login.isEmpty else {
                    throw StoreError(
                        operation,
                        "no login role '\(entry.account)' in the database cluster; a database administrator creates it first: createuser --pwprompt \(entry.account)",
                        code: .notFound)
                }
                var known: Set<String> = []
                for try await id in try await connection.query("SELECT id FROM team", logger: logger).decode(
                    String.self)
                {
                    known.insert(id)
                }
                if let unknown = entry.clinician.teams.first(where: { !known.contains($0) }) {
                    throw StoreError(
                        operation, "no team '\(unknown)' (tele-ingest teams add \(unknown) --name …)", code: .notFound)
                }
                // The account name was checked (ClinicianAccount.checked) and is quoted as an identifier.
                let quoted = "\"" + entry.account.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                let other: Clinician.Role = entry.clinician.role == .nurse ? .cardiologist : .nurse
                try await connection.query(
                    "REVOKE \(unescaped: Self.groupRole(other)) FROM \(unescaped: quoted)", logger: logger)
                try await connection.query(
                    "GRANT \(unescaped: Self.groupRole(entry.clinician.role)) TO \(unescaped: quoted)", logger: logger)
                try await connection.query(
                    """
                    INSERT INTO clinician (account, name, role, teams)
                    VALUES (\(entry.account), \(entry.clinician.name), \(entry.clinician.role.rawValue),
                            \(entry.clinician.teams))
                    ON CONFLICT (account) DO UPDATE SET name = excluded.name, role = excluded.role, teams = excluded.teams
                    """, logger: logger)
            }
        }
    }

    /// The group role that holds a clinical role's privileges.
    static func groupRole(_ role: Clinician.Role) -> String { "teleingest_\(role.rawValue)" }

    public func addTeam(_ team: Team) async throws {
        let operation = "adding team \(team.id)"
        try Team.check(team, operation: operation)
        try await failing(operation) {
            let inserted = try await client.query(
                "INSERT INTO team (id, name) VALUES (\(team.id), \(team.name)) ON CONFLICT (id) DO NOTHING RETURNING 1",
                logger: logger
            ).collect()
            if inserted.isEmpty { throw StoreError(operation, "a team with this id exists already", code: .conflict) }
        }
    }

    public func teams() async throws -> [Team] {
        try await failing("listing teams") {
            var teams: [Team] = []
            for try await (id, name) in try await client.query("SELECT id, name FROM team ORDER BY id", logger: logger)
                .decode((String, String).self)
            {
                teams.append(Team(id: id, name: name))
            }
            return teams
        }
    }

    public func assignTeam(patientID: PatientID, team: String?) async throws {
        let operation = "giving patient \(patientID) to team \(team ?? "none")"
        try await failing(operation) {
            try await client.withTransaction(logger: logger) { connection in
                if let team {
                    let known = try await connection.query("SELECT 1 FROM team WHERE id = \(team)", logger: logger)
                        .collect()
                    guard !known.isEmpty else {
                        throw StoreError(
                            operation, "no team '\(team)' (tele-ingest teams add \(team) --name …)", code: .notFound)
                    }
                }
                let updated = try await connection.query(
                    "UPDATE patient SET team = \(team) WHERE id = \(patientID) RETURNING 1", logger: logger
                ).collect()
                guard !updated.isEmpty else {
                    throw StoreError(operation, "no patient with id '\(patientID)'", code: .notFound)
                }
            }
        }
    }
}
