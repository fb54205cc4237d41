import MuxgateAudit
import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
import MuxgateWire

/// The parameters of a `WWW-Authenticate: Bearer …` challenge (RFC 6750, RFC 9728): auth-params
/// in any order, values quoted (with `\` escapes) or bare tokens; only the Bearer challenge's.
package struct BearerChallenge: Sendable, Equatable {
    package var parameters: [String: String] = [:]

    package var resourceMetadata: String? { parameters["resource_metadata"] }
    package var scope: String? { parameters["scope"] }
    package var error: String? { parameters["error"] }

    package init?(_ header: String) {
        let text = Array(header.unicodeScalars)
        var index = 0
        func skipSpaces() { while index < text.count, text[index] == " " || text[index] == "\t" { index += 1 } }
        func token() -> String {
            var out = String.UnicodeScalarView()
            while index < text.count, !" \t,=".unicodeScalars.contains(text[index]) {
                out.append(text[index])
                index += 1
            }
            return String(out)
        }
        var inBearer = false
        var found = false
        while index < text.count {
            skipSpaces()
            let word = token()
            skipSpaces()
            if index < text.count, text[index] == "=" {
                index += 1
                skipSpaces()
                var value = String.UnicodeScalarView()
                if index < text.count, text[index] == "\"" {
                    index += 1
                    while index < text.count, text[index] != "\"" {
                        if text[index] == "\\", index + 1 < text.count { index += 1 }
                        value.append(text[index])
                        index += 1
                    }
                    index += 1
                } else {
                    value = token().unicodeScalars
                }
                if inBearer { parameters[word.lowercased()] = String(value) }
            } else if !word.isEmpty {
                // A new challenge's scheme (and maybe its first parameter right after a space).
                inBearer = word.lowercased() == "bearer"
                found = found || inBearer
                continue
            }
            skipSpaces()
            if index < text.count, text[index] == "," { index += 1 }
        }
        guard found else { return nil }
    }
}
