/// Combines BM25 and cosine scores, and picks the best few.
package enum ScoreFusion {
    /// `lexical × w₁ + semantic × w₂`, each min-max scaled over the allowed documents of this query.
    ///
    /// A document without a vector yet (its embedding is still being computed) takes its scaled
    /// BM25 score in place of the cosine, so it is neither buried nor lifted while it waits.
    static func fuse(
        lexical: [Float],
        semantic: [Float],
        hasSemantic: (Int) -> Bool,
        allowed: [Bool],
        weights: (lexical: Float, semantic: Float)
    ) -> [Float] {
        let lexicalRange = range(lexical, where: { allowed[$0] })
        let semanticRange = range(semantic, where: { allowed[$0] && hasSemantic($0) })
        var fused = [Float](repeating: 0, count: lexical.count)
        for index in lexical.indices where allowed[index] {
            let l = scaled(lexical[index], lexicalRange)
            let s = hasSemantic(index) ? scaled(semantic[index], semanticRange) : l
            fused[index] = weights.lexical * l + weights.semantic * s
        }
        return fused
    }

    private static func range(_ values: [Float], where include: (Int) -> Bool) -> (low: Float, high: Float)? {
        var low = Float.infinity
        var high = -Float.infinity
        for index in values.indices where include(index) {
            low = min(low, values[index])
            high = max(high, values[index])
        }
        return low <= high ? (low, high) : nil
    }

    /// Scaled into 0...1; 0 when every value is the same (nothing to tell them apart).
    private static func scaled(_ value: Float, _ range: (low: Float, high: Float)?) -> Float {
        guard let range, range.high > range.low else { return 0 }
        return (value - range.low) / (range.high - range.low)
    }

    /// The indices of the `limit` best allowed scores, best first, ties broken by id.
    ///
    /// - Parameter requirePositive: leave out documents scoring 0 (BM25 alone: no term matched).
    static func top(
        _ scores: [Float],
        allowed: [Bool],
        limit: Int,
        requirePositive: Bool,
        id: (Int) -> String
    ) -> [DiscoveryMatch] {
        var best: [(index: Int, score: Float)] = []
        best.reserveCapacity(limit + 1)
        func better(_ a: (index: Int, score: Float), _ b: (index: Int, score: Float)) -> Bool {
            a.score != b.score ? a.score > b.score : id(a.index) < id(b.index)
        }
        for index in scores.indices where allowed[index] {
            let candidate = (index: index, score: scores[index])
            if requirePositive && candidate.score <= 0 { continue }
            if best.count == limit, let last = best.last, !better(candidate, last) { continue }
            var position = best.count
            while position > 0 && better(candidate, best[position - 1]) { position -= 1 }
            best.insert(candidate, at: position)
            if best.count > limit { best.removeLast() }
        }
        return best.map { DiscoveryMatch(id: id($0.index), score: $0.score) }
    }
}
