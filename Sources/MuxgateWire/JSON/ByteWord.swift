/// Eight bytes of a JSON text tested at once: the string encoder copies a word that holds nothing
/// to escape, and the scanners skip one that holds nothing they must look at, walking byte by
/// byte only one that does (past a string's first 16 bytes: most strings end sooner).
///
/// Each test is exact for the word as a whole (the classic "has a zero byte" and "has a byte less
/// than n" tricks): a borrow can mark a byte above a true match, never a word without one.
package enum ByteWord {
    @usableFromInline static let ones: UInt64 = 0x0101_0101_0101_0101
    @usableFromInline static let highs: UInt64 = 0x8080_8080_8080_8080

    /// The eight bytes at `index` (unaligned).
    @inline(__always)
    package static func load(_ bytes: UnsafeBufferPointer<UInt8>, _ index: Int) -> UInt64 {
        UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self)
    }

    /// Whether any byte of `word` equals `byte`.
    @inline(__always)
    package static func has(_ word: UInt64, _ byte: UInt8) -> Bool {
        let x = word ^ (ones &* UInt64(byte))
        return (x &- ones) & ~x & highs != 0
    }

    /// Whether any byte of `word` is below 0x20 (a control character).
    @inline(__always)
    package static func hasControl(_ word: UInt64) -> Bool {
        (word &- ones &* 0x20) & ~word & highs != 0
    }

    /// Whether any byte of `word` is a quote, a backslash or a control character: what a JSON
    /// string cannot hold as it is.
    @inline(__always)
    package static func needsEscape(_ word: UInt64) -> Bool {
        hasControl(word) || has(word, UInt8(ascii: "\"")) || has(word, UInt8(ascii: "\\"))
    }

    /// Whether every byte of `word` is printable ASCII other than a quote or a backslash: plain
    /// string content that needs no validation.
    @inline(__always)
    package static func isPlainText(_ word: UInt64) -> Bool {
        word & highs == 0 && !needsEscape(word)
    }
}
