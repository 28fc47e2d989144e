/// HL7 FHIR R4 (4.0.1), as far as the export needs it: the resources it writes and the code
/// systems it names.
public enum FHIR {
    /// LOINC.
    public static let loinc = "http://loinc.org"
    /// IEEE 11073-10101 (MDC) nomenclature, decimal codes.
    public static let mdc = "urn:iso:std:iso:11073:10101"
    /// The Danish NPU and DNK laboratory and clinical codes.
    public static let danishCodes = "urn:oid:1.2.208.176.2.1"
    /// Danish CPR numbers.
    public static let cpr = "urn:oid:1.2.208.176.1.2"
    /// Observation categories (`vital-signs`).
    public static let observationCategory = "http://terminology.hl7.org/CodeSystem/observation-category"
    /// The system of the PHD IG's conditional-create observation identifier.
    public static let phdObservationIdentifier = "http://hl7.org/fhir/uv/phd/StructureDefinition/PhdBaseObservation"
}
