/// The precise matchers `SecretScanner` runs at a trigger byte, over JSON text in a buffer.
///
/// Each returns the finding (the bytes to take out) or nil; none reads outside `lower..<upper`.
struct SecretText {
    let bytes: UnsafeBufferPointer<UInt8>
    let lower: Int
    let upper: Int

    @inline(__always) func byte(_ index: Int) -> UInt8? {
        index >= lower && index < upper ? bytes[index] : nil
    }

    func hasPrefix(_ literal: [UInt8], at index: Int) -> Bool {
        guard index + literal.count <= upper else { return false }
        for offset in 0..<literal.count where bytes[index + offset] != literal[offset] { return false }
        return true
    }

    func hasPrefix(_ literal: StaticString, at index: Int) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard index + count <= upper else { return false }
        let start = literal.utf8Start
        for offset in 0..<count where bytes[index + offset] != start[offset] { return false }
        return true
    }

    static func isAlnum(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    static func isUpperOrDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A)
    }

    static func isBase64URL(_ byte: UInt8) -> Bool {
        isAlnum(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    static func isBase64(_ byte: UInt8) -> Bool {
        isAlnum(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "=")
    }

    /// The end of the run of bytes from `index` that `member` accepts (at most `limit` long).
    func run(from index: Int, limit: Int = 4096, _ member: (UInt8) -> Bool) -> Int {
        var end = index
        let stop = min(upper, index + limit)
        while end < stop, member(bytes[end]) { end += 1 }
        return end
    }

    /// True when the byte before `index` does not continue a word of `member` bytes.
    func startsWord(_ index: Int, _ member: (UInt8) -> Bool) -> Bool {
        guard let before = byte(index - 1) else { return true }
        return !member(before)
    }

    // MARK: Cloud keys

    /// AWS access key id: AKIA, ASIA, ABIA or ACCA, then 16 of A–Z and 0–9.
    func awsKey(at index: Int) -> GuardFinding? {
        guard
            hasPrefix("AKIA", at: index) || hasPrefix("ASIA", at: index) || hasPrefix("ABIA", at: index)
                || hasPrefix("ACCA", at: index),
            startsWord(index, Self.isAlnum)
        else { return nil }
        let end = run(from: index + 4, limit: 17, Self.isUpperOrDigit)
        guard end - index == 20, byte(end).map({ !Self.isAlnum($0) }) ?? true,
            // AWS's documented example key (AKIAIOSFODNN7EXAMPLE) and its kin.
            !hasPrefix("EXAMPLE", at: end - 7)
        else { return nil }
        return GuardFinding(rule: "aws-access-key", range: index..<end)
    }

    /// Google API key: AIza and 35 of base64url.
    func gcpKey(at index: Int) -> GuardFinding? {
        guard hasPrefix("AIza", at: index), startsWord(index, Self.isBase64URL) else { return nil }
        let end = run(from: index + 4, limit: 36, Self.isBase64URL)
        guard end - index == 39 else { return nil }
        return GuardFinding(rule: "gcp-api-key", range: index..<end)
    }

    /// Azure storage account key in a connection string: the base64 after `AccountKey=`.
    func azureKey(at index: Int) -> GuardFinding? {
        guard hasPrefix("AccountKey=", at: index) else { return nil }
        let start = index + 11
        let end = run(from: start, limit: 128, Self.isBase64)
        guard end - start >= 40 else { return nil }
        return GuardFinding(rule: "azure-storage-key", range: start..<end)
    }

    // MARK: Tokens

    /// GitHub: ghp_, gho_, ghu_, ghs_, ghr_ and 36 or more alphanumerics; github_pat_ and 22 or more.
    func githubToken(at index: Int) -> GuardFinding? {
        guard startsWord(index, { Self.isAlnum($0) || $0 == UInt8(ascii: "_") }) else { return nil }
        if hasPrefix("github_pat_", at: index) {
            let end = run(from: index + 11, limit: 255) { Self.isAlnum($0) || $0 == UInt8(ascii: "_") }
            return end - index >= 33 ? GuardFinding(rule: "github-token", range: index..<end) : nil
        }
        guard hasPrefix("gh", at: index), let kind = byte(index + 2), "pousr".utf8.contains(kind),
            byte(index + 3) == UInt8(ascii: "_")
        else { return nil }
        let end = run(from: index + 4, limit: 255, Self.isAlnum)
        guard end - index >= 40, byte(end).map({ $0 != UInt8(ascii: "_") }) ?? true else { return nil }
        return GuardFinding(rule: "github-token", range: index..<end)
    }

    /// GitLab personal access token: glpat- and 20 or more of base64url.
    func gitlabToken(at index: Int) -> GuardFinding? {
        guard hasPrefix("glpat-", at: index), startsWord(index, Self.isAlnum) else { return nil }
        let end = run(from: index + 6, limit: 255, Self.isBase64URL)
        return end - index >= 26 ? GuardFinding(rule: "gitlab-token", range: index..<end) : nil
    }

    /// Slack: xoxb-, xoxp-, xoxa-, xoxo-, xoxr-, xoxs- and 10 or more of letters, digits and '-'.
    func slackToken(at index: Int) -> GuardFinding? {
        guard hasPrefix("xox", at: index), let kind = byte(index + 3), "bpaors".utf8.contains(kind),
            byte(index + 4) == UInt8(ascii: "-"), startsWord(index, Self.isAlnum)
        else { return nil }
        let end = run(from: index + 5, limit: 255) { Self.isAlnum($0) || $0 == UInt8(ascii: "-") }
        // Real tokens have digit groups: a word like "xoxo-hugs-and-kisses" is not one.
        var digits = 0
        for offset in (index + 5)..<end where bytes[offset] >= 0x30 && bytes[offset] <= 0x39 { digits += 1 }
        return end - index >= 15 && digits >= 4 ? GuardFinding(rule: "slack-token", range: index..<end) : nil
    }

    /// A JWT: three base64url parts joined by dots, the first two starting eyJ (`{"`), the
    /// signature at least 16 long (an unsigned token carries no credential). The trigger is the J.
    func jwt(at index: Int, floor: Int) -> GuardFinding? {
        let start = index - 2
        guard start >= floor, hasPrefix("eyJ", at: start),
            startsWord(start, { Self.isBase64URL($0) || $0 == UInt8(ascii: ".") })
        else { return nil }
        let headerEnd = run(from: start, Self.isBase64URL)
        guard headerEnd - start >= 10, byte(headerEnd) == UInt8(ascii: "."), hasPrefix("eyJ", at: headerEnd + 1)
        else { return nil }
        let payloadEnd = run(from: headerEnd + 1, limit: 65536, Self.isBase64URL)
        guard payloadEnd - headerEnd > 10, byte(payloadEnd) == UInt8(ascii: ".") else { return nil }
        let signatureEnd = run(from: payloadEnd + 1, Self.isBase64URL)
        guard signatureEnd - payloadEnd > 16 else { return nil }
        return GuardFinding(rule: "jwt", range: start..<signatureEnd)
    }

    // MARK: Private keys, passwords

    /// A PEM private key from `-----BEGIN … PRIVATE KEY-----` to its END line (or the string's end,
    /// when cut). The trigger is the B.
    func privateKey(at index: Int, floor: Int) -> GuardFinding? {
        let start = index - 5
        guard start >= floor, hasPrefix("-----BEGIN ", at: start) else { return nil }
        // The label: up to 64 bytes to the closing dashes.
        var labelEnd = index + 6
        while labelEnd < min(upper, index + 70), bytes[labelEnd] != UInt8(ascii: "-") { labelEnd += 1 }
        guard hasPrefix("-----", at: labelEnd) else { return nil }
        let label = UnsafeBufferPointer(rebasing: bytes[(index + 6)..<labelEnd])
        guard Self.endsWith(label, "PRIVATE KEY") || Self.endsWith(label, "PRIVATE KEY BLOCK") else { return nil }
        // To the END line over a key's body: base64, line breaks (escaped), and the headers of a
        // legacy encrypted key (`Proc-Type: 4,ENCRYPTED`, `DEK-Info: AES-128-CBC,…`). Anything else
        // (prose that mentions the header) is not a key. A body cut by the string's end still is
        // one when it is long enough.
        var cursor = labelEnd + 5
        var body = 0
        while cursor < min(upper, labelEnd + 65536) {
            let byte = bytes[cursor]
            if byte == UInt8(ascii: "\\") {
                guard let next = self.byte(cursor + 1), "nrt".utf8.contains(next) else { return nil }
                cursor += 2
                continue
            }
            if byte == UInt8(ascii: "-") {
                guard hasPrefix("-----END ", at: cursor), body >= 16 else { return nil }
                var close = cursor + 9
                while close < min(upper, cursor + 90), bytes[close] != UInt8(ascii: "-") { close += 1 }
                guard hasPrefix("-----", at: close) else { return nil }
                return GuardFinding(rule: "private-key", range: start..<(close + 5))
            }
            if byte == UInt8(ascii: "\"") { break }
            guard
                Self.isBase64(byte) || byte == UInt8(ascii: " ") || byte == UInt8(ascii: ":")
                    || byte == UInt8(ascii: ",")
            else { return nil }
            body += 1
            cursor += 1
        }
        return body >= 64 ? GuardFinding(rule: "private-key", range: start..<cursor) : nil
    }

    private static func endsWith(_ text: UnsafeBufferPointer<UInt8>, _ suffix: StaticString) -> Bool {
        let count = suffix.utf8CodeUnitCount
        guard text.count >= count else { return false }
        for offset in 0..<count where text[text.count - count + offset] != suffix.utf8Start[offset] { return false }
        return true
    }

    /// Words documentation writes where a password goes.
    static let placeholders: Set<String> = ["password", "passwd", "pass", "pwd", "secret", "changeme", "yourpassword"]

    static let databaseSchemes: Set<String> = [
        "postgres", "postgresql", "mysql", "mariadb", "mongodb", "redis", "rediss", "amqp", "amqps", "mssql",
        "sqlserver", "oracle", "clickhouse", "cockroachdb", "couchdb", "neo4j", "cassandra", "memcached",
    ]

    /// The password of a database URL (`scheme://user:password@host`); the trigger is the @, and
    /// only the password is taken out. Placeholders (`***`, `${VAR}`, `<password>`) are left.
    func databasePassword(at index: Int, floor: Int) -> GuardFinding? {
        // Back to "://" over user info (no quote, space, slash, @ or escape in it).
        var cursor = index - 1
        let lowest = max(floor, index - 256)
        while cursor >= lowest + 2 {
            let byte = bytes[cursor]
            if byte == UInt8(ascii: "/") { break }
            if byte <= 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "@") || byte == UInt8(ascii: "\\") {
                return nil
            }
            cursor -= 1
        }
        guard cursor >= lowest + 2, hasPrefix("://", at: cursor - 2) else { return nil }
        let userStart = cursor + 1
        var colon = userStart
        while colon < index, bytes[colon] != UInt8(ascii: ":") { colon += 1 }
        guard colon < index - 1 else { return nil }
        let password = (colon + 1)..<index
        // The scheme: letters, digits, '+', '.', '-' before "://"; before any '+' it must be a database's.
        let schemeEnd = cursor - 2
        var schemeStart = schemeEnd
        while schemeStart > max(lowest, schemeEnd - 32), let byte = self.byte(schemeStart - 1),
            Self.isAlnum(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
        {
            schemeStart -= 1
        }
        let scheme = String(decoding: UnsafeBufferPointer(rebasing: bytes[schemeStart..<schemeEnd]), as: UTF8.self)
        guard let family = scheme.lowercased().split(separator: "+").first,
            Self.databaseSchemes.contains(String(family))
        else { return nil }
        let value = UnsafeBufferPointer(rebasing: bytes[password])
        if value.allSatisfy({ $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "x") || $0 == UInt8(ascii: "X") })
            || value.first == UInt8(ascii: "$") || value.first == UInt8(ascii: "<")
            || value.first == UInt8(ascii: "{") || value.first == UInt8(ascii: "%")
            || Self.placeholders.contains(String(decoding: value, as: UTF8.self).lowercased())
        {
            return nil
        }
        return GuardFinding(rule: "database-url", range: password)
    }

    // MARK: Hygiene

    /// The length of an invisible character's UTF-8 bytes at `index`, if one starts there.
    func invisibleScalar(at index: Int) -> Int? {
        let lead = bytes[index]
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0
        guard length > 0, index + length <= upper else { return nil }
        var value = UInt32(lead) & (length == 4 ? 0x07 : length == 3 ? 0x0F : 0x1F)
        for offset in 1..<length {
            let next = bytes[index + offset]
            guard next & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(next & 0x3F)
        }
        guard let scalar = Unicode.Scalar(value), DescriptionText.isInvisible(scalar) else { return nil }
        return length
    }

    /// The length of a `\uXXXX` escape (or a surrogate pair of two) of an invisible character.
    func invisibleEscape(at index: Int) -> Int? {
        guard let first = hexEscape(at: index) else { return nil }
        if first >= 0xD800 && first < 0xDC00 {
            guard let low = hexEscape(at: index + 6), low >= 0xDC00 && low < 0xE000 else { return nil }
            let value = 0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00)
            return Unicode.Scalar(value).map(DescriptionText.isInvisible) == true ? 12 : nil
        }
        return Unicode.Scalar(first).map(DescriptionText.isInvisible) == true ? 6 : nil
    }

    private func hexEscape(at index: Int) -> UInt32? {
        guard index + 6 <= upper, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
            return nil
        }
        var value: UInt32 = 0
        for offset in 2..<6 {
            let byte = bytes[index + offset]
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case 0x41...0x46: digit = byte - 0x41 + 10
            case 0x61...0x66: digit = byte - 0x61 + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    // MARK: Operator patterns

    /// The length of the operator's regex matched from `index` (within 1 KiB, not past the string).
    func regexMatch(_ source: String, at index: Int) -> Int? {
        var end = index
        while end < min(upper, index + 1024), bytes[end] != UInt8(ascii: "\"") { end += 1 }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[index..<end]), as: UTF8.self)
        guard let regex = try? Regex(source), let match = try? regex.prefixMatch(in: text) else { return nil }
        let length = text[..<match.range.upperBound].utf8.count
        return length > 0 ? length : nil
    }
}
