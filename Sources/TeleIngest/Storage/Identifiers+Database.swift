import GRDB
import MonitoringRecords

// The typed ids are their text in SQLite's columns (GRDB's conversion for `RawRepresentable`).

extension PatientID: DatabaseValueConvertible {}
extension DeviceSerial: DatabaseValueConvertible {}
