import ArgumentParser
import MonitoringRecords

// Patient ids and device serials as command-line arguments: taken as typed.

extension PatientID: ExpressibleByArgument {
    public init(argument: String) { self.init(argument) }
}

extension DeviceSerial: ExpressibleByArgument {
    public init(argument: String) { self.init(argument) }
}
