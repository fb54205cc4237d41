import Foundation

/// Okapi BM25 over weighted fields, with statistics taken over the documents a caller may see.
///
/// Each field's terms count with the field's weight (a name's words three times a description's),
/// and a document's length is its weighted term count. The document count, average length and each
/// term's document frequency are computed per search over the allowed documents only, so a
/// hidden tool changes neither the set nor the order of what a caller is shown.
package struct BM25Index: Sendable {
    /// A document's weighted term frequencies, computed once per document.
    package struct Analyzed: Sendable {
        package var frequencies: [String: Float]
        package var length: Float

        package init(fields: [(text: String, weight: Float)]) {
            var frequencies: [String: Float] = [:]
            var length: Float = 0
            for (text, weight) in fields where weight > 0 {
                for term in TextAnalyzer.terms(text) {
                    frequencies[term, default: 0] += weight
                    length += weight
                }
            }
            self.frequencies = frequencies
            self.length = length
        }

        /// A tool's fields and their weights.
        package init(_ document: ToolDocument) {
            var fields: [(String, Float)] = [
                (TextAnalyzer.words(ofIdentifier: document.name), 3), (document.title, 2), (document.description, 1),
                (TextAnalyzer.words(ofIdentifier: document.server), 1), (document.serverInstructions, 0.25),
            ]
            for parameter in document.parameters {
                fields.append((TextAnalyzer.words(ofIdentifier: parameter.name), 1))
                fields.append((parameter.description, 0.5))
            }
            self.init(fields: fields)
        }
    }

    struct Posting: Sendable {
        let document: UInt32
        let frequency: Float
    }

    package var k1: Float = 1.2
    package var b: Float = 0.75
    private(set) var postings: [String: [Posting]] = [:]
    private(set) var lengths: [Float] = []

    package init(_ documents: [Analyzed]) {
        lengths = documents.map(\.length)
        for (index, document) in documents.enumerated() {
            for (term, frequency) in document.frequencies {
                postings[term, default: []].append(Posting(document: UInt32(index), frequency: frequency))
            }
        }
    }

    package var count: Int { lengths.count }

    /// Adds each allowed document's score for `query` to `scores` (one slot a document).
    ///
    /// - Parameters:
    ///   - allowed: one flag a document; statistics and scores cover the flagged ones only.
    ///   - allowedCount: how many flags are set.
    package func score(
        query: [String],
        allowed: [Bool],
        allowedCount: Int,
        into scores: inout [Float]
    ) {
        guard allowedCount > 0 else { return }
        var totalLength: Float = 0
        for index in lengths.indices where allowed[index] { totalLength += lengths[index] }
        let averageLength = max(totalLength / Float(allowedCount), 1e-6)
        let documents = Float(allowedCount)
        for term in Set(query) {
            guard let list = postings[term] else { continue }
            var frequency = 0
            for posting in list where allowed[Int(posting.document)] { frequency += 1 }
            guard frequency > 0 else { continue }
            let df = Float(frequency)
            let idf = log(1 + (documents - df + 0.5) / (df + 0.5))
            for posting in list where allowed[Int(posting.document)] {
                let index = Int(posting.document)
                let tf = posting.frequency
                let norm = k1 * (1 - b + b * lengths[index] / averageLength)
                scores[index] += idf * tf * (k1 + 1) / (tf + norm)
            }
        }
    }
}
