import Foundation

/// Patients and their devices to register, as a file: what the simulator and the test gateways
/// invent (`--roster FILE`) and `tele-ingest patients import FILE` registers in whichever store
/// is configured. Registering a roster again adds only what is missing.
public struct Roster: Sendable, Codable, Equatable {
    /// One patient with the serials of their kit.
    public struct Patient: Sendable, Codable, Equatable {
        public var id: PatientID
        public var name: String
        /// `DDMMYY-SSSS`; invented ones have day 00.
        public var cpr: String?
        /// IANA zone of the patient's days; the store's default when absent.
        public var timeZone: String?
        /// Start of monitoring; the devices are paired from then.
        public var monitoringStart: Date
        public var serials: [DeviceSerial]
        /// When the kit was handed back: the devices are unpaired then.
        public var kitReturned: Date?

        public init(
            id: PatientID, name: String, cpr: String? = nil, timeZone: String? = nil, monitoringStart: Date,
            serials: [DeviceSerial], kitReturned: Date? = nil
        ) {
            self.id = id
            self.name = name
            self.cpr = cpr
            self.timeZone = timeZone
            self.monitoringStart = monitoringStart
            self.serials = serials
            self.kitReturned = kitReturned
        }
    }

    public var patients: [Patient]

    public init(patients: [Patient]) { self.patients = patients }

    /// Reads a roster file (JSON, ISO 8601 times).
    public init(contentsOf url: URL) throws {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        self = try decoder.decode(Roster.self, from: Data(contentsOf: url))
    }

    /// Writes the roster as JSON, one patient per line's worth of keys, times in ISO 8601.
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try encoder.encode(self).write(to: url, options: .atomic)
    }
}
