import Foundation
import Synchronization

/// Okapi BM25 over weighted fields, with statistics taken over the documents a caller may see.
///
/// Each field's terms count with the field's weight (a name's words three times a description's),
/// and a document's length is its weighted term count. The document count, average length and each
/// term's document frequency are computed per search over the allowed documents only, so a
/// hidden tool changes neither the set nor the order of what a caller is shown.
///
/// One `BM25Index` holds one server's postings (a segment): term ids (from a `TermDictionary`
/// shared by all segments) sorted, each with its documents and weighted frequencies, packed in
/// flat arrays. Replacing a server rebuilds its segment alone; a search scores every segment.
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

    package static let k1: Float = 1.2
    package static let b: Float = 0.75
    /// Frequencies are stored as multiples of 1/4 (every field weight is one).
    static let frequencyScale: Float = 4

    /// Sorted term ids; the postings of `terms[i]` are `starts[i]..<starts[i + 1]`.
    private(set) var terms: [UInt32] = []
    private(set) var starts: [UInt32] = [0]
    private(set) var documents: [UInt16] = []
    private(set) var frequencies: [UInt16] = []
    private(set) var lengths: [Float] = []

    /// - Parameter dictionary: interns the terms (shared by every segment of an index).
    package init(_ analyzed: [Analyzed], dictionary: TermDictionary) {
        precondition(analyzed.count <= Int(UInt16.max), "a segment holds at most 65,535 documents")
        lengths = analyzed.map(\.length)
        var postings: [(term: UInt32, document: UInt16, frequency: UInt16)] = []
        let ids = dictionary.intern(Set(analyzed.flatMap(\.frequencies.keys)))
        for (index, document) in analyzed.enumerated() {
            for (term, frequency) in document.frequencies {
                let scaled = min(Float(UInt16.max), (frequency * Self.frequencyScale).rounded())
                postings.append((ids[term]!, UInt16(index), UInt16(scaled)))
            }
        }
        postings.sort { $0.term != $1.term ? $0.term < $1.term : $0.document < $1.document }
        documents.reserveCapacity(postings.count)
        frequencies.reserveCapacity(postings.count)
        for posting in postings {
            if terms.last != posting.term {
                if !terms.isEmpty { starts.append(UInt32(documents.count)) }
                terms.append(posting.term)
            }
            documents.append(posting.document)
            frequencies.append(posting.frequency)
        }
        if !terms.isEmpty { starts.append(UInt32(documents.count)) }
    }

    package var count: Int { lengths.count }

    /// The postings of a term: (first, end) into `documents`/`frequencies`, or nil.
    func postings(of term: UInt32) -> Range<Int>? {
        var low = 0
        var high = terms.count
        while low < high {
            let middle = (low + high) / 2
            if terms[middle] < term { low = middle + 1 } else { high = middle }
        }
        guard low < terms.count, terms[low] == term else { return nil }
        return Int(starts[low])..<Int(starts[low + 1])
    }

    /// Adds each allowed document's score for `query` to `scores`.
    ///
    /// - Parameters:
    ///   - segments: the index's segments; segment `s`'s document `d` is slot `offsets[s] + d`.
    ///   - allowed: one flag a slot; statistics and scores cover the flagged ones only.
    static func score(
        query: [UInt32],
        segments: [BM25Index],
        offsets: [Int],
        allowed: [Bool],
        allowedCount: Int,
        into scores: inout [Float]
    ) {
        guard allowedCount > 0, !query.isEmpty else { return }
        var totalLength: Float = 0
        for (segment, offset) in zip(segments, offsets) {
            for (index, length) in segment.lengths.enumerated() where allowed[offset + index] { totalLength += length }
        }
        let averageLength = max(totalLength / Float(allowedCount), 1e-6)
        let documentCount = Float(allowedCount)
        for term in Set(query) {
            var found: [(segment: Int, range: Range<Int>)] = []
            var frequency = 0
            for (number, segment) in segments.enumerated() {
                guard let range = segment.postings(of: term) else { continue }
                found.append((number, range))
                let offset = offsets[number]
                for position in range where allowed[offset + Int(segment.documents[position])] { frequency += 1 }
            }
            guard frequency > 0 else { continue }
            let df = Float(frequency)
            let idf = log(1 + (documentCount - df + 0.5) / (df + 0.5))
            for (number, range) in found {
                let segment = segments[number]
                let offset = offsets[number]
                for position in range {
                    let slot = offset + Int(segment.documents[position])
                    guard allowed[slot] else { continue }
                    let tf = Float(segment.frequencies[position]) / frequencyScale
                    let norm = k1 * (1 - b + b * segment.lengths[Int(segment.documents[position])] / averageLength)
                    scores[slot] += idf * tf * (k1 + 1) / (tf + norm)
                }
            }
        }
    }
}

/// Term → id, shared by every segment of an index. Grows as servers bring new words; ids are
/// never reused, so a segment built earlier stays valid.
package final class TermDictionary: Sendable {
    private let ids = Mutex<[String: UInt32]>([:])

    package init() {}

    /// The ids of `terms`, new ones assigned.
    func intern(_ terms: some Sequence<String>) -> [String: UInt32] {
        ids.withLock { ids in
            var result: [String: UInt32] = [:]
            for term in terms {
                if let id = ids[term] {
                    result[term] = id
                } else {
                    let id = UInt32(ids.count)
                    ids[term] = id
                    result[term] = id
                }
            }
            return result
        }
    }

    /// The ids of the terms already known (a query's other words match nothing).
    func lookup(_ terms: [String]) -> [UInt32] {
        ids.withLock { ids in terms.compactMap { ids[$0] } }
    }

    package var count: Int { ids.withLock { $0.count } }
}
