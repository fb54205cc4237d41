import Foundation
import MuxgateWire

/// A duration written as `10s`, `500ms`, `2m`, `1h` or a plain number of seconds.
package struct ConfigDuration: Sendable, Equatable, Decodable {
    package let duration: Duration

    package init(_ duration: Duration) { self.duration = duration }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let seconds = try? container.decode(Double.self) {
            guard seconds >= 0 else { throw Self.issue(decoder, "\(seconds)") }
            self.duration = .milliseconds(Int64(seconds * 1000))
            return
        }
        let text = try container.decode(String.self).trimmingCharacters(in: .whitespaces)
        guard let parsed = Self.parse(text) else { throw Self.issue(decoder, text) }
        self.duration = parsed
    }

    package static func parse(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            guard let number = Double(text.dropLast(suffix.count)), number >= 0 else { return nil }
            return .milliseconds(Int64(number * factor * 1000))
        }
        return nil
    }

    private static func issue(_ decoder: any Decoder, _ text: String) -> ConfigIssue {
        ConfigIssue(
            code: .invalidValue,
            path: ConfigIssue.keyPath(decoder.codingPath),
            message: "'\(text)' is not a duration (write e.g. 500ms, 10s, 2m or a number of seconds)"
        )
    }
}

/// A size written as `32MiB`, `64KiB`, `1GiB`, `512KB` or a plain number of bytes.
package struct ConfigByteSize: Sendable, Equatable, Decodable {
    package let bytes: Int

    package init(bytes: Int) { self.bytes = bytes }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            guard number > 0 else { throw Self.issue(decoder, "\(number)") }
            self.bytes = number
            return
        }
        let text = try container.decode(String.self).trimmingCharacters(in: .whitespaces)
        let units: [(String, Int)] = [
            ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1000), ("MB", 1_000_000),
            ("GB", 1_000_000_000), ("B", 1),
        ]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let number = Double(text.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), number > 0 {
                self.bytes = Int(number * Double(factor))
                return
            }
        }
        throw Self.issue(decoder, text)
    }

    private static func issue(_ decoder: any Decoder, _ text: String) -> ConfigIssue {
        ConfigIssue(
            code: .invalidValue,
            path: ConfigIssue.keyPath(decoder.codingPath),
            message: "'\(text)' is not a size (write e.g. 32MiB, 512KiB or a number of bytes)"
        )
    }
}
