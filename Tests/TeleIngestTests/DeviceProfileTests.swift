import DevicePayloads
import Foundation
import Testing
import Vitals

@testable import TeleIngest

@Suite struct DeviceProfileTests {
    /// The profile files in `device-profiles/`. A folder that cannot be listed, or holds no
    /// profile, becomes one case named after the problem, which fails: never zero cases.
    static let shipped: [String] = {
        let folder = Paths.deviceProfiles.path
        do {
            let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }
            return files.isEmpty ? ["no .yaml file in \(folder)"] : files.sorted()
        } catch {
            return ["cannot list \(folder): \(error)"]
        }
    }()

    @Test("every shipped profile loads and its samples give the readings they promise", arguments: shipped)
    func samples(file: String) throws {
        try #require(file.hasSuffix(".yaml"), "\(file)")
        let profile = try DeviceProfile.load(from: Paths.deviceProfiles.appendingPathComponent(file))
        #expect(!profile.samples.isEmpty, "a profile must ship sample payloads")
        let set = try TestCohort.profiles()
        let onlyThis = DeviceProfileSet(set.profiles.filter { $0.id == profile.id })
        #expect(SampleCheck.run(onlyThis) == [])
        // Through the whole set too: no earlier profile steals this profile's messages.
        let failures = SampleCheck.run(set).filter { $0.contains(file) }
        #expect(failures == [])
    }

    @Test("the shipped profiles cover kg, lb, mmHg, kPa, IEEE 11073 and Open mHealth, and every timestamp format")
    func coverage() throws {
        let profiles = try TestCohort.profiles().profiles
        #expect(profiles.count >= 6)
        var units: Set<MeasurementUnit> = []
        var formats: Set<TimestampFormat> = []
        var observationProfiles = 0
        for profile in profiles {
            if let time = profile.time { formats.insert(time.format) }
            switch profile.content {
            case .fields(let fields):
                for field in fields {
                    if case .fixed(let unit) = field.unit { units.insert(unit) }
                }
            case .observations(let list):
                observationProfiles += 1
                units.formUnion(list.units.values)
                formats.insert(list.timeFormat)
            }
        }
        #expect(units.isSuperset(of: [.pound, .kilopascal, .beatsPerMinute]))
        #expect(observationProfiles >= 1)
        #expect(formats == Set(TimestampFormat.allCases))
        #expect(profiles.contains { $0.id.contains("openmhealth") })
    }

    static let validProfile = """
        id: test-scale
        name: Test scale
        match:
          topic: "test/{serial}/scale"
        time:
          field: ts
          format: iso8601
        measurements:
          - kind: weight
            value: w
            unit: kg
        plausible:
          weight: {min: 20, max: 350}
        """

    @Test(
        "a broken profile is refused with the field and what was expected",
        arguments: [
            (
                "kind: weight", "kind: wieght", "measurements.0.kind",
                "expected one of weight, systolic, diastolic, pulse, found 'wieght'"
            ),
            ("unit: kg", "unit: stone", "measurements.0.unit", "found 'stone'"),
            ("unit: kg", "unit: mmHg", "measurements.0.unit", "mmHg cannot express weight"),
            ("format: iso8601", "format: rfc822", "time.format", "found 'rfc822'"),
            ("\"test/{serial}/scale\"", "\"test/#/scale\"", "match.topic", "MQTT topic pattern"),
            ("\"test/{serial}/scale\"", "\"test/+/scale\"", "serial", "is required when match.topic has no {serial}"),
            ("weight: {min: 20, max: 350}", "weight: {min: 350, max: 20}", "plausible.weight", "expected min < max"),
            ("weight: {min: 20, max: 350}", "pulse: {min: 20, max: 350}", "plausible.weight", "is required"),
            ("name: Test scale\n", "", "name", "is required but missing"),
            ("value: w", "value: a..b", "measurements.0.value", "dotted field path"),
        ])
    func broken(original: String, replacement: String, field: String, expected: String) throws {
        let text = Self.validProfile.replacingOccurrences(of: original, with: replacement)
        #expect(text != Self.validProfile)
        do {
            _ = try DeviceProfile.load(yaml: text, file: "device-profiles/test.yaml")
            Issue.record("the broken profile was accepted")
        } catch {
            let match = error.errors.first { $0.field == field }
            #expect(match != nil, "errors were: \(error.errors)")
            #expect(match?.file == "device-profiles/test.yaml")
            #expect(match?.expected.contains(expected) == true, "got: \(match?.expected ?? "")")
        }
    }

    @Test("the worked example in docs/DEVICE-PROFILES.md is a valid profile whose sample passes")
    func documentedExample() throws {
        let doc = try String(
            contentsOf: Paths.packageRoot.appendingPathComponent("docs/DEVICE-PROFILES.md"), encoding: .utf8)
        let start = try #require(doc.range(of: "1. Write `device-profiles/vita-bw5-grams.yaml`:\n\n   ```yaml\n"))
        let end = try #require(doc.range(of: "   ```", range: start.upperBound..<doc.endIndex))
        let yaml = doc[start.upperBound..<end.lowerBound].split(separator: "\n").map { $0.dropFirst(3) }.joined(
            separator: "\n")
        let profile = try DeviceProfile.load(yaml: yaml, file: "docs/DEVICE-PROFILES.md")
        #expect(SampleCheck.run(DeviceProfileSet([profile])) == [])
        #expect(profile.samples.count == 1)
    }

    @Test("the valid example loads")
    func valid() throws {
        let profile = try DeviceProfile.load(yaml: Self.validProfile, file: "test.yaml")
        #expect(profile.id == "test-scale")
    }

    @Test("YAML syntax errors name the file")
    func syntax() {
        #expect {
            try DeviceProfile.load(yaml: "id: [unclosed", file: "device-profiles/bad.yaml")
        } throws: { error in
            "\(error)".contains("device-profiles/bad.yaml") && "\(error)".contains("YAML")
        }
    }

    @Test("two profiles with one id are refused, naming both files")
    func duplicateIDs() async throws {
        try await withTemporaryDirectory { directory in
            try Self.validProfile.write(
                to: directory.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
            try Self.validProfile.write(
                to: directory.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
            #expect {
                try DeviceProfileSet.load(directory: directory)
            } throws: { error in
                "\(error)".contains("b.yaml") && "\(error)".contains("a.yaml") && "\(error)".contains("unique")
            }
        }
    }

    @Test("a folder without profiles is refused")
    func emptyFolder() async throws {
        try await withTemporaryDirectory { directory in
            #expect(throws: ConfigurationErrors.self) { try DeviceProfileSet.load(directory: directory) }
        }
    }
}
