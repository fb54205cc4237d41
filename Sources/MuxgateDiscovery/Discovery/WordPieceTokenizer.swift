import Foundation

/// BERT's tokenizer: basic tokenization (cleaning, CJK spacing, accent stripping, lowercasing,
/// whitespace and punctuation splitting), then greedy longest-match WordPiece with `##` pieces.
///
/// Follows Hugging Face `tokenizers`' `BertNormalizer` + `BertPreTokenizer` + `WordPiece`, the
/// reference the tests compare with (`Tests/MuxgateCoreTests/Fixtures/discovery/tokenizer-*.json`).
package struct WordPieceTokenizer: Sendable {
    /// How text is normalized before it is split (the model's `tokenizer.json` normalizer).
    package struct Options: Sendable, Equatable {
        package var lowercase = true
        package var stripAccents = true
        package var tokenizeChineseChars = true
        package var cleanText = true
        package var maxInputCharsPerWord = 100
        package var continuingSubwordPrefix = "##"

        package init() {}
    }

    package let options: Options
    private let ids: [String: Int32]
    package let unknownID: Int32
    package let classID: Int32
    package let separatorID: Int32

    /// - Parameters:
    ///   - vocabulary: the tokens in id order.
    /// - Throws: `DiscoveryError` when `[UNK]`, `[CLS]` or `[SEP]` is missing.
    package init(vocabulary: [String], options: Options = Options()) throws {
        var ids: [String: Int32] = [:]
        ids.reserveCapacity(vocabulary.count)
        for (index, token) in vocabulary.enumerated() where ids[token] == nil {
            ids[token] = Int32(index)
        }
        func special(_ token: String) throws -> Int32 {
            guard let id = ids[token] else {
                throw DiscoveryError(.invalidModel, "the vocabulary has no \(token) token")
            }
            return id
        }
        self.ids = ids
        self.options = options
        unknownID = try special("[UNK]")
        classID = try special("[CLS]")
        separatorID = try special("[SEP]")
    }

    /// The id of one vocabulary token, if it is one.
    package func id(of token: String) -> Int32? { ids[token] }

    /// The ids the model reads: `[CLS]`, the text's pieces (at most `maxLength - 2`), `[SEP]`.
    package func encode(_ text: String, maxLength: Int = 256) -> [Int32] {
        var result: [Int32] = [classID]
        result.reserveCapacity(min(maxLength, text.utf8.count / 3 + 8))
        let budget = max(0, maxLength - 2)
        for word in words(text) {
            if result.count - 1 >= budget { break }
            appendPieces(of: word, to: &result)
        }
        if result.count - 1 > budget { result.removeSubrange((budget + 1)...) }
        result.append(separatorID)
        return result
    }

    /// The text's pieces as strings (for tests and diagnostics).
    package func tokenize(_ text: String) -> [String] {
        var pieces: [Int32] = []
        for word in words(text) { appendPieces(of: word, to: &pieces) }
        let tokens = Dictionary(uniqueKeysWithValues: ids.map { ($1, $0) })
        return pieces.map { tokens[$0] ?? "[UNK]" }
    }

    // MARK: - Basic tokenization

    /// The normalized words: split on whitespace, every punctuation character a word of its own.
    package func words(_ text: String) -> [String] {
        var normalized = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if options.cleanText {
                if scalar.value == 0 || scalar.value == 0xFFFD || Self.isControl(scalar) { continue }
                if Self.isWhitespace(scalar) {
                    normalized.append(" ")
                    continue
                }
            }
            if options.tokenizeChineseChars && Self.isChinese(scalar) {
                normalized.append(" ")
                normalized.append(scalar)
                normalized.append(" ")
            } else {
                normalized.append(scalar)
            }
        }
        var string = String(normalized)
        if options.stripAccents {
            var stripped = String.UnicodeScalarView()
            for scalar in string.decomposedStringWithCanonicalMapping.unicodeScalars
            where scalar.properties.generalCategory != .nonspacingMark {
                stripped.append(scalar)
            }
            string = String(stripped)
        }
        if options.lowercase {
            var lowered = String.UnicodeScalarView()
            for scalar in string.unicodeScalars {
                if scalar.isASCII {
                    lowered.append(
                        scalar.value >= 65 && scalar.value <= 90 ? Unicode.Scalar(scalar.value + 32)! : scalar
                    )
                } else {
                    lowered.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
                }
            }
            string = String(lowered)
        }

        var words: [String] = []
        var current = String.UnicodeScalarView()
        func flush() {
            if !current.isEmpty {
                words.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        for scalar in string.unicodeScalars {
            if Self.isWhitespace(scalar) {
                flush()
            } else if Self.isPunctuation(scalar) {
                flush()
                words.append(String(Character(scalar)))
            } else {
                current.append(scalar)
            }
        }
        flush()
        return words
    }

    // MARK: - WordPiece

    private func appendPieces(of word: String, to result: inout [Int32]) {
        let scalars = Array(word.unicodeScalars)
        if scalars.count > options.maxInputCharsPerWord {
            result.append(unknownID)
            return
        }
        var pieces: [Int32] = []
        var start = 0
        while start < scalars.count {
            var end = scalars.count
            var found: Int32?
            while start < end {
                var candidate = start > 0 ? options.continuingSubwordPrefix : ""
                candidate.unicodeScalars.append(contentsOf: scalars[start..<end])
                if let id = ids[candidate] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else {
                result.append(unknownID)
                return
            }
            pieces.append(id)
            start = end
        }
        result.append(contentsOf: pieces)
    }

    // MARK: - Character classes (as `tokenizers` defines them)

    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\t", "\n", "\r", " ": return true
        default: return scalar.value > 127 && scalar.properties.isWhitespace
        }
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\t", "\n", "\r": return false
        default:
            switch scalar.properties.generalCategory {
            case .control, .format, .unassigned, .privateUse, .surrogate: return true
            default: return false
            }
        }
    }

    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if (33...47).contains(value) || (58...64).contains(value) || (91...96).contains(value)
            || (123...126).contains(value)
        {
            return true
        }
        if value < 128 { return false }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .closePunctuation, .finalPunctuation, .initialPunctuation,
            .otherPunctuation, .openPunctuation:
            return true
        default: return false
        }
    }

    static func isChinese(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
            0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default: return false
        }
    }
}
