import StoreInterface

/// The SQLite store is the patient registry's embedded backend: its synchronous methods are the
/// protocol's (they finish before returning; the caller's task waits on the database's queue).
extension MonitoringStore: PatientRegistry {}
