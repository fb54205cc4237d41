/// One complete, immutable state of the index: every server's segment, in server order.
///
/// A search reads the snapshot that was current when it began and never waits for a writer; a
/// writer builds the next snapshot aside (reusing every segment it did not change) and swaps it in whole.
final class DiscoverySnapshot: Sendable {
    let segments: [DiscoverySegment]
    /// Each segment's postings, gathered once for the scorer.
    let postings: [BM25Index]
    /// The most rows any segment has (the size of a search's scratch space).
    let widest: Int
    /// Slot of each segment's first document in the per-search arrays.
    let offsets: [Int]
    let count: Int
    let embeddedCount: Int
    let generation: Int

    init(segments: [DiscoverySegment], generation: Int) {
        self.segments = segments
        postings = segments.map(\.bm25)
        widest = segments.map(\.count).max() ?? 0
        var offsets: [Int] = []
        var count = 0
        for segment in segments {
            offsets.append(count)
            count += segment.count
        }
        self.offsets = offsets
        self.count = count
        embeddedCount = segments.reduce(0) { $0 + $1.embeddedCount }
        self.generation = generation
    }

    /// The document in a slot: (segment, row).
    private func locate(_ slot: Int) -> (Int, Int) {
        var low = 0
        var high = offsets.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if offsets[middle] <= slot { low = middle } else { high = middle - 1 }
        }
        return (low, slot - offsets[low])
    }

    func id(at slot: Int) -> String {
        let (segment, row) = locate(slot)
        return segments[segment].ids[row]
    }

    /// Ranks the allowed documents for a query.
    ///
    /// - Parameters:
    ///   - terms: the query's BM25 term ids.
    ///   - queryVector: the query's embedding, or nil for BM25 alone.
    func rank(
        terms: [UInt32],
        queryVector: [Float]?,
        limit: Int,
        allowed: ((String) -> Bool)?,
        weights: (lexical: Float, semantic: Float)
    ) -> [DiscoveryMatch] {
        guard count > 0, limit > 0 else { return [] }
        var mask = [Bool](repeating: allowed == nil, count: count)
        var allowedCount = allowed == nil ? count : 0
        if let allowed {
            for (segment, offset) in zip(segments, offsets) {
                for (row, id) in segment.ids.enumerated() where allowed(id) {
                    mask[offset + row] = true
                    allowedCount += 1
                }
            }
        }
        guard allowedCount > 0 else { return [] }

        var lexical = [Float](repeating: 0, count: count)
        BM25Index.score(
            query: terms,
            segments: postings,
            offsets: offsets,
            allowed: mask,
            allowedCount: allowedCount,
            into: &lexical
        )

        var fused = lexical
        let semanticUsed = queryVector != nil && weights.semantic > 0 && embeddedCount > 0
        if semanticUsed, let queryVector {
            let query = VectorTable.quantize(queryVector)
            var semantic = [Float](repeating: 0, count: count)
            var hasVector = [Bool](repeating: false, count: count)
            var sums = [Int32](repeating: 0, count: widest)
            for (segment, offset) in zip(segments, offsets) where segment.embeddedCount > 0 {
                segment.vectors.cosines(query, into: &semantic, at: offset, scratch: &sums)
                for row in 0..<segment.count where segment.vectors.has(row) { hasVector[offset + row] = true }
            }
            fused = ScoreFusion.fuse(
                lexical: lexical,
                semantic: semantic,
                hasSemantic: { hasVector[$0] },
                allowed: mask,
                weights: weights
            )
        }
        return ScoreFusion.top(fused, allowed: mask, limit: limit, requirePositive: !semanticUsed, id: id(at:))
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
