import Foundation

/// How text becomes BM25 terms: identifiers split into words, lowercased, accents folded, English
/// function words dropped and a light suffix stemmer applied; Chinese, Japanese and Korean text as
/// single characters and overlapping pairs of them (it has no spaces to split on).
package enum TextAnalyzer {
    /// An identifier's words, lowercased and space-separated: `getCommentTree` → `get comment tree`,
    /// `read_text_file` → `read text file`, `HTTPServer404` → `http server 404`.
    package static func words(ofIdentifier identifier: String) -> String {
        var words: [String] = []
        forEachWord(in: identifier.unicodeScalars) { words.append(String(String.UnicodeScalarView($0)).lowercased()) }
        return words.joined(separator: " ")
    }

    /// The BM25 terms of a text, in order, repeats kept.
    package static func terms(_ text: String) -> [String] {
        var terms: [String] = []
        var cjk: [Unicode.Scalar] = []
        func flushCJK() {
            for (index, scalar) in cjk.enumerated() {
                terms.append(String(Character(scalar)))
                if index + 1 < cjk.count {
                    var pair = String.UnicodeScalarView()
                    pair.append(scalar)
                    pair.append(cjk[index + 1])
                    terms.append(String(pair))
                }
            }
            cjk.removeAll(keepingCapacity: true)
        }
        var run: [Unicode.Scalar] = []
        func flushRun() {
            guard !run.isEmpty else { return }
            forEachWord(in: run) { word in
                let folded = fold(word)
                if !folded.isEmpty && !stopWords.contains(folded) { terms.append(stem(folded)) }
            }
            run.removeAll(keepingCapacity: true)
        }
        for scalar in text.unicodeScalars {
            if isCJK(scalar) {
                flushRun()
                cjk.append(scalar)
            } else if scalar.properties.isAlphabetic || scalar.properties.numericType != nil
                || scalar.properties.generalCategory == .nonspacingMark
            {
                flushCJK()
                run.append(scalar)
            } else {
                flushRun()
                flushCJK()
            }
        }
        flushRun()
        flushCJK()
        return terms
    }

    /// Calls `body` with each word of a run of letters and digits: split at `_`, `-` and other
    /// separators, between a lowercase letter and an uppercase one (`getComment`), before the last
    /// capital of a run of capitals followed by a lowercase letter (`HTTPServer`), and between
    /// letters and digits (`error404`).
    static func forEachWord(in text: some Sequence<Unicode.Scalar>, _ body: ([Unicode.Scalar]) -> Void) {
        let scalars = Array(text)
        var word: [Unicode.Scalar] = []
        func flush() {
            if !word.isEmpty { body(word) }
            word.removeAll(keepingCapacity: true)
        }
        for (index, scalar) in scalars.enumerated() {
            let properties = scalar.properties
            let isLetter = properties.isAlphabetic
            let isDigit = properties.numericType != nil && !isLetter
            guard isLetter || isDigit || properties.generalCategory == .nonspacingMark else {
                flush()
                continue
            }
            if let previous = word.last {
                let previousIsDigit = previous.properties.numericType != nil && !previous.properties.isAlphabetic
                if previousIsDigit != isDigit {
                    flush()
                } else if properties.isUppercase {
                    if previous.properties.isLowercase {
                        flush()
                    } else if previous.properties.isUppercase, index + 1 < scalars.count,
                        scalars[index + 1].properties.isLowercase
                    {
                        flush()
                    }
                }
            }
            word.append(scalar)
        }
        flush()
    }

    /// Lowercased with accents removed (`Café` → `cafe`).
    static func fold(_ word: [Unicode.Scalar]) -> String {
        if word.allSatisfy(\.isASCII) {
            return String(String.UnicodeScalarView(word)).lowercased()
        }
        var folded = String.UnicodeScalarView()
        for scalar in String(String.UnicodeScalarView(word)).lowercased().decomposedStringWithCanonicalMapping
            .unicodeScalars
        where scalar.properties.generalCategory != .nonspacingMark {
            folded.append(scalar)
        }
        return String(folded)
    }

    /// A light English suffix stemmer: plurals, `-ed`, `-ing`, a final `e`, a doubled final
    /// consonant (`files`/`file` → `fil`, `listing` → `list`, `created`/`create` → `creat`).
    static func stem(_ word: String) -> String {
        guard word.count > 3, word.unicodeScalars.allSatisfy({ $0.isASCII && $0.properties.isAlphabetic }) else {
            return word
        }
        var w = Array(word.utf8)
        func ends(_ suffix: String) -> Bool {
            let s = Array(suffix.utf8)
            return w.count > s.count && Array(w.suffix(s.count)) == s
        }
        if ends("ies") && w.count > 4 {
            w.removeLast(3)
            w.append(UInt8(ascii: "y"))
        } else if ends("sses") {
            w.removeLast(2)
        } else if ends("ches") || ends("shes") || ends("xes") || ends("zes") {
            w.removeLast(2)
        } else if ends("s") && !ends("ss") && !ends("us") && !ends("is") {
            w.removeLast()
        }
        if ends("ing") && w.count >= 6 {
            w.removeLast(3)
        } else if ends("ed") && w.count >= 5 {
            w.removeLast(2)
        }
        if w.count >= 4 && w.last == UInt8(ascii: "e") {
            w.removeLast()
        }
        if w.count >= 4, let last = w.last, w[w.count - 2] == last, !"aeioulsz".utf8.contains(last) {
            w.removeLast()
        }
        return String(decoding: w, as: UTF8.self)
    }

    static func isCJK(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x3040...0x30FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xAC00...0xD7AF, 0xF900...0xFAFF, 0x20000...0x2FA1F:
            return true
        default:
            return false
        }
    }

    /// English function words: they match everything and say nothing about a tool.
    static let stopWords: Set<String> = [
        "a", "an", "the", "of", "to", "for", "in", "on", "at", "by", "with", "from", "into", "onto", "and", "or",
        "is", "are", "be", "been", "was", "were", "it", "its", "this", "that", "these", "those", "my", "me", "i",
        "you", "your", "we", "our", "us", "as", "can", "could", "do", "does", "please", "would", "will", "should",
        "what", "which", "who", "whom", "whose", "how", "there", "their", "them", "they", "so", "if", "then",
        "than", "such", "some", "any", "all", "via", "use", "used", "using", "also", "only", "just", "about",
    ]
}
