import Testing
import Vitals

@Suite struct QuantityTests {
    @Test(
        "converting to the canonical unit",
        arguments: [
            (Quantity(181.7, .pound), ReadingKind.weight, 82.4177),
            (Quantity(82_400, .gram), .weight, 82.4),
            (Quantity(82.4, .kilogram), .weight, 82.4),
            (Quantity(17.1, .kilopascal), .systolic, 128.2606),
            (Quantity(10.5, .kilopascal), .diastolic, 78.7565),
            (Quantity(128, .millimetreOfMercury), .systolic, 128),
            (Quantity(68, .beatsPerMinute), .pulse, 68),
        ])
    func canonical(quantity: Quantity, kind: ReadingKind, expected: Double) throws {
        let canonical = try #require(quantity.canonical(for: kind))
        #expect(canonical.unit == kind.canonicalUnit)
        #expect(abs(canonical.value - expected) < 0.0001)
    }

    @Test(
        "a unit that cannot express the kind gives no canonical value",
        arguments: [
            (Quantity(82.4, .millimetreOfMercury), ReadingKind.weight),
            (Quantity(128, .kilogram), .systolic),
            (Quantity(68, .kilopascal), .pulse),
            (Quantity(80, .beatsPerMinute), .diastolic),
        ])
    func wrongDimension(quantity: Quantity, kind: ReadingKind) {
        #expect(quantity.canonical(for: kind) == nil)
    }

    @Test(
        "device and standard spellings of units",
        arguments: [
            ("kg", MeasurementUnit.kilogram), ("[lb_av]", .pound), ("lbs", .pound), ("mm[Hg]", .millimetreOfMercury),
            ("mmHg", .millimetreOfMercury), ("kPa", .kilopascal), ("/min", .beatsPerMinute),
            ("beats/min", .beatsPerMinute),
        ])
    func spelling(text: String, unit: MeasurementUnit) {
        #expect(MeasurementUnit(spelling: text) == unit)
    }

    @Test(
        "a spelling in another case or with spaces around names the same unit",
        arguments: [
            ("KG", MeasurementUnit.kilogram), (" kg ", .kilogram), ("Kilograms", .kilogram), ("G", .gram),
            ("[LB_AV]", .pound), ("\tlb", .pound), ("MMHG", .millimetreOfMercury), ("mm Hg ", .millimetreOfMercury),
            (" mmHg", .millimetreOfMercury), ("KPA", .kilopascal), ("kpa", .kilopascal), ("BPM", .beatsPerMinute),
            ("Beats per Minute", .beatsPerMinute), (" /min ", .beatsPerMinute),
        ])
    func spellingInAnyCase(text: String, unit: MeasurementUnit) {
        #expect(MeasurementUnit(spelling: text) == unit)
    }

    @Test(
        "unknown spellings are refused",
        arguments: ["st", "stone", "", "mmol/L", "kgf", " ", "k g", "mm", "KGF", "bpm/min"])
    func unknownSpelling(text: String) {
        #expect(MeasurementUnit(spelling: text) == nil)
    }

    @Test("display rounds kg to one decimal and mmHg to whole numbers")
    func display() {
        #expect(Quantity(82.4177, .kilogram).description == "82.4 kg")
        #expect(Quantity(128.26, .millimetreOfMercury).description == "128 mmHg")
        #expect(Quantity(-0.05, .kilogram).description == "-0.1 kg")
    }
}

@Suite struct QuantityFormatTests {
    @Test(
        "formatting never traps, however large the number (a fuzz finding)",
        arguments: [(1e209, 1, "1e+209"), (-1e209, 0, "-1e+209"), (82.44, 1, "82.4"), (Double.infinity, 1, "inf")])
    func format(value: Double, decimals: Int, text: String) {
        #expect(Quantity.format(value, decimals: decimals) == text)
    }
}
