import MuxgateConfig
import MuxgateWire

/// PostgreSQL's `U&` escapes, and the text as the parse-tree layer reads it.
extension PostgresTokenizer {
    /// `sql` with every comment's bytes (newlines kept) turned into spaces, as PostgreSQL reads it —
    /// or nil when it does not tokenize. The parse-tree layer parses this: libpg_query 15 mistakes a
    /// comment inside a two-word look-ahead (`WITH /* */ ORDINALITY`, `U&'…' /* */ UESCAPE`) for a token.
    package static func withoutComments(_ sql: String) -> String? {
        var lexer = PostgresTokenizer(Array(sql.utf8))
        guard (try? lexer.tokens()) != nil else { return nil }
        var bytes = lexer.z
        for range in lexer.comments {
            for k in range where !isNewline(bytes[k]) { bytes[k] = 0x20 }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `\XXXX`, `\+XXXXXX` (surrogate pairs joined) and a doubled escape, with `escape` for `\`;
    /// nil for anything PostgreSQL rejects (a bad escape, a lone surrogate, U+0000).
    package static func decodeUnicode(_ raw: [UInt8], escape: UInt8) -> String? {
        func hex(_ from: Int, _ count: Int) -> UInt32? {
            guard from + count <= raw.count else { return nil }
            var value: UInt32 = 0
            for b in raw[from..<(from + count)] {
                guard let digit = UInt32(String(UnicodeScalar(b)), radix: 16) else { return nil }
                value = value * 16 + digit
            }
            return value
        }
        var out = ""
        var k = 0
        var high: UInt32?
        while k < raw.count {
            guard raw[k] == escape else {
                guard high == nil else { return nil }
                let end = raw[k...].firstIndex(of: escape) ?? raw.count
                out += String(decoding: raw[k..<end], as: UTF8.self)
                k = end
                continue
            }
            if k + 1 < raw.count, raw[k + 1] == escape {
                guard high == nil else { return nil }
                out.unicodeScalars.append(Unicode.Scalar(escape))
                k += 2
                continue
            }
            var code: UInt32
            if let value = hex(k + 1, 4) {
                code = value
                k += 5
            } else if k + 1 < raw.count, raw[k + 1] == UInt8(ascii: "+"), let value = hex(k + 2, 6) {
                code = value
                k += 8
            } else {
                return nil
            }
            if let first = high {
                guard (0xDC00...0xDFFF).contains(code) else { return nil }
                code = 0x10000 + ((first - 0xD800) << 10) + (code - 0xDC00)
                high = nil
            } else if (0xD800...0xDBFF).contains(code) {
                high = code
                continue
            } else if (0xDC00...0xDFFF).contains(code) {
                return nil
            }
            guard code != 0, let scalar = Unicode.Scalar(code) else { return nil }
            out.unicodeScalars.append(scalar)
        }
        return high == nil ? out : nil
    }
}
