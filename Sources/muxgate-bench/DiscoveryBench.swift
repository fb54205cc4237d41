import Foundation

#if canImport(MuxgateCore)
import MuxgateCore
#endif

// muxgate-bench discovery: the tool-discovery engine's quality and speed (docs/discovery.md).
//
//   muxgate-bench discovery [--model PATH] [--quality] [--speed] [--tools N] [--threads]
//
// Quality: the vendored golden sets (Benchmarks/discovery), scored as mcp-eval's RetrievalScorer
// scores (recall@k over every label of relevance >= 1, MRR, nDCG@10 with linear gains, top 10).
// Speed: query encoding, ranking at N tools, indexing 527 and N tools, a cached restart, memory.

/// One golden set: a corpus and graded queries.
struct DiscoveryGoldenSet {
    let name: String
    let documents: [ToolDocument]
    let queries: [(id: String, text: String, labels: [String: Int])]

    /// Reads `tools.json`-shaped corpora (`server`, `tool`, `description`, optional `inputSchema`).
    static func load(name: String, corpus: String, queries: String) throws -> DiscoveryGoldenSet {
        let tools = try discoveryJSON(corpus)["tools"] as? [[String: Any]] ?? []
        let documents = tools.map { tool -> ToolDocument in
            let server = tool["server"] as? String ?? ""
            let name = tool["tool"] as? String ?? ""
            let properties = (tool["inputSchema"] as? [String: Any])?["properties"] as? [String: Any] ?? [:]
            let parameters = properties.keys.sorted().map { key in
                ToolDocument.Parameter(
                    name: key,
                    description: (properties[key] as? [String: Any])?["description"] as? String ?? ""
                )
            }
            return ToolDocument(
                id: server + ":" + name,
                server: server,
                name: name,
                description: tool["description"] as? String ?? "",
                parameters: parameters
            )
        }
        let graded = (try discoveryJSON(queries)["queries"] as? [[String: Any]] ?? []).map { query in
            let labels = (query["labels"] as? [[String: Any]] ?? []).reduce(into: [String: Int]()) { labels, label in
                labels[label["tool_id"] as? String ?? ""] = label["relevance"] as? Int ?? 0
            }
            return (id: query["id"] as? String ?? "", text: query["query"] as? String ?? "", labels: labels)
        }
        return DiscoveryGoldenSet(name: name, documents: documents, queries: graded)
    }
}

func discoveryJSON(_ path: String) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
    return object as? [String: Any] ?? [:]
}

/// The golden set's metrics, averaged over its queries.
struct RetrievalScores {
    var recall1 = 0.0, recall5 = 0.0, recall10 = 0.0, mrr = 0.0, ndcg10 = 0.0
    var misses: [String] = []

    static func score(_ set: DiscoveryGoldenSet, _ search: (String) -> [String]) -> RetrievalScores {
        var total = RetrievalScores()
        for query in set.queries {
            let ranked = Array(search(query.text).prefix(10))
            let relevant = Set(query.labels.filter { $0.value >= 1 }.keys)
            guard !relevant.isEmpty else { continue }
            func recall(_ k: Int) -> Double {
                Double(Set(ranked.prefix(k)).intersection(relevant).count) / Double(relevant.count)
            }
            total.recall1 += recall(1)
            total.recall5 += recall(5)
            total.recall10 += recall(10)
            if let first = ranked.firstIndex(where: relevant.contains) { total.mrr += 1 / Double(first + 1) }
            func dcg(_ gains: [Double]) -> Double {
                gains.enumerated().reduce(0) { $0 + $1.element / log2(Double($1.offset + 2)) }
            }
            let gains = ranked.map { Double(max(0, query.labels[$0] ?? 0)) }
            let ideal = dcg(query.labels.values.map { Double(max(0, $0)) }.sorted(by: >).prefix(10).map { $0 })
            total.ndcg10 += ideal > 0 ? dcg(gains) / ideal : 0
            if recall(5) < 1 { total.misses.append(query.id) }
        }
        let n = Double(set.queries.count)
        total.recall1 /= n
        total.recall5 /= n
        total.recall10 /= n
        total.mrr /= n
        total.ndcg10 /= n
        return total
    }

    var row: String {
        String(format: "%.3f | %.3f | %.3f | %.3f | %.3f", recall1, recall5, recall10, mrr, ndcg10)
    }
}

func discoveryBench(_ arguments: [String], root: String) throws {
    func value(_ flag: String) -> String? { arguments.firstIndex(of: flag).map { arguments[$0 + 1] } }
    let modelPath = value("--model") ?? root + "/.models/all-MiniLM-L6-v2.q8.mxemb"
    let all = !arguments.contains("--quality") && !arguments.contains("--speed")
    let started = ContinuousClock.now
    let model = try MiniLMModel(contentsOf: URL(fileURLWithPath: modelPath))
    print("model: \(modelPath) (\(model.weights), \(model.byteCount / 1024) KiB), loaded in \(started.duration(to: .now))")
    let base = root + "/Benchmarks/discovery/"
    let sets = [
        try DiscoveryGoldenSet.load(
            name: "mcpproxy golden v1 (45 tools, 47 queries)",
            corpus: base + "mcpproxy-golden/corpus_v1.tools.json",
            queries: base + "mcpproxy-golden/retrieval_golden_v1.json"
        ),
        try DiscoveryGoldenSet.load(
            name: "LiveMCPTool, our 72 queries (527 tools)",
            corpus: base + "livemcptool/tools.json",
            queries: base + "livemcptool/queries_v1.json"
        ),
        try DiscoveryGoldenSet.load(
            name: "LiveMCPTool, 10 non-English queries",
            corpus: base + "livemcptool/tools.json",
            queries: base + "livemcptool/queries_multilingual_v1.json"
        ),
    ]
    if all || arguments.contains("--quality") {
        print("\n| set | ranking | recall@1 | recall@5 | recall@10 | MRR | nDCG@10 |")
        print("|---|---|---|---|---|---|---|")
        for set in sets {
            let index = DiscoveryIndex(embedder: model)
            defer { index.shutdown() }
            index.replace(server: "all", documents: set.documents)
            index.waitUntilEmbedded()
            for (name, ranking) in [("BM25", DiscoveryIndex.Ranking.lexical), ("cosine", .semantic), ("fused 0.2/0.8", .automatic)] {
                let scores = RetrievalScores.score(set) { query in index.search(query, limit: 10, ranking: ranking).map(\.id) }
                print("| \(set.name) | \(name) | \(scores.row) |")
                if arguments.contains("--misses") && ranking == .automatic { print("  misses: \(scores.misses)") }
            }
        }
    }
}
