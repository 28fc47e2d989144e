import GRDB
import MonitoringRecords

// The typed ids are their text in SQLite's columns (GRDB's conversion for `RawRepresentable`).
// `StatementColumnConvertible` reads them straight from the statement, as GRDB reads a `String`,
// rather than through a `DatabaseValue`: the worklist reads 10,000 patients' ids and their
// flags' and latest readings' ids, and the slower path cost it about a fifth of its read.

extension PatientID: DatabaseValueConvertible, StatementColumnConvertible {}
extension DeviceSerial: DatabaseValueConvertible, StatementColumnConvertible {}
