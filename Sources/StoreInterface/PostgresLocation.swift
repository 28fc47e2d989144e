import Foundation
import MonitoringRecords

/// Where the PostgreSQL store is, from `database.url`:
/// `postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]`.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    /// `disable` (loopback and tests), `prefer` (the default) or `require`.
    public var sslMode: String

    /// Parses `url`; a `StoreError` says what is wrong with it. The configuration checks
    /// `database.url` through here, and the PostgreSQL store connects with the result.
    public init(url: String) throws(StoreError) {
        guard let components = URLComponents(string: url),
            components.scheme == "postgresql" || components.scheme == "postgres"
        else {
            throw StoreError("reading database.url", "expected postgresql://USER@HOST:PORT/DATABASE, found '\(url)'")
        }
        guard let host = components.host, !host.isEmpty, let user = components.user, !user.isEmpty else {
            throw StoreError("reading database.url", "a host and a user are required: postgresql://USER@HOST/DATABASE")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty else {
            throw StoreError("reading database.url", "a database name is required: postgresql://USER@HOST/DATABASE")
        }
        let sslMode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        guard ["disable", "prefer", "require"].contains(sslMode) else {
            throw StoreError("reading database.url", "sslmode: expected disable, prefer or require, found '\(sslMode)'")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.user = user.removingPercentEncoding ?? user
        self.password = components.password?.removingPercentEncoding
        self.database = database
        self.sslMode = sslMode
    }

    /// The location without the password, for logs and messages.
    public var description: String { "postgresql://\(user)@\(host):\(port)/\(database)" }
}
