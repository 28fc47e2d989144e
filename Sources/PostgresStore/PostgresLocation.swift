import Foundation
import MonitoringRecords
import PostgresNIO

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

    /// Parses `url`; `nil` with the reason in `problem` when it is not one.
    public init(url: String) throws {
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

    var clientConfiguration: PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS =
            switch sslMode {
            case "disable": .disable
            case "require": .require(.makeClientConfiguration())
            default: .prefer(.makeClientConfiguration())
            }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tls)
        configuration.options.maximumConnections = 8
        return configuration
    }
}
