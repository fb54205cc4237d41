/// One complete, immutable state of the index: the documents, their BM25 postings and vectors.
///
/// A search reads the snapshot that was current when it began and never waits for a writer; a
/// writer builds the next snapshot aside and swaps it in whole.
final class DiscoverySnapshot: Sendable {
    struct Entry: Sendable {
        let document: ToolDocument
        let analyzed: BM25Index.Analyzed
        /// The keyed hash of `document.embeddingText`.
        let key: UInt64
    }

    let entries: [Entry]
    let bm25: BM25Index
    let vectors: VectorTable
    /// Row of each key that has a vector.
    let rows: [UInt64: Int]
    let generation: Int

    init(entries: [Entry], bm25: BM25Index, vectors: VectorTable, generation: Int) {
        self.entries = entries
        self.bm25 = bm25
        self.vectors = vectors
        var rows: [UInt64: Int] = [:]
        for (row, entry) in entries.enumerated() where vectors.has(row) { rows[entry.key] = row }
        self.rows = rows
        self.generation = generation
    }

    static func empty(dimension: Int) -> DiscoverySnapshot {
        DiscoverySnapshot(entries: [], bm25: BM25Index([]), vectors: VectorTable(dimension: dimension, count: 0), generation: 0)
    }

    var embeddedCount: Int { rows.count }

    func vector(for key: UInt64) -> StoredVector? {
        rows[key].flatMap { vectors.vector($0) }
    }

    /// Ranks the allowed documents for a query.
    ///
    /// - Parameters:
    ///   - terms: the query's BM25 terms.
    ///   - queryVector: the query's embedding, or nil for BM25 alone.
    func rank(
        terms: [String],
        queryVector: [Float]?,
        limit: Int,
        allowed: (String) -> Bool,
        weights: (lexical: Float, semantic: Float)
    ) -> [DiscoveryMatch] {
        let count = entries.count
        guard count > 0, limit > 0 else { return [] }
        var mask = [Bool](repeating: false, count: count)
        var allowedCount = 0
        for index in 0..<count where allowed(entries[index].document.id) {
            mask[index] = true
            allowedCount += 1
        }
        guard allowedCount > 0 else { return [] }

        var lexical = [Float](repeating: 0, count: count)
        bm25.score(query: terms, allowed: mask, allowedCount: allowedCount, into: &lexical)

        var fused: [Float]
        if let queryVector, weights.semantic > 0, vectors.count == count {
            var semantic = [Float](repeating: 0, count: count)
            vectors.cosines(queryVector, into: &semantic)
            fused = ScoreFusion.fuse(
                lexical: lexical,
                semantic: semantic,
                hasSemantic: { vectors.has($0) },
                allowed: mask,
                weights: weights
            )
        } else {
            fused = lexical
        }
        return ScoreFusion.top(
            fused,
            allowed: mask,
            limit: limit,
            requirePositive: queryVector == nil || weights.semantic == 0,
            id: { entries[$0].document.id }
        )
    }
}

/// One search result: the document's id and its fused score (higher is better; comparable only
/// within one search).
package struct DiscoveryMatch: Sendable, Equatable {
    package let id: String
    package let score: Float

    package init(id: String, score: Float) {
        self.id = id
        self.score = score
    }
}
