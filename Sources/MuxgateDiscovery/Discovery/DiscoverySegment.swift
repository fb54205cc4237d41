/// One server's tools in the index, immutable: their ids, the keyed hashes of their texts, their
/// BM25 postings and their vectors (rows without one yet have scale 0).
final class DiscoverySegment: Sendable {
    let server: String
    let ids: [String]
    let keys: [UInt64]
    let bm25: BM25Index
    let vectors: VectorTable
    let embeddedCount: Int

    init(server: String, ids: [String], keys: [UInt64], bm25: BM25Index, vectors: VectorTable) {
        self.server = server
        self.ids = ids
        self.keys = keys
        self.bm25 = bm25
        self.vectors = vectors
        embeddedCount = (0..<vectors.count).filter { vectors.has($0) }.count
    }

    var count: Int { ids.count }

    /// The vector each key has here.
    func vectorsByKey() -> [UInt64: StoredVector] {
        var result: [UInt64: StoredVector] = [:]
        for (row, key) in keys.enumerated() { if let vector = vectors.vector(row) { result[key] = vector } }
        return result
    }

    /// This segment with the vectors `lookup` has for rows still without one, or nil if it has none.
    func adding(_ lookup: (UInt64) -> StoredVector?) -> DiscoverySegment? {
        guard vectors.count == count, embeddedCount < count else { return nil }
        var table = vectors
        var added = false
        for (row, key) in keys.enumerated() where !table.has(row) {
            if let vector = lookup(key) {
                table.set(row, vector)
                added = true
            }
        }
        return added ? DiscoverySegment(server: server, ids: ids, keys: keys, bm25: bm25, vectors: table) : nil
    }
}
