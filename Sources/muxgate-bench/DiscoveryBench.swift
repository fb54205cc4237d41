import Foundation
import MuxgateDiscovery

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
    print(
        "model: \(modelPath) (\(model.weights), \(model.byteCount / 1024) KiB), loaded in \(started.duration(to: .now))"
    )
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
            for (name, ranking) in [
                ("BM25", DiscoveryIndex.Ranking.lexical), ("cosine", .semantic), ("fused 0.2/0.8", .automatic),
            ] {
                let scores = RetrievalScores.score(set) { query in
                    index.search(query, limit: 10, ranking: ranking).map(\.id)
                }
                print("| \(set.name) | \(name) | \(scores.row) |")
                if arguments.contains("--misses") && ranking == .automatic { print("  misses: \(scores.misses)") }
            }
        }
    }
    if all || arguments.contains("--speed") {
        discoverySpeed(model: model, sets: sets, toolCount: Int(value("--tools") ?? "") ?? 10_000)
    }
}

/// Unit vectors drawn from a hash of the text: the index's own machinery at a scale the model
/// would take minutes for (what the model costs a tool is measured on the real corpus).
struct SyntheticEmbedder: TextEmbedder {
    let dimension: Int
    var identity: String { "synthetic/v1" }

    func embed(_ text: String) throws -> [Float] {
        var state = text.utf8.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01b3 }
        var vector = (0..<dimension).map { _ -> Float in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)
        }
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for index in vector.indices { vector[index] /= norm }
        return vector
    }
}

/// `count` tools made from the corpus: copies under other server names, each text changed a little.
func syntheticTools(_ documents: [ToolDocument], count: Int) -> (tools: [ToolDocument], origin: [String: String]) {
    var tools: [ToolDocument] = []
    var origin: [String: String] = [:]
    var copy = 0
    while tools.count < count {
        for document in documents where tools.count < count {
            var tool = document
            tool.server = "\(document.server)-\(copy)"
            tool.id = tool.server + ":" + document.name
            tool.description = document.description + (copy == 0 ? "" : " (mirror \(copy))")
            origin[tool.embeddingText] = document.embeddingText
            tools.append(tool)
        }
        copy += 1
    }
    return (tools, origin)
}

/// This thread's CPU time in milliseconds (what one core spends, whatever else the machine runs).
func threadCPUMilliseconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) * 1e3 + Double(time.tv_nsec) / 1e6
}

func residentKiB() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
        + Double(usage.ru_stime.tv_usec) / 1e6
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds) * 1e-15
}

func percentiles(_ samples: [Double]) -> String {
    let sorted = samples.sorted()
    func at(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
    return String(format: "p50 %.2f ms, p90 %.2f ms, p99 %.2f ms (n = %d)", at(0.5), at(0.9), at(0.99), sorted.count)
}

func discoverySpeed(model: MiniLMModel, sets: [DiscoveryGoldenSet], toolCount: Int) {
    let live = sets[1]
    let queries = sets.flatMap { $0.queries.map(\.text) }
    let sample = Array(queries.prefix(60))

    // 1. N tools, first (so the resident-memory growth is the index's own): synthetic vectors, the
    //    index's real machinery; what the model costs a tool is measured on the corpus below.
    let (tools, _) = syntheticTools(live.documents, count: toolCount)
    let synthetic = SyntheticEmbedder(dimension: model.dimension)
    let servers = Dictionary(grouping: tools, by: \.server).sorted { $0.key < $1.key }
    let cacheDirectory = NSTemporaryDirectory() + "muxgate-discovery-bench-\(getpid())"
    try? FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: cacheDirectory) }
    let cacheURL = URL(fileURLWithPath: cacheDirectory + "/vectors.cache")
    let rssBefore = residentKiB()
    var started = ContinuousClock.now
    var cpu = cpuSeconds()
    let large = DiscoveryIndex(
        embedder: synthetic,
        cache: try? EmbeddingCache(url: cacheURL, identity: synthetic.identity, dimension: synthetic.dimension)
    )
    for (server, documents) in servers { large.replace(server: server, documents: documents) }
    let oneByOne = milliseconds(started.duration(to: .now))
    let lexicalLarge = oneByOne
    large.waitUntilEmbedded()
    let wallLarge = milliseconds(started.duration(to: .now))
    let cpuLarge = cpuSeconds() - cpu
    let rssAfter = residentKiB()

    var rank: [Double] = []
    var rankCPU: [Double] = []
    var lexicalOnly: [Double] = []
    let queryVectors = sample.map { try! synthetic.embed($0) }
    for round in 0..<4 {
        for (query, vector) in zip(sample, queryVectors) {
            started = .now
            let cpu = threadCPUMilliseconds()
            _ = large.search(query, limit: 10, queryVector: vector)
            if round > 0 {
                rankCPU.append(threadCPUMilliseconds() - cpu)
                rank.append(milliseconds(started.duration(to: .now)))
            }
            started = .now
            _ = large.search(query, limit: 10, ranking: .lexical)
            if round > 0 { lexicalOnly.append(milliseconds(started.duration(to: .now))) }
        }
    }
    let half = Set(tools.prefix(tools.count / 2).map(\.id))
    var filtered: [Double] = []
    for (query, vector) in zip(sample, queryVectors) {
        started = .now
        _ = large.search(query, limit: 10, queryVector: vector, allowed: { half.contains($0) })
        filtered.append(milliseconds(started.duration(to: .now)))
    }

    // A restart on the cache: every vector from disk, nothing embedded.
    started = .now
    cpu = cpuSeconds()
    let restarted = DiscoveryIndex(
        embedder: synthetic,
        cache: try? EmbeddingCache(url: cacheURL, identity: synthetic.identity, dimension: synthetic.dimension)
    )
    restarted.replace(Dictionary(uniqueKeysWithValues: servers.map { ($0.key, $0.value) }))
    let restartWall = milliseconds(started.duration(to: .now))
    let restartCPU = cpuSeconds() - cpu
    let restartStatus = restarted.status
    restarted.shutdown()
    let cacheSize = ((try? FileManager.default.attributesOfItem(atPath: cacheURL.path)[.size] as? Int) ?? 0) / 1024

    // 2. Query encoding alone, this thread (one core).
    _ = model.embed("warm up")
    var encode: [Double] = []
    var encodeCPU: [Double] = []
    var lengths: [Int] = []
    for _ in 0..<3 {
        for query in queries {
            started = .now
            let cpu = threadCPUMilliseconds()
            _ = model.embed(query)
            encodeCPU.append(threadCPUMilliseconds() - cpu)
            encode.append(milliseconds(started.duration(to: .now)))
            lengths.append(model.tokenizer.encode(query).count)
        }
    }
    let meanTokens = Double(lengths.reduce(0, +)) / Double(lengths.count)

    // 3. Indexing the 527 tools with the model: wall and CPU time.
    started = .now
    cpu = cpuSeconds()
    let index = DiscoveryIndex(embedder: model)
    index.replace(server: "livemcptool", documents: live.documents)
    let lexicalReady = milliseconds(started.duration(to: .now))
    index.waitUntilEmbedded()
    let wall = milliseconds(started.duration(to: .now))
    let cpuPerTool = (cpuSeconds() - cpu) / Double(live.documents.count) * 1000
    let pieces = live.documents.map { model.tokenizer.encode($0.embeddingText).count }

    // 4. Search, query encoding included, at 527 and N tools.
    var search: [Double] = []
    var searchCPU: [Double] = []
    for query in queries + queries {
        started = .now
        let cpu = threadCPUMilliseconds()
        _ = index.search(query, limit: 10)
        searchCPU.append(threadCPUMilliseconds() - cpu)
        search.append(milliseconds(started.duration(to: .now)))
    }
    index.shutdown()
    var full: [Double] = []
    var fullCPU: [Double] = []
    for query in sample {
        started = .now
        let cpu = threadCPUMilliseconds()
        _ = large.search(query, limit: 10, queryVector: model.embed(query))
        fullCPU.append(threadCPUMilliseconds() - cpu)
        full.append(milliseconds(started.duration(to: .now)))
    }
    large.shutdown()

    print("\n| measurement | result |")
    print("|---|---|")
    print(
        "| query encoding (\(model.weights), one thread, \(String(format: "%.1f", meanTokens)) pieces on average) | wall \(percentiles(encode)); thread CPU \(percentiles(encodeCPU)) |"
    )
    print(
        "| search at \(live.documents.count) tools (encode + rank, limit 10) | wall \(percentiles(search)); thread CPU \(percentiles(searchCPU)) |"
    )
    print(
        "| search at \(tools.count) tools (encode + rank) | wall \(percentiles(full)); thread CPU \(percentiles(fullCPU)) |"
    )
    print(
        "| ranking alone at \(tools.count) tools (BM25 + cosine + fusion + top 10, all allowed) | wall \(percentiles(rank)); thread CPU \(percentiles(rankCPU)) |"
    )
    print("| BM25 alone at \(tools.count) tools | wall \(percentiles(lexicalOnly)) |")
    print(
        "| ranking alone at \(tools.count) tools, half allowed (a Set<String> lookup a tool) | wall \(percentiles(filtered)) |"
    )
    print(
        String(
            format:
                "| index %d tools with the model | BM25-searchable after %.0f ms; every vector after %.0f ms wall; %.1f ms CPU a tool (%.0f pieces a tool on average) |",
            live.documents.count,
            lexicalReady,
            wall,
            cpuPerTool,
            Double(pieces.reduce(0, +)) / Double(pieces.count)
        )
    )
    print(
        String(
            format:
                "| index %d tools (%d servers, a replace each; synthetic vectors) | BM25-searchable after %.0f ms, vectors published after %.0f ms, %.2f s CPU for the index; the model would add %.0f s of one core (%.1f ms a tool) |",
            tools.count,
            servers.count,
            lexicalLarge,
            wallLarge,
            cpuLarge,
            Double(tools.count) * cpuPerTool / 1000,
            cpuPerTool
        )
    )
    print(
        String(
            format:
                "| cached restart at %d tools (one replace of every server) | %d of %d vectors from the cache, ready after %.0f ms (%.2f s CPU); cache file %d KiB |",
            tools.count,
            restartStatus.embedded,
            restartStatus.documents,
            restartWall,
            restartCPU,
            cacheSize
        )
    )
    print(
        "| memory for \(tools.count) tools (resident growth; the vectors alone are \(tools.count * (model.dimension + 4) / 1024) KiB) | +\(rssAfter - rssBefore) KiB |"
    )
    print("| model file in memory | \(model.byteCount / 1024) KiB |")
}
