import Foundation
import Testing

@testable import MuxgateDiscovery

@Suite("Discovery: text analysis, BM25, fusion, index updates and the allowed filter")
struct DiscoveryIndexTests {
    func tool(_ server: String, _ name: String, _ description: String, parameters: [String] = []) -> ToolDocument {
        ToolDocument(
            id: server + "__" + name,
            server: server,
            name: name,
            description: description,
            parameters: parameters.map { ToolDocument.Parameter(name: $0) }
        )
    }

    @Test("identifiers split on _, -, case changes and digits; terms are folded, stemmed, stop words dropped")
    func analysis() {
        #expect(TextAnalyzer.words(ofIdentifier: "getCommentTree") == "get comment tree")
        #expect(TextAnalyzer.words(ofIdentifier: "read_text-file") == "read text file")
        #expect(TextAnalyzer.words(ofIdentifier: "HTTPServerError404") == "http server error 404")
        #expect(TextAnalyzer.terms("Listing the files of my Café") == ["list", "fil", "caf"])
        #expect(TextAnalyzer.terms("created branches") == TextAnalyzer.terms("create branch"))
        // CJK text: single characters and overlapping pairs.
        #expect(TextAnalyzer.terms("查询车票") == ["查", "查询", "询", "询车", "车", "车票", "票"])
    }

    @Test("BM25 scores by the Okapi formula with IDF over the documents")
    func bm25() {
        let documents = [
            BM25Index.Analyzed(fields: [("apple banana", 1)]),
            BM25Index.Analyzed(fields: [("apple apple cherry", 1)]),
            BM25Index.Analyzed(fields: [("durian", 1)]),
        ]
        let dictionary = TermDictionary()
        // Two segments (two servers), scored together: statistics span both.
        let first = BM25Index(Array(documents.prefix(2)), dictionary: dictionary)
        let second = BM25Index([documents[2]], dictionary: dictionary)
        var scores = [Float](repeating: 0, count: 3)
        BM25Index.score(
            query: dictionary.lookup(["appl"]),
            segments: [first, second],
            offsets: [0, 2],
            allowed: [true, true, true],
            allowedCount: 3,
            into: &scores
        )
        let idf = log(Float(1) + (3 - 2 + 0.5) / (2 + 0.5))
        let average: Float = 2
        func expected(tf: Float, length: Float) -> Float {
            idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / average))
        }
        #expect(abs(scores[0] - expected(tf: 1, length: 2)) < 1e-5)
        #expect(abs(scores[1] - expected(tf: 2, length: 3)) < 1e-5)
        #expect(scores[2] == 0)
        #expect(scores[1] > scores[0])
    }

    @Test("a search with a filter returns exactly what an index of only the allowed tools returns")
    func allowedFilterLeaksNothing() {
        let visible = [
            tool("git", "git_log", "Show the commit history of the repository"),
            tool("git", "git_status", "Show the working tree status"),
            tool("fs", "read_file", "Read the contents of a file"),
        ]
        // Hidden tools that would change BM25's statistics (they repeat "history") if they counted.
        let hidden = (0..<20).map { tool("secret", "history_\($0)", "history history history log of everything") }
        let filtered = DiscoveryIndex(embedder: BagOfWordsEmbedder())
        filtered.replace(server: "git", documents: Array(visible.prefix(2)))
        filtered.replace(server: "fs", documents: [visible[2]])
        filtered.replace(server: "secret", documents: hidden)
        filtered.waitUntilEmbedded()
        let alone = DiscoveryIndex(embedder: BagOfWordsEmbedder())
        alone.replace(server: "git", documents: Array(visible.prefix(2)))
        alone.replace(server: "fs", documents: [visible[2]])
        alone.waitUntilEmbedded()
        defer {
            filtered.shutdown()
            alone.shutdown()
        }
        let allowed = { (id: String) in !id.hasPrefix("secret") }
        for query in ["history of commits", "show status", "read a file", "log", "everything"] {
            for ranking in [DiscoveryIndex.Ranking.automatic, .lexical, .semantic] {
                let seen = filtered.search(query, limit: 5, ranking: ranking, allowed: allowed)
                #expect(seen == alone.search(query, limit: 5, ranking: ranking), "\(query) \(ranking)")
                #expect(seen.allSatisfy { allowed($0.id) })
            }
        }
        #expect(filtered.search("history", allowed: { _ in false }).isEmpty)
    }

    @Test("replace swaps a server's tools whole, remove drops them, other servers stay")
    func updates() {
        let index = DiscoveryIndex()
        index.replace(server: "a", documents: [tool("a", "alpha_one", "first alpha tool")])
        index.replace(server: "b", documents: [tool("b", "beta", "a beta tool about alpha")])
        #expect(Set(index.search("alpha").map(\.id)) == ["a__alpha_one", "b__beta"])
        index.replace(server: "a", documents: [tool("a", "alpha_two", "second alpha tool")])
        #expect(Set(index.search("alpha").map(\.id)) == ["a__alpha_two", "b__beta"])
        index.remove(server: "a")
        #expect(index.search("alpha").map(\.id) == ["b__beta"])
        #expect(index.status.documents == 1)
    }

    @Test("BM25 serves while vectors are computed; the fused ranking takes over once they are")
    func lexicalUntilEmbedded() throws {
        let index = DiscoveryIndex(embedder: BagOfWordsEmbedder(delay: .milliseconds(30)))
        defer { index.shutdown() }
        index.replace(server: "s", documents: (0..<10).map { tool("s", "tool_\($0)", "does thing number \($0)") })
        let early = index.status
        #expect(early.documents == 10)
        #expect(early.embedded < 10)
        #expect(!index.search("thing").isEmpty)
        index.waitUntilEmbedded()
        #expect(index.status.embedded == 10)
        #expect(index.status.pending == 0)
        #expect(index.search("thing number 3").first?.id == "s__tool_3")
    }

    @Test("searches running during replacements see one complete snapshot or the next, never a mix")
    func searchesNeverSeeHalfAnUpdate() async {
        let index = DiscoveryIndex(embedder: BagOfWordsEmbedder())
        defer { index.shutdown() }
        func version(_ v: Int) -> [ToolDocument] { (0..<8).map { tool("s", "v\(v)_tool_\($0)", "shared words here") } }
        index.replace(server: "s", documents: version(0))
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for v in 1...60 { index.replace(server: "s", documents: version(v)) }
                return true
            }
            for _ in 0..<2 {
                group.addTask {
                    for _ in 0..<120 {
                        let ids = index.search("shared words", limit: 8).map(\.id)
                        let versions = Set(ids.map { $0.split(separator: "_").first! })
                        if ids.count != 8 || versions.count != 1 { return false }
                    }
                    return true
                }
            }
            for await ok in group { #expect(ok) }
        }
    }

    @Test("SipHash-2-4 matches the reference test vectors")
    func sipHash() {
        let key = SipHash(k0: 0x0706_0504_0302_0100, k1: 0x0f0e_0d0c_0b0a_0908)
        #expect(key.hash([UInt8]()) == 0x726f_db47_dd0e_0e31)
        #expect(key.hash((0..<15).map { UInt8($0) }) == 0xa129_ca61_49be_45e5)
    }
}
