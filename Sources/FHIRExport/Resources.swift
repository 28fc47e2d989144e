import Foundation

extension FHIR {
    /// `Patient`: the CPR number as identifier (when known) and the programme's own patient id.
    public struct PatientResource: Codable, Hashable, Sendable {
        public var resourceType = "Patient"
        public var identifier: [Identifier]
        public var active: Bool
        public var name: [HumanName]
    }

    /// `Device`: one measuring device by its serial, with the patient it is paired with.
    public struct DeviceResource: Codable, Hashable, Sendable {
        public struct DeviceName: Codable, Hashable, Sendable {
            public var name: String
            /// `model-name` (the device profile the readings were decoded with).
            public var type: String
        }

        public var resourceType = "Device"
        public var identifier: [Identifier]
        public var status: String
        public var serialNumber: String
        public var deviceName: [DeviceName]?
        public var patient: Reference?
    }

    /// `Observation`: one measurement (a blood-pressure panel carries systolic and diastolic as
    /// components).
    public struct ObservationResource: Codable, Hashable, Sendable {
        public struct Component: Codable, Hashable, Sendable {
            public var `extension`: [Extension]?
            public var code: CodeableConcept
            public var valueQuantity: Quantity
        }

        public var resourceType = "Observation"
        public var `extension`: [Extension]?
        public var identifier: [Identifier]
        public var status: String
        public var category: [CodeableConcept]
        public var code: CodeableConcept
        public var subject: Reference
        public var effectiveDateTime: String
        public var device: Reference?
        public var valueQuantity: Quantity?
        public var component: [Component]?
    }

    /// `DetectedIssue`: a flag the rules raised from the patient's measurements — why, in numbers,
    /// the observations it rests on, and what the nurse did about it.
    public struct DetectedIssueResource: Codable, Hashable, Sendable {
        public struct Evidence: Codable, Hashable, Sendable {
            public var detail: [Reference]
        }

        public struct Mitigation: Codable, Hashable, Sendable {
            public var action: CodeableConcept
            public var date: String?
            public var author: Reference?
        }

        public var resourceType = "DetectedIssue"
        public var identifier: [Identifier]
        public var status: String
        public var code: CodeableConcept
        /// `high` for red, `moderate` for yellow.
        public var severity: String
        public var patient: Reference
        public var identifiedDateTime: String
        public var evidence: [Evidence]?
        public var detail: String
        public var mitigation: [Mitigation]?
    }

    /// `Communication`: an escalation sent to the heart-failure hotline, or the cardiologist's
    /// answer to one (`inResponseTo`).
    public struct CommunicationResource: Codable, Hashable, Sendable {
        public struct Payload: Codable, Hashable, Sendable {
            public var contentString: String
        }

        public var resourceType = "Communication"
        public var identifier: [Identifier]
        public var inResponseTo: [Reference]?
        public var status: String
        public var category: [CodeableConcept]
        public var subject: Reference
        public var about: [Reference]?
        public var sent: String
        public var recipient: [Reference]
        public var sender: Reference
        public var payload: [Payload]
    }

    /// One resource of a Bundle.
    public enum Resource: Hashable, Sendable {
        case patient(PatientResource)
        case device(DeviceResource)
        case observation(ObservationResource)
        case detectedIssue(DetectedIssueResource)
        case communication(CommunicationResource)

        /// The resource's type name, as in a request URL.
        public var type: String {
            switch self {
            case .patient: "Patient"
            case .device: "Device"
            case .observation: "Observation"
            case .detectedIssue: "DetectedIssue"
            case .communication: "Communication"
            }
        }

        /// The identifier conditional requests match on: the first.
        public var identifier: Identifier {
            switch self {
            case .patient(let resource): resource.identifier[0]
            case .device(let resource): resource.identifier[0]
            case .observation(let resource): resource.identifier[0]
            case .detectedIssue(let resource): resource.identifier[0]
            case .communication(let resource): resource.identifier[0]
            }
        }
    }

    /// A `transaction` Bundle: every entry a conditional request, so that sending the same Bundle
    /// twice stores nothing twice.
    public struct TransactionBundle: Codable, Hashable, Sendable {
        public struct Entry: Codable, Hashable, Sendable {
            public struct Request: Codable, Hashable, Sendable {
                /// `POST` with `ifNoneExist` for what never changes (observations), `PUT` to
                /// `Type?identifier=…` for what may (the patient, a device, a flag, an escalation).
                public var method: String
                public var url: String
                public var ifNoneExist: String?

                public init(method: String, url: String, ifNoneExist: String?) {
                    self.method = method
                    self.url = url
                    self.ifNoneExist = ifNoneExist
                }
            }

            public var fullUrl: String
            public var resource: Resource
            public var request: Request
        }

        public var resourceType = "Bundle"
        public var type = "transaction"
        public var entry: [Entry]

        public init(entry: [Entry]) { self.entry = entry }
    }
}

extension FHIR.Resource: Codable {
    private enum Key: String, CodingKey { case resourceType }

    public init(from decoder: any Decoder) throws {
        let type = try decoder.container(keyedBy: Key.self).decode(String.self, forKey: .resourceType)
        switch type {
        case "Patient": self = .patient(try FHIR.PatientResource(from: decoder))
        case "Device": self = .device(try FHIR.DeviceResource(from: decoder))
        case "Observation": self = .observation(try FHIR.ObservationResource(from: decoder))
        case "DetectedIssue": self = .detectedIssue(try FHIR.DetectedIssueResource(from: decoder))
        case "Communication": self = .communication(try FHIR.CommunicationResource(from: decoder))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .resourceType, in: try decoder.container(keyedBy: Key.self),
                debugDescription: "a resource type the export does not write: \(type)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .patient(let resource): try resource.encode(to: encoder)
        case .device(let resource): try resource.encode(to: encoder)
        case .observation(let resource): try resource.encode(to: encoder)
        case .detectedIssue(let resource): try resource.encode(to: encoder)
        case .communication(let resource): try resource.encode(to: encoder)
        }
    }
}
