import Foundation

extension FHIR {
    // The parts of HL7 FHIR R4 (4.0.1) the export writes, as plain Codable values: only the
    // elements it fills, each optional one left out of the JSON when empty.

    /// A code from a code system (`Coding`).
    public struct Coding: Codable, Hashable, Sendable {
        public var system: String
        public var code: String
        public var display: String?

        public init(system: String, code: String, display: String? = nil) {
            self.system = system
            self.code = code
            self.display = display
        }
    }

    /// Codes for one concept, and the concept in words (`CodeableConcept`).
    public struct CodeableConcept: Codable, Hashable, Sendable {
        public var coding: [Coding]?
        public var text: String?

        public init(coding: [Coding]? = nil, text: String? = nil) {
            self.coding = coding
            self.text = text
        }
    }

    /// An identifier in a namespace (`Identifier`).
    public struct Identifier: Codable, Hashable, Sendable {
        public var type: CodeableConcept?
        public var system: String
        public var value: String

        public init(type: CodeableConcept? = nil, system: String, value: String) {
            self.type = type
            self.system = system
            self.value = value
        }

        /// The search a conditional request matches on: `identifier=system|value`.
        public var search: String { "identifier=\(system)|\(value)" }
    }

    /// A reference to another resource of the Bundle by its `fullUrl`, or only a name (`Reference`).
    public struct Reference: Codable, Hashable, Sendable {
        public var reference: String?
        public var display: String?

        public init(reference: String? = nil, display: String? = nil) {
            self.reference = reference
            self.display = display
        }
    }

    /// A measured amount with a UCUM unit (`Quantity`).
    public struct Quantity: Codable, Hashable, Sendable {
        public static let ucum = "http://unitsofmeasure.org"

        public var value: Decimal
        public var unit: String
        public var system: String
        public var code: String

        public init(value: Decimal, ucum: String) {
            self.value = value
            self.unit = ucum
            self.system = Self.ucum
            self.code = ucum
        }
    }

    /// An extension (`Extension`), here always with a quantity.
    public struct Extension: Codable, Hashable, Sendable {
        public var url: String
        public var valueQuantity: Quantity

        public init(url: String, valueQuantity: Quantity) {
            self.url = url
            self.valueQuantity = valueQuantity
        }
    }

    /// A name as one text (`HumanName`): the store keeps a patient's name as the nurse wrote it.
    public struct HumanName: Codable, Hashable, Sendable {
        public var text: String

        public init(text: String) { self.text = text }
    }

    /// A time span (`Period`).
    public struct Period: Codable, Hashable, Sendable {
        public var start: String?
        public var end: String?

        public init(start: String? = nil, end: String? = nil) {
            self.start = start
            self.end = end
        }
    }
}
