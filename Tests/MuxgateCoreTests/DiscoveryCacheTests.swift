import Foundation
import MuxgateTesting
import Testing

@testable import MuxgateDiscovery

@Suite("Discovery: the embedding cache is used when whole and rebuilt when not")
struct DiscoveryCacheTests {
    let identity = "test-embedder/v1"

    func vector(_ seed: Int) -> StoredVector {
        StoredVector((0..<32).map { Float(($0 * 7 + seed * 13) % 11) - 5 })
    }

    func filled(_ count: Int) throws -> (URL, SipHash) {
        let url = URL(fileURLWithPath: try TestPaths.temporaryDirectory("discovery-cache") + "/vectors.cache")
        let cache = try EmbeddingCache(url: url, identity: identity, dimension: 32)
        try cache.store((0..<count).map { (UInt64($0 + 1), vector($0)) })
        return (url, cache.key)
    }

    @Test("vectors written are read back, with the same key, after a restart")
    func roundTrip() throws {
        let (url, key) = try filled(5)
        let cache = try EmbeddingCache(url: url, identity: identity, dimension: 32)
        #expect(cache.key == key)
        #expect(cache.loaded == 5)
        #expect(cache.discarded == nil)
        #expect(cache.vector(for: 3) == vector(2))
    }

    @Test("a record that fails its check ends the read; the good ones are kept and the file rewritten")
    func corruptRecord() throws {
        let (url, key) = try filled(5)
        var bytes = [UInt8](try Data(contentsOf: url))
        let record = 8 + 4 + 32 + 4
        bytes[bytes.count - 2 * record + 20] ^= 0x40  // inside the fourth record's values
        try Data(bytes).write(to: url)
        let cache = try EmbeddingCache(url: url, identity: identity, dimension: 32)
        #expect(cache.key == key)
        #expect(cache.loaded == 3)
        #expect(cache.discarded?.contains("check") == true)
        #expect(cache.vector(for: 4) == nil)
        let again = try EmbeddingCache(url: url, identity: identity, dimension: 32)
        #expect(again.loaded == 3)
        #expect(again.discarded == nil)
    }

    @Test("a file cut mid-record keeps the whole records before the cut")
    func truncated() throws {
        let (url, _) = try filled(4)
        let data = try Data(contentsOf: url)
        try data.prefix(data.count - 10).write(to: url)
        let cache = try EmbeddingCache(url: url, identity: identity, dimension: 32)
        #expect(cache.loaded == 3)
        #expect(cache.discarded?.contains("cut short") == true)
    }

    @Test("a cache of another embedder, another width or a damaged header is discarded for a new key")
    func foreignOrDamaged() throws {
        let (url, key) = try filled(3)
        let other = try EmbeddingCache(url: url, identity: "another-model/v1", dimension: 32)
        #expect(other.loaded == 0)
        #expect(other.key != key)
        #expect(other.discarded != nil)

        let (url2, _) = try filled(3)
        var bytes = [UInt8](try Data(contentsOf: url2))
        bytes[10] ^= 1
        try Data(bytes).write(to: url2)
        let damaged = try EmbeddingCache(url: url2, identity: identity, dimension: 32)
        #expect(damaged.loaded == 0)

        try Data("garbage".utf8).write(to: url2)
        #expect(try EmbeddingCache(url: url2, identity: identity, dimension: 32).loaded == 0)
    }

    @Test("a record with a zero or non-finite scale is not trusted")
    func badScale() throws {
        let (url, key) = try filled(1)
        var bytes = EmbeddingCache.header(identity: identity, dimension: 32, key: key)
        bytes += EmbeddingCache.record(
            key: 9,
            vector: StoredVector(values: [Int8](repeating: 1, count: 32), scale: .nan)
        )
        try Data(bytes).write(to: url)
        let cache = try EmbeddingCache(url: url, identity: identity, dimension: 32)
        #expect(cache.loaded == 0)
        #expect(cache.discarded?.contains("scale") == true)
    }

    @Test("an index restarted on its cache has every vector at once, without embedding anything")
    func cachedRestart() throws {
        let url = URL(fileURLWithPath: try TestPaths.temporaryDirectory("discovery-cache") + "/vectors.cache")
        let documents = (0..<6).map {
            ToolDocument(id: "t\($0)", server: "s", name: "tool_\($0)", description: "tool \($0)")
        }
        let first = DiscoveryIndex(
            embedder: BagOfWordsEmbedder(),
            cache: try EmbeddingCache(url: url, identity: BagOfWordsEmbedder().identity, dimension: 32)
        )
        first.replace(server: "s", documents: documents)
        first.waitUntilEmbedded()
        first.shutdown()
        let second = DiscoveryIndex(
            embedder: BagOfWordsEmbedder(delay: .seconds(5)),
            cache: try EmbeddingCache(url: url, identity: BagOfWordsEmbedder().identity, dimension: 32)
        )
        defer { second.shutdown() }
        second.replace(server: "s", documents: documents)
        #expect(second.status.embedded == 6)
        #expect(second.status.pending == 0)
    }
}
