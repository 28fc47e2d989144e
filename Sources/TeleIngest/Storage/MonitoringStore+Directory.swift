import Foundation
import GRDB
import MonitoringRecords
import StoreInterface

#if canImport(Glibc)
    import Glibc
#endif

extension MonitoringStore {
    /// The operating-system account running this process: on the embedded store the person is
    /// whoever the system says is logged in, looked up in the clinician directory.
    public func sessionAccount() throws -> String {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else {
            throw StoreError("finding the signed-in account", "the system has no account for user id \(geteuid())")
        }
        return String(cString: name)
    }

    public func clinicianAccounts() throws -> [ClinicianAccount] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT account, name, role, teams FROM clinician ORDER BY account").compactMap {
                row in
                guard let role = Clinician.Role(rawValue: row["role"]) else { return nil }
                let teams: String = row["teams"]
                return ClinicianAccount(
                    account: row["account"],
                    clinician: Clinician(
                        name: row["name"], role: role, teams: teams.split(separator: ",").map(String.init)))
            }
        }
    }

    public func saveClinician(_ entry: ClinicianAccount) throws {
        let operation = "adding clinician \(entry.account)"
        try database.write { db in
            let known = Set(try String.fetchAll(db, sql: "SELECT id FROM team"))
            if let unknown = entry.clinician.teams.first(where: { !known.contains($0) }) {
                throw StoreError(
                    operation, "no team '\(unknown)' (tele-ingest teams add \(unknown) --name …)", code: .notFound)
            }
            try db.execute(
                sql: """
                    INSERT INTO clinician (account, name, role, teams) VALUES (?, ?, ?, ?)
                    ON CONFLICT (account) DO UPDATE SET name = excluded.name, role = excluded.role, teams = excluded.teams
                    """,
                arguments: [
                    entry.account, entry.clinician.name, entry.clinician.role.rawValue,
                    entry.clinician.teams.joined(separator: ","),
                ])
        }
    }

    public func addTeam(_ team: Team) throws {
        let operation = "adding team \(team.id)"
        try Team.check(team, operation: operation)
        try database.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM team WHERE id = ?", arguments: [team.id]) == true {
                throw StoreError(operation, "a team with this id exists already", code: .conflict)
            }
            try db.execute(sql: "INSERT INTO team (id, name) VALUES (?, ?)", arguments: [team.id, team.name])
        }
    }

    public func teams() throws -> [Team] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name FROM team ORDER BY id").map {
                Team(id: $0["id"], name: $0["name"])
            }
        }
    }

    public func assignTeam(patientID: PatientID, team: String?) throws {
        let operation = "giving patient \(patientID) to team \(team ?? "none")"
        try database.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM patient WHERE id = ?", arguments: [patientID]) == true
            else {
                throw StoreError(operation, "no patient with id '\(patientID)'", code: .notFound)
            }
            if let team, try Bool.fetchOne(db, sql: "SELECT 1 FROM team WHERE id = ?", arguments: [team]) != true {
                throw StoreError(
                    operation, "no team '\(team)' (tele-ingest teams add \(team) --name …)", code: .notFound)
            }
            try db.execute(sql: "UPDATE patient SET team = ? WHERE id = ?", arguments: [team, patientID])
        }
    }
}
