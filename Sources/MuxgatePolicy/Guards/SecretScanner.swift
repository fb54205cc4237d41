package import MuxgateConfig
import MuxgateWire

/// One thing a guard found in a message's bytes: which rule, and the bytes to take out.
package struct GuardFinding: Sendable, Equatable {
    /// A secret rule (`github-token`, a pattern's name) or `invisible` (hygiene).
    package let rule: String
    /// Offsets in the scanned buffer.
    package let range: Range<Int>

    package static let invisible = "invisible"
}

/// Finds credentials and invisible characters in JSON text in one pass, without a regex engine on
/// the path where nothing matches.
///
/// The pass looks each byte up in a 256-entry table of trigger bytes, each the rarest byte of a
/// format's fixed start: `A` (AKIA…, AIza…, AccountKey=), `g` (ghp_…, github_pat_…, glpat-…), `x`
/// (xox?-…), `J` (eyJ…, JWTs), `B` (-----BEGIN), `@` (user:password@ in a URL), the first byte of
/// each operator pattern's prefix and of each of muxgate's own secrets; with hygiene, `\` (escapes)
/// and the UTF-8 lead bytes of invisible characters. Only at a trigger does a precise matcher run.
/// A result without a finding costs the loop and allocates nothing.
///
/// It reads the bytes as they are in the message (JSON text): credential formats contain no byte
/// JSON escapes, and muxgate's own secrets are compared in their escaped form.
package final class SecretScanner: Sendable {
    static let secretFlag: UInt8 = 1
    static let hygieneFlag: UInt8 = 2

    /// A literal start: an operator pattern's prefix (then its regex), or one of muxgate's secrets.
    struct Literal: Sendable {
        let bytes: [UInt8]
        let rule: String
        /// Nil: the literal is the whole secret.
        let regex: String?
    }

    private let table: [UInt8]
    private let literals: [Literal]

    /// - Parameters:
    ///   - patterns: The operator's formats (`guards.patterns`).
    ///   - known: muxgate's configured secrets (`Secrets`), found wherever they appear.
    package init(patterns: [GuardsConfig.Pattern] = [], known: [String] = []) {
        var literals = patterns.map { Literal(bytes: Array($0.prefix.utf8), rule: $0.name, regex: $0.regex) }
        for secret in known where secret.utf8.count >= 6 {
            // As a JSON string holds it: quotes, backslashes and controls escaped.
            let escaped = JSONValue.quoted(secret)
            literals.append(Literal(bytes: Array(escaped[1..<(escaped.count - 1)]), rule: "muxgate-secret", regex: nil))
        }
        // Longest first: a secret that contains another is taken whole.
        self.literals = literals.sorted { $0.bytes.count > $1.bytes.count }
        var table = [UInt8](repeating: 0, count: 256)
        for byte in "AgxJB@".utf8 { table[Int(byte)] |= Self.secretFlag }
        for literal in literals { table[Int(literal.bytes[0])] |= Self.secretFlag }
        table[Int(UInt8(ascii: "\\"))] |= Self.hygieneFlag
        for lead in Self.invisibleLeads { table[Int(lead)] |= Self.hygieneFlag }
        self.table = table
    }

    /// The UTF-8 lead bytes of the characters `DescriptionText.isInvisible` names.
    static let invisibleLeads: Set<UInt8> = {
        var leads = Set<UInt8>()
        for value in UInt32(0x80)..<0x30000 {
            if let scalar = Unicode.Scalar(value), DescriptionText.isInvisible(scalar) {
                leads.insert(Array(String(Character(scalar)).utf8)[0])
            }
        }
        for value in UInt32(0xE0000)...0xE007F {
            leads.insert(Array(String(Character(Unicode.Scalar(value)!)).utf8)[0])
        }
        return leads
    }()

    /// Every finding in `range` of `buffer`, in order, none overlapping.
    ///
    /// - Parameters:
    ///   - secrets: Look for credentials.
    ///   - hygiene: Look for invisible characters (raw, or written as `\u` escapes).
    package func scan(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, secrets: Bool, hygiene: Bool)
        -> [GuardFinding]
    {
        let mask = (secrets ? Self.secretFlag : 0) | (hygiene ? Self.hygieneFlag : 0)
        guard mask != 0 else { return [] }
        var findings: [GuardFinding] = []
        table.withUnsafeBufferPointer { table in
            let text = SecretText(bytes: buffer, lower: range.lowerBound, upper: range.upperBound)
            var index = range.lowerBound
            var floor = range.lowerBound
            while index < range.upperBound {
                let byte = buffer[index]
                let flags = table[Int(byte)] & mask
                if flags == 0 {
                    index &+= 1
                    continue
                }
                if flags & Self.hygieneFlag != 0 {
                    if byte == UInt8(ascii: "\\") {
                        // An escape is two bytes (or six): the second never starts anything.
                        if let length = text.invisibleEscape(at: index) {
                            findings.append(GuardFinding(rule: GuardFinding.invisible, range: index..<(index + length)))
                            index += length
                            floor = index
                        } else {
                            index += text.byte(index + 1) == UInt8(ascii: "u") ? 6 : 2
                        }
                        continue
                    }
                    if byte >= 0x80 {
                        if let length = text.invisibleScalar(at: index) {
                            findings.append(GuardFinding(rule: GuardFinding.invisible, range: index..<(index + length)))
                            index += length
                            floor = index
                            continue
                        }
                        if flags & Self.secretFlag == 0 {
                            index += 1
                            continue
                        }
                    }
                }
                if flags & Self.secretFlag != 0, let found = match(text, at: index, byte: byte, floor: floor) {
                    findings.append(found)
                    index = found.range.upperBound
                    floor = index
                    continue
                }
                index &+= 1
            }
        }
        return findings
    }

    /// The built-in format a trigger byte starts (or ends, for `J` and `@`), else a literal.
    private func match(_ text: SecretText, at index: Int, byte: UInt8, floor: Int) -> GuardFinding? {
        let found: GuardFinding? =
            switch byte {
            // The byte after the trigger rules most candidates out before any matcher runs.
            case UInt8(ascii: "A"):
                switch text.byte(index + 1) {
                case UInt8(ascii: "K"), UInt8(ascii: "S"), UInt8(ascii: "B"), UInt8(ascii: "C"):
                    text.awsKey(at: index)
                case UInt8(ascii: "I"): text.gcpKey(at: index)
                case UInt8(ascii: "c"): text.azureKey(at: index)
                default: nil
                }
            case UInt8(ascii: "g"):
                switch text.byte(index + 1) {
                case UInt8(ascii: "h"), UInt8(ascii: "i"): text.githubToken(at: index)
                case UInt8(ascii: "l"): text.gitlabToken(at: index)
                default: nil
                }
            case UInt8(ascii: "x"): text.byte(index + 1) == UInt8(ascii: "o") ? text.slackToken(at: index) : nil
            case UInt8(ascii: "J"): text.jwt(at: index, floor: floor)
            case UInt8(ascii: "B"): text.privateKey(at: index, floor: floor)
            case UInt8(ascii: "@"): text.databasePassword(at: index, floor: floor)
            default: nil
            }
        if let found { return found }
        for literal in literals where literal.bytes[0] == byte {
            guard text.hasPrefix(literal.bytes, at: index) else { continue }
            guard let regex = literal.regex else {
                return GuardFinding(rule: literal.rule, range: index..<(index + literal.bytes.count))
            }
            if let length = text.regexMatch(regex, at: index) {
                return GuardFinding(rule: literal.rule, range: index..<(index + length))
            }
        }
        return nil
    }
}
