package import Foundation
package import Logging
package import MuxgateConfig
package import MuxgateDiscovery
import MuxgateWire
import Synchronization

/// The gateway's tool search: the discovery index kept in step with the tool catalogue, off the
/// gateway's actor and off every call's path.
///
/// The gateway submits each catalogue it builds (only while some caller can use discovery); `run`,
/// in the gateway's task group, loads the model on the first one and re-indexes only the servers
/// whose tools changed. A search first waits for the catalogues submitted before it to be indexed
/// (a tool listed is a tool found), then ranks on the calling task. The model's vectors come on
/// the index's own thread; BM25 serves until they do.
package final class ToolDiscovery: Sendable {
    /// One catalogue to index, with what it takes to find the model.
    struct Submission: Sendable {
        let generation: Int
        let catalogue: NamedCatalogue
        let instructions: [String: String]
        let separator: String
        let config: MuxgateConfig
    }

    private struct State {
        var index: DiscoveryIndex?
        var submitted = 0
        var indexed = 0
        var stopped = false
        var waiters: [(generation: Int, waiter: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())
    private let updates: AsyncStream<Submission>
    private let continuation: AsyncStream<Submission>.Continuation
    private let logger: Logger

    package init(logger: Logger) {
        self.logger = logger
        // Only the newest catalogue matters: one submitted while another is indexed replaces any waiting.
        (updates, continuation) = AsyncStream.makeStream(of: Submission.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues `catalogue` for indexing; a search started after this sees it.
    ///
    /// - Parameter instructions: Each server's `instructions` from its hello.
    func submit(_ catalogue: NamedCatalogue, instructions: [String: String], config: MuxgateConfig) {
        let generation = state.withLock { state -> Int? in
            guard !state.stopped else { return nil }
            state.submitted += 1
            return state.submitted
        }
        guard let generation else { return }
        continuation.yield(
            Submission(
                generation: generation,
                catalogue: catalogue,
                instructions: instructions,
                separator: config.client.separator,
                config: config
            )
        )
    }

    /// Indexes what is submitted until `stop`.
    package func run() async {
        var index: DiscoveryIndex?
        var indexed: [String: [ToolDocument]] = [:]
        for await submission in updates {
            if index == nil {
                index = makeIndex(for: submission.config)
                state.withLock { $0.index = index }
            }
            let documents = Self.documents(
                submission.catalogue,
                instructions: submission.instructions,
                separator: submission.separator
            )
            var changed: [String: [ToolDocument]] = [:]
            for server in Set(documents.keys).union(indexed.keys) where documents[server] != indexed[server] {
                changed[server] = documents[server] ?? []
            }
            if !changed.isEmpty { index!.replace(changed) }
            indexed = documents
            let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.indexed = submission.generation
                let (ready, waiting) = state.waiters.partitioned { $0.generation <= submission.generation }
                state.waiters = waiting
                return ready.map(\.waiter)
            }
            for waiter in ready { waiter.resume() }
        }
        index?.shutdown()
    }

    /// Ends `run` (the gateway is stopping): searches waiting are answered with what is indexed.
    package func stop() {
        let waiting = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.stopped = true
            defer { state.waiters = [] }
            return state.waiters.map(\.waiter)
        }
        continuation.finish()
        for waiter in waiting { waiter.resume() }
    }

    /// The best `limit` tools for `query` among those `allowed` keeps, best first.
    ///
    /// Waits until every catalogue submitted before the call is indexed. `allowed` is asked of
    /// every indexed tool before anything is ranked: what it refuses takes no part in the ranking.
    ///
    /// - Parameter vectorWait: How long to wait for vectors still being computed (then the tools
    ///   without one are ranked by their words alone).
    func search(
        _ query: String,
        limit: Int,
        vectorWait: Duration,
        allowed: @escaping (String) -> Bool
    ) async -> [DiscoveryMatch] {
        await caughtUp()
        guard let index = state.withLock({ $0.index }) else { return [] }
        if vectorWait > .zero, index.status.pending > 0 {
            let seconds = Double(vectorWait.components.seconds) + Double(vectorWait.components.attoseconds) / 1e18
            // The embedding thread signals a condition: waited for on a thread of its own, not the pool's.
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                Thread {
                    _ = index.waitUntilEmbedded(timeout: seconds)
                    done.resume()
                }.start()
            }
        }
        return index.search(query, limit: limit, allowed: allowed)
    }

    /// How far indexing has come (nil before the first catalogue).
    package var status: DiscoveryIndex.Status? { state.withLock { $0.index?.status } }

    /// Blocks until the model has embedded every tool indexed so far (tests, benchmarks).
    package func waitUntilEmbedded() async {
        await caughtUp()
        state.withLock { $0.index }?.waitUntilEmbedded()
    }

    private func caughtUp() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                guard !state.stopped, state.indexed < state.submitted else { return true }
                state.waiters.append((state.submitted, waiter))
                return false
            }
            if ready { waiter.resume() }
        }
    }

    // MARK: - The model

    /// The index: over the model's vectors when it loads, else BM25 alone (logged).
    private func makeIndex(for config: MuxgateConfig) -> DiscoveryIndex {
        let candidates = Self.modelCandidates(config)
        guard let url = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
            let looked = candidates.map(\.path).joined(separator: ", ")
            logger.error(
                "discovery: no model file (looked at \(looked)); searching by words alone (BM25). `make model` makes it"
            )
            return DiscoveryIndex()
        }
        let model: MiniLMModel
        do {
            model = try MiniLMModel(contentsOf: url)
        } catch {
            logger.error("discovery: \(error); searching by words alone (BM25)")
            return DiscoveryIndex()
        }
        logger.info("discovery: model \(url.path) (\(model.weights), \(model.byteCount / 1024) KiB)")
        guard config.discovery.cache else { return DiscoveryIndex(embedder: model) }
        let state = AuditConfig.stateDirectory(environment: ProcessInfo.processInfo.environment)
        let cacheURL = URL(fileURLWithPath: state + "/discovery/vectors.mxvc")
        do {
            try FileManager.default.createDirectory(
                at: cacheURL.deletingLastPathComponent(),
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
            let cache = try EmbeddingCache(url: cacheURL, identity: model.identity, dimension: model.dimension)
            if let discarded = cache.discarded {
                logger.notice("discovery: vector cache \(cacheURL.path): started afresh (\(discarded))")
            }
            return DiscoveryIndex(embedder: model, cache: cache)
        } catch {
            logger.warning("discovery: no vector cache (\(error)); every start embeds every tool")
            return DiscoveryIndex(embedder: model)
        }
    }

    /// The file name `make model` writes and `make release` copies beside the binary.
    package static let modelFile = "all-MiniLM-L6-v2.q8.mxemb"

    /// Where the model is looked for, in order: `discovery.model` (relative to the configuration's
    /// directory) alone when set; else beside the binary (`make release` puts it there), then in
    /// `.models/` of the source tree a `swift build` binary sits in (`.build/<triple>/debug/`).
    package static func modelCandidates(_ config: MuxgateConfig) -> [URL] {
        if let path = config.discovery.model {
            let base =
                config.file.isEmpty
                ? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
                : URL(fileURLWithPath: config.file).deletingLastPathComponent()
            return [path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)]
        }
        guard let binary = Bundle.main.executableURL?.resolvingSymlinksInPath() else { return [] }
        var directory = binary.deletingLastPathComponent()
        var candidates = [directory.appendingPathComponent(modelFile)]
        // A binary of `swift build` sits in <tree>/.build/<triple>/<configuration>/.
        for _ in 0..<3 {
            directory = directory.deletingLastPathComponent()
            candidates.append(directory.appendingPathComponent(".models").appendingPathComponent(modelFile))
        }
        return candidates
    }

    // MARK: - Documents

    /// What the index knows of each tool of `catalogue`, by server: the definition the IDE sees
    /// (shaped), its server's name and instructions.
    static func documents(
        _ catalogue: NamedCatalogue,
        instructions: [String: String],
        separator: String
    ) -> [String: [ToolDocument]] {
        var documents: [String: [ToolDocument]] = [:]
        for entry in catalogue.entries {
            guard let definition = try? JSONSlice.parse(entry.definition) else { continue }
            let prefix = entry.server + separator
            let name =
                entry.exposedName.hasPrefix(prefix)
                ? String(entry.exposedName.dropFirst(prefix.count)) : entry.exposedName
            let parameters = (definition["inputSchema"]?["properties"]?.members ?? []).map { member in
                ToolDocument.Parameter(name: member.key, description: member.value["description"]?.string ?? "")
            }
            documents[entry.server, default: []].append(
                ToolDocument(
                    id: entry.exposedName,
                    server: entry.server,
                    name: name,
                    title: definition["title"]?.string ?? definition["annotations"]?["title"]?.string ?? "",
                    description: definition["description"]?.string ?? "",
                    parameters: parameters,
                    serverInstructions: instructions[entry.server] ?? ""
                )
            )
        }
        return documents
    }
}

extension Array {
    fileprivate func partitioned(_ first: (Element) -> Bool) -> ([Element], [Element]) {
        var yes: [Element] = []
        var no: [Element] = []
        for element in self {
            if first(element) { yes.append(element) } else { no.append(element) }
        }
        return (yes, no)
    }
}
