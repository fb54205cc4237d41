import Foundation
import Synchronization

/// A searchable index of tools: BM25 over their text, fused with embedding similarity once their
/// vectors are computed.
///
/// `replace(server:documents:)` and `remove(server:)` build the next snapshot aside and swap it in
/// whole; a search reads the last complete snapshot and never waits for them. Vectors are computed
/// on one background thread (`embeddings: .background`), or not at all without an embedder; until a
/// tool has its vector, it is ranked by BM25 alone (see `ScoreFusion`). Vectors found in the cache
/// are used at once.
package final class DiscoveryIndex: Sendable {
    /// How scores are combined.
    package struct Options: Sendable {
        /// Weight of the min-max scaled BM25 score.
        package var lexicalWeight: Float = 0.2
        /// Weight of the min-max scaled cosine.
        package var semanticWeight: Float = 0.8
        /// At most this often (seconds) does the embedding thread publish the vectors it computed.
        package var publishInterval: Double = 0.25

        package init() {}
    }

    /// What one search ranks by.
    package enum Ranking: Sendable {
        /// BM25 and cosine fused when an embedder is set, BM25 otherwise.
        case automatic
        /// BM25 only.
        case lexical
        /// Cosine only (documents without a vector score 0).
        case semantic
    }

    /// How far indexing has come.
    package struct Status: Sendable, Equatable {
        package var documents: Int
        package var embedded: Int
        package var pending: Int
        package var generation: Int
    }

    package let options: Options
    private let embedder: (any TextEmbedder)?
    private let cache: EmbeddingCache?
    private let key: SipHash
    private let dictionary = TermDictionary()
    private let current: Mutex<DiscoverySnapshot>
    private let writer: Mutex<Writer>
    private let worker: EmbeddingWorker?

    /// The writer's state: every server's segment, and vectors computed but not yet published.
    private struct Writer {
        var segments: [String: DiscoverySegment] = [:]
        var fresh: [UInt64: StoredVector] = [:]
        var generation = 0
    }

    /// - Parameters:
    ///   - embedder: computes vectors (the in-process model); nil for BM25 only.
    ///   - cache: vectors kept on disk between runs; its key hashes the texts.
    package init(embedder: (any TextEmbedder)? = nil, cache: EmbeddingCache? = nil, options: Options = Options()) {
        self.embedder = embedder
        self.cache = embedder == nil ? nil : cache
        self.options = options
        key = self.cache?.key ?? SipHash.random()
        current = Mutex(DiscoverySnapshot(segments: [], generation: 0))
        writer = Mutex(Writer())
        worker = embedder.map { EmbeddingWorker(embedder: $0) }
        worker?.start(index: self)
    }

    deinit {
        worker?.stop()
    }

    /// Stops the embedding thread (what it has not embedded stays BM25-only). Idempotent.
    package func shutdown() {
        worker?.stop()
    }

    /// Makes `documents` the whole of `server`'s tools (an empty list removes the server).
    ///
    /// Costs the analysis of these documents and a new snapshot that reuses every other server's
    /// segment; their vectors are taken from the server's previous tools with the same text, then
    /// the cache, and the rest are queued for the embedding thread.
    package func replace(server: String, documents: [ToolDocument]) {
        replace([server: documents])
    }

    /// Makes each server's documents its whole list of tools, in one new snapshot (at start-up,
    /// when every server's tools arrive together).
    package func replace(_ servers: [String: [ToolDocument]]) {
        let prepared = servers.map { server, documents in
            let texts = documents.map(\.embeddingText)
            return (
                server: server, documents: documents, texts: texts, keys: texts.map { key.hash($0.utf8) },
                bm25: BM25Index(documents.map(BM25Index.Analyzed.init), dictionary: dictionary)
            )
        }
        let dimension = embedder?.dimension ?? 0
        var missing: [(UInt64, String)] = []
        writer.withLock { writer in
            for (server, documents, texts, keys, bm25) in prepared {
                if documents.isEmpty {
                    writer.segments[server] = nil
                } else {
                    let previous = writer.segments[server]?.vectorsByKey() ?? [:]
                    var vectors = VectorTable(dimension: dimension, count: embedder == nil ? 0 : documents.count)
                    var seen = Set<UInt64>()
                    if embedder != nil {
                        for (row, key) in keys.enumerated() {
                            if let vector = writer.fresh[key] ?? previous[key] ?? cache?.vector(for: key) {
                                vectors.set(row, vector)
                            } else if seen.insert(key).inserted {
                                missing.append((key, texts[row]))
                            }
                        }
                    }
                    writer.segments[server] = DiscoverySegment(
                        server: server,
                        ids: documents.map(\.id),
                        keys: keys,
                        bm25: bm25,
                        vectors: vectors
                    )
                }
            }
            publish(&writer)
        }
        // The segments hold them now; the cache keeps them on disk only.
        cache?.release(prepared.flatMap(\.keys))
        if !missing.isEmpty { worker?.enqueue(missing) }
    }

    /// Removes every tool of `server`.
    package func remove(server: String) {
        replace(server: server, documents: [])
    }

    /// The best `limit` allowed tools for `query`, best first.
    ///
    /// Encodes the query on the calling thread (a few milliseconds with the in-process model).
    /// - Parameters:
    ///   - queryVector: the query's embedding when the caller has it already (else computed here).
    ///   - allowed: called once per indexed tool id (nil: all allowed); a tool it refuses is left out before
    ///     ranking, and BM25's statistics and the score scaling are computed without it, so what
    ///     the caller sees is what an index of only the allowed tools would return.
    package func search(
        _ query: String,
        limit: Int = 10,
        ranking: Ranking = .automatic,
        queryVector precomputed: [Float]? = nil,
        allowed: ((String) -> Bool)? = nil
    ) -> [DiscoveryMatch] {
        let snapshot = current.withLock { $0 }
        let terms = ranking == .semantic ? [] : dictionary.lookup(TextAnalyzer.terms(query))
        var queryVector: [Float]?
        if ranking != .lexical, let embedder, snapshot.embeddedCount > 0 {
            queryVector = precomputed ?? (try? embedder.embed(query))
        }
        let weights: (Float, Float) =
            switch ranking {
            case .automatic: (options.lexicalWeight, options.semanticWeight)
            case .lexical: (1, 0)
            case .semantic: (0, 1)
            }
        return snapshot.rank(terms: terms, queryVector: queryVector, limit: limit, allowed: allowed, weights: weights)
    }

    package var status: Status {
        let snapshot = current.withLock { $0 }
        return Status(
            documents: snapshot.count,
            embedded: snapshot.embeddedCount,
            pending: worker?.pendingCount ?? 0,
            generation: snapshot.generation
        )
    }

    /// Blocks until the embedding thread has nothing left to do, at most `timeout` seconds; true
    /// when it has nothing left (what it computed is then published).
    package func waitUntilEmbedded(timeout: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        guard let worker, worker.waitUntilIdle(before: deadline) else { return worker == nil }
        writer.withLock { writer in
            if !writer.fresh.isEmpty { publish(&writer) }
        }
        return true
    }

    /// Blocks until the embedding thread has nothing left to do (tests, benchmarks).
    package func waitUntilEmbedded() {
        worker?.waitUntilIdle()
        writer.withLock { writer in
            if !writer.fresh.isEmpty { publish(&writer) }
        }
    }

    // MARK: - Publishing

    /// Vectors the embedding thread computed: cached, and published with the segments that want them.
    fileprivate func add(_ computed: [(key: UInt64, vector: StoredVector)]) {
        if let cache { try? cache.store(computed) }
        writer.withLock { writer in
            for (key, vector) in computed { writer.fresh[key] = vector }
            publish(&writer)
        }
    }

    private func publish(_ writer: inout Writer) {
        if !writer.fresh.isEmpty {
            let fresh = writer.fresh
            for (server, segment) in writer.segments {
                if let updated = segment.adding({ fresh[$0] }) { writer.segments[server] = updated }
            }
            cache?.release(fresh.keys)
            // A vector no segment wanted belongs to a tool replaced since it was queued.
            writer.fresh = [:]
        }
        writer.generation += 1
        let segments = writer.segments.keys.sorted().map { writer.segments[$0]! }
        let snapshot = DiscoverySnapshot(segments: segments, generation: writer.generation)
        current.withLock { $0 = snapshot }
    }
}

/// The background thread that embeds tool texts, one at a time, oldest first.
private final class EmbeddingWorker: @unchecked Sendable {
    private let embedder: any TextEmbedder
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue: [(key: UInt64, text: String)] = []
    private var queued: Set<UInt64> = []
    private var busy = false
    private var stopped = false
    private var thread: Thread?

    init(embedder: any TextEmbedder) {
        self.embedder = embedder
    }

    func start(index: DiscoveryIndex) {
        let thread = Thread { [weak index, self] in
            self.run { index }
        }
        thread.name = "muxgate.discovery.embed"
        thread.stackSize = 1 << 20
        self.thread = thread
        thread.start()
    }

    func enqueue(_ items: [(UInt64, String)]) {
        condition.lock()
        for (key, text) in items where queued.insert(key).inserted { queue.append((key, text)) }
        condition.signal()
        condition.unlock()
    }

    var pendingCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count + (busy ? 1 : 0)
    }

    func stop() {
        condition.lock()
        stopped = true
        queue.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    func waitUntilIdle() {
        condition.lock()
        while (!queue.isEmpty || busy) && !stopped { condition.wait() }
        condition.unlock()
    }

    /// Like `waitUntilIdle`, giving up at `deadline`; true when idle.
    func waitUntilIdle(before deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while (!queue.isEmpty || busy) && !stopped {
            if !condition.wait(until: deadline) { return queue.isEmpty && !busy }
        }
        return true
    }

    private func run(_ index: () -> DiscoveryIndex?) {
        var computed: [(key: UInt64, vector: StoredVector)] = []
        var lastPublish = ContinuousClock.now
        let interval = index()?.options.publishInterval ?? 0.25
        while true {
            condition.lock()
            while queue.isEmpty && !stopped {
                busy = false
                condition.broadcast()
                condition.wait()
            }
            if stopped {
                busy = false
                condition.broadcast()
                condition.unlock()
                return
            }
            let item = queue.removeFirst()
            busy = true
            condition.unlock()

            if let vector = try? embedder.embed(item.text) {
                computed.append((item.key, StoredVector(vector)))
            }
            condition.lock()
            queued.remove(item.key)
            let drained = queue.isEmpty
            condition.unlock()
            let due = ContinuousClock.now - lastPublish >= .seconds(interval)
            if drained || due {
                guard let index = index() else { return }
                index.add(computed)
                computed.removeAll(keepingCapacity: true)
                lastPublish = .now
            }
        }
    }
}
