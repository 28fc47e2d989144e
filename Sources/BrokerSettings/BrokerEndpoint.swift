import Foundation

/// Where the broker is and how to prove who we are to it.
public struct BrokerEndpoint: Sendable, Hashable, Codable {
    /// Host name or address.
    public var host: String
    /// TCP port; 1883 for plain MQTT, 8883 for MQTT over TLS by convention.
    public var port: Int
    /// User name for the broker's password file, if it requires one.
    public var username: String?
    /// Password for `username`.
    public var password: String?
    /// TLS settings; `nil` for a plain connection.
    public var tls: TLS?

    /// TLS settings for `mosquitto_tls_set`.
    public struct TLS: Sendable, Hashable, Codable {
        /// PEM file with the certificate authority that signed the broker's certificate.
        public var caFile: String
        /// PEM client certificate, when the broker asks for one.
        public var certFile: String?
        /// PEM private key of `certFile`.
        public var keyFile: String?

        public init(caFile: String, certFile: String? = nil, keyFile: String? = nil) {
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
        }
    }

    public init(host: String, port: Int, username: String? = nil, password: String? = nil, tls: TLS? = nil) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.tls = tls
    }

    /// Parses `mqtt://host:port` or `mqtts://host:port` (TLS settings still come from configuration).
    public init?(url: String) {
        guard let components = URLComponents(string: url),
            let scheme = components.scheme?.lowercased(), scheme == "mqtt" || scheme == "mqtts",
            let host = components.host, !host.isEmpty
        else { return nil }
        self.host = host
        self.port = components.port ?? (scheme == "mqtts" ? 8883 : 1883)
        self.username = components.user
        self.password = components.password
        self.tls = nil
    }
}
