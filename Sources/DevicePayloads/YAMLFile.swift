import Foundation
import Yams

/// Reads a YAML file into a `Decodable` type and turns every failure into a `ConfigurationError`
/// that names the file, the field and the expectation (with the line for syntax errors).
package enum YAMLFile {
    package static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws(ConfigurationError) -> T {
        try decode(type, from: try text(of: url), file: url.path)
    }

    /// The file's text. A missing file is reported as missing (for a shipped default, with where
    /// it was looked for; `setting` names it), an unreadable one as unreadable, and only a file
    /// that is there and readable but not UTF-8 as "not UTF-8 text".
    package static func text(of url: URL, setting: String = "file") throws(ConfigurationError) -> String {
        let path = url.path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw ConfigurationError(
                file: path, field: "", expected: ShippedFiles.current.missing(path, setting: setting))
        }
        guard !isFolder.boolValue else {
            throw ConfigurationError(file: path, field: "", expected: "is a folder; expected a YAML file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(file: path, field: "", expected: "cannot be read (check its permissions)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(file: path, field: "", expected: "is not UTF-8 text; save it as UTF-8")
        }
        return text
    }

    package static func decode<T: Decodable>(_ type: T.Type, from text: String, file: String) throws(ConfigurationError)
        -> T
    {
        do {
            return try YAMLDecoder().decode(type, from: text)
        } catch let error as DecodingError {
            throw describe(error, file: file)
        } catch let error as YamlError {
            throw ConfigurationError(file: file, field: "", expected: "is not valid YAML: \(error)")
        } catch {
            throw ConfigurationError(file: file, field: "", expected: "cannot be read: \(error)")
        }
    }

    /// The line of the node at a dotted field path (`rules.2.parameters.days`), from the
    /// composed YAML; the closest enclosing node's line when the field itself is missing.
    public static func line(of field: String, in text: String) -> Int? {
        guard let root = try? Yams.compose(yaml: text) else { return nil }
        var node = root
        var line = root.mark?.line
        for part in field.split(separator: ".").map(String.init) where !part.isEmpty {
            let next: Node?
            if let index = Int(part), case .sequence(let sequence) = node {
                next = index < sequence.count ? sequence[index] : nil
            } else {
                next = node[part]
            }
            guard let next else { break }
            node = next
            line = next.mark?.line ?? line
        }
        return line
    }

    static func describe(_ error: DecodingError, file: String) -> ConfigurationError {
        func path(_ codingPath: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            (codingPath + (last.map { [$0] } ?? [])).map { $0.intValue.map(String.init) ?? $0.stringValue }
                .joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return ConfigurationError(
                file: file, field: path(context.codingPath, key), expected: "is required but missing")
        case .typeMismatch(let type, let context):
            return ConfigurationError(
                file: file, field: path(context.codingPath), expected: "expected \(friendly(type))")
        case .valueNotFound(let type, let context):
            return ConfigurationError(
                file: file, field: path(context.codingPath), expected: "expected \(friendly(type)), found nothing")
        case .dataCorrupted(let context):
            return ConfigurationError(file: file, field: path(context.codingPath), expected: context.debugDescription)
        @unknown default:
            return ConfigurationError(file: file, field: "", expected: "\(error)")
        }
    }

    private static func friendly(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "text"
        case is Int.Type, is Int32.Type, is UInt32.Type, is Int64.Type: "a whole number"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        default:
            String(describing: type).hasPrefix("Array")
                ? "a list" : (String(describing: type).hasPrefix("Dictionary") ? "a mapping" : "\(type)")
        }
    }
}
