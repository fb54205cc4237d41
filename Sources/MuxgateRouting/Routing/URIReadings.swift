import MuxgateAudit
import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
import MuxgateTelemetry
import MuxgateWire

/// The forms in which a child might read one resource URI, for filters that must hold whichever
/// it uses.
///
/// A `resources.deny` glob written as `memo://secret` must also refuse `MEMO://secret`,
/// `memo://%73ecret`, `memo://secret/.`, `memo://x/../secret` and `memo://secret?v=2`: servers
/// normalize URIs differently (or look only at the path), and a filter that matches one spelling
/// is talked around by another. So a URI is judged as written and in a normal form: RFC 3986's
/// syntax-based normalization (§6.2.2: scheme and authority in lowercase, percent-encoding
/// decoded, dot segments removed) with repeated slashes in the path collapsed and the query and
/// fragment dropped. A filter admits the URI only if it admits every form.
package enum URIReadings {
    /// The URI as written, and its normal form when that differs.
    package static func of(_ uri: String) -> [String] {
        let normal = normalize(uri)
        return normal == uri ? [uri] : [uri, normal]
    }

    /// The normal form (see the type's documentation).
    package static func normalize(_ uri: String) -> String {
        var text = uri
        // Decoded until it stops changing (at most a few rounds): `%2573` is `%73` is `s` to a
        // server that decodes twice.
        for _ in 0..<4 {
            let decoded = percentDecoded(text)
            if decoded == text { break }
            text = decoded
        }
        if let cut = text.firstIndex(where: { $0 == "?" || $0 == "#" }) { text = String(text[..<cut]) }
        guard let colon = text.firstIndex(of: ":"),
            text[..<colon].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }),
            text.first?.isLetter == true
        else { return removingDotSegments(text) }
        let scheme = text[..<colon].lowercased()
        var rest = text[text.index(after: colon)...]
        var authority = ""
        if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
            let end = rest.firstIndex(of: "/") ?? rest.endIndex
            authority = "//" + rest[..<end].lowercased()
            rest = rest[end...]
        }
        let path = removingDotSegments(String(rest))
        // `memo://secret/` is `memo://secret` to many servers.
        return scheme + ":" + authority + (authority.isEmpty || path != "/" ? path : "")
    }

    /// `%XX` decoded wherever the bytes make UTF-8; the text unchanged when they would not.
    package static func percentDecoded(_ text: String) -> String {
        guard text.contains("%") else { return text }
        var bytes: [UInt8] = []
        let source = Array(text.utf8)
        var i = 0
        while i < source.count {
            if source[i] == UInt8(ascii: "%"), i + 2 < source.count, let high = hex(source[i + 1]),
                let low = hex(source[i + 2])
            {
                bytes.append(high << 4 | low)
                i += 3
            } else {
                bytes.append(source[i])
                i += 1
            }
        }
        return String(validating: bytes, as: UTF8.self) ?? text
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// A path with `.` and `..` segments resolved (RFC 3986 §5.2.4) and empty segments dropped,
    /// keeping a leading `/`.
    package static func removingDotSegments(_ path: String) -> String {
        var output: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": _ = output.popLast()
            default: output.append(segment)
            }
        }
        let joined = output.joined(separator: "/")
        return path.hasPrefix("/") ? "/" + joined : joined
    }
}
