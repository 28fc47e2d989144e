import Foundation
import MonitoringRecords

/// Patients and the devices paired with them: the administration part of the store, with the
/// same behaviour on every backend (SQLite: `MonitoringStore`; PostgreSQL:
/// `PostgresMonitoringStore`). Every refusal is a `StoreError` naming the operation and what to
/// do instead; instants default to the store's clock.
public protocol PatientRegistry: Sendable {
    /// Registers a patient. Refuses a duplicate id, an empty id or name, a CPR number that is
    /// not ten digits and a zone name the system does not know. `monitoringStart` (default:
    /// now) starts the measurement plan's daily phase.
    @discardableResult
    func addPatient(id: PatientID, name: String, cpr: String?, timeZone: String, monitoringStart: Date?) async throws
        -> Patient

    /// All patients, by id.
    func patients() async throws -> [Patient]

    /// One patient, or `nil`.
    func patient(id: PatientID) async throws -> Patient?

    /// Pairs a device with a patient from `from` (default: now) on, registering the device if
    /// it is new. Refuses an unknown patient, and a device paired with anyone over that time.
    @discardableResult
    func pair(serial: DeviceSerial, patientID: PatientID, from: Date?) async throws -> Pairing

    /// Ends the device's open pairing at `at` (default: now). Refuses a device not paired now
    /// and a time not after the pairing began.
    @discardableResult
    func unpair(serial: DeviceSerial, at: Date?) async throws -> Pairing

    /// Every registered device with its pairings, newest first.
    func devices() async throws -> [Device]

    /// Moves the start of the device's newest pairing earlier, to `from` (a kit handed out
    /// before it was paired here), audited under `account`; returns the pairing and how many of
    /// the device's messages wait in the quarantine (`tele-ingest reprocess` stores those the
    /// pairing now covers). Refuses a later start and one before the previous pairing ended.
    func backdatePairing(serial: DeviceSerial, from: Date, account: String) async throws -> (
        pairing: Pairing, waiting: Int
    )

    /// Changes a patient's registration (an operator's correction: name, CPR number, zone,
    /// monitoring start), through the checks of a new registration; each replaced value is kept
    /// in the change history, and the edit audited under `account`, in one transaction. Returns
    /// the patient as registered now.
    @discardableResult
    func editPatient(id: PatientID, _ edit: PatientEdit, reason: String, account: String) async throws -> Patient

    /// The patient's change history, oldest first.
    func patientChanges(id: PatientID) async throws -> [PatientChangeRecord]
}

/// What registering a roster added.
public struct RosterRegistration: Sendable, Equatable {
    /// Patients added (those already there are left as they are).
    public var patients: Int
    /// Pairings added, each from the patient's monitoring start.
    public var pairings: Int
    /// Pairings ended again because the kit was handed back.
    public var returned: Int

    public init(patients: Int, pairings: Int, returned: Int) {
        self.patients = patients
        self.pairings = pairings
        self.returned = returned
    }
}

extension PatientRegistry {
    /// Registers a roster's patients and pairs their devices from their monitoring start, adding
    /// only what is missing, so a roster can be registered again. A kit handed back is unpaired
    /// at that time. Stops at the first entry the store refuses, naming it.
    @discardableResult
    public func register(_ roster: Roster) async throws -> RosterRegistration {
        var added = RosterRegistration(patients: 0, pairings: 0, returned: 0)
        let paired = Set(try await devices().flatMap { $0.pairings.map { "\($0.serial) \($0.patientID)" } })
        for patient in roster.patients {
            if try await self.patient(id: patient.id) == nil {
                try await addPatient(
                    id: patient.id, name: patient.name, cpr: patient.cpr,
                    timeZone: patient.timeZone ?? Patient.defaultTimeZone, monitoringStart: patient.monitoringStart)
                added.patients += 1
            }
            for serial in patient.serials where !paired.contains("\(serial) \(patient.id)") {
                try await pair(serial: serial, patientID: patient.id, from: patient.monitoringStart)
                added.pairings += 1
                if let returned = patient.kitReturned {
                    try await unpair(serial: serial, at: returned)
                    added.returned += 1
                }
            }
        }
        return added
    }
}
