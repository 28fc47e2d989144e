import Foundation
import MonitoringRecords

extension MonitoringStore {
    /// What registering a roster added.
    public struct RosterRegistration: Sendable, Equatable {
        /// Patients added (those already there are left as they are).
        public var patients: Int
        /// Pairings added, each from the patient's monitoring start.
        public var pairings: Int
        /// Pairings ended because the kit was handed back.
        public var returned: Int
    }

    /// Registers a roster's patients and pairs their devices from their monitoring start, adding
    /// only what is missing, so a roster can be registered again. A kit handed back is unpaired
    /// at that time. Stops at the first entry the store refuses, naming it.
    @discardableResult
    public func register(_ roster: Roster) throws -> RosterRegistration {
        var added = RosterRegistration(patients: 0, pairings: 0, returned: 0)
        let paired = Set(try devices().flatMap { $0.pairings.map { "\($0.serial) \($0.patientID)" } })
        for patient in roster.patients {
            if try self.patient(id: patient.id) == nil {
                try addPatient(
                    id: patient.id, name: patient.name, cpr: patient.cpr,
                    timeZone: patient.timeZone ?? "Europe/Copenhagen", monitoringStart: patient.monitoringStart)
                added.patients += 1
            }
            for serial in patient.serials where !paired.contains("\(serial) \(patient.id)") {
                try pair(serial: serial, patientID: patient.id, from: patient.monitoringStart)
                added.pairings += 1
                if let returned = patient.kitReturned {
                    try unpair(serial: serial, at: returned)
                    added.returned += 1
                }
            }
        }
        return added
    }
}
