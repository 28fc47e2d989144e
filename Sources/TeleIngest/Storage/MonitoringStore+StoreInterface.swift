import StoreInterface

/// The SQLite store is the embedded backend of the store's interfaces: its synchronous methods
/// are the protocols' (they finish before returning; the caller's task waits on the database).
extension MonitoringStore: PatientRegistry, AuditTrail, PersonalSettingsLedger, FollowUpStore, MessageQuarantine {}
