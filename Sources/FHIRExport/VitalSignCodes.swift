import Vitals

extension FHIR {
    /// The codes of one measurement in the three systems the export names: LOINC (the core
    /// vital-signs profiles), MDC (the PHD IG) and the Danish NPU/DNK codes (dk-core).
    /// docs/FHIR.md gives the sources.
    public struct VitalSignCode: Sendable, Hashable {
        public var loinc: String
        public var mdc: Int
        public var mdcReference: String
        /// NPU or DNK code; the blood-pressure panel has none.
        public var danish: String?
        public var text: String

        /// The codings in the order a reader tries them: LOINC first.
        public var concept: CodeableConcept {
            var coding = [
                Coding(system: FHIR.loinc, code: loinc),
                Coding(system: FHIR.mdc, code: String(mdc), display: mdcReference),
            ]
            if let danish { coding.append(Coding(system: FHIR.danishCodes, code: danish)) }
            return CodeableConcept(coding: coding, text: text)
        }

        public static let bodyWeight = VitalSignCode(
            loinc: "29463-7", mdc: 188_736, mdcReference: "MDC_MASS_BODY_ACTUAL", danish: "NPU03804",
            text: "Body weight")
        public static let bloodPressurePanel = VitalSignCode(
            loinc: "85354-9", mdc: 150_020, mdcReference: "MDC_PRESS_BLD_NONINV", danish: nil,
            text: "Blood pressure")
        public static let systolic = VitalSignCode(
            loinc: "8480-6", mdc: 150_021, mdcReference: "MDC_PRESS_BLD_NONINV_SYS", danish: "DNK05472",
            text: "Systolic blood pressure")
        public static let diastolic = VitalSignCode(
            loinc: "8462-4", mdc: 150_022, mdcReference: "MDC_PRESS_BLD_NONINV_DIA", danish: "DNK05473",
            text: "Diastolic blood pressure")
        public static let pulseRate = VitalSignCode(
            loinc: "8867-4", mdc: 149_546, mdcReference: "MDC_PULS_RATE_NON_INV", danish: "NPU21692",
            text: "Pulse rate")

        /// The code of a reading of `kind` (systolic and diastolic: their panel component's).
        public static func of(_ kind: ReadingKind) -> VitalSignCode {
            switch kind {
            case .weight: bodyWeight
            case .systolic: systolic
            case .diastolic: diastolic
            case .pulse: pulseRate
            }
        }
    }

    /// The UCUM code of a unit as the store names it.
    public static func ucum(_ unit: MeasurementUnit) -> String {
        switch unit {
        case .kilogram: "kg"
        case .gram: "g"
        case .pound: "[lb_av]"
        case .millimetreOfMercury: "mm[Hg]"
        case .kilopascal: "kPa"
        case .beatsPerMinute: "/min"
        }
    }
}
