/// Something that turns text into a unit-length vector: the in-process model, or (later) an
/// OpenAI-compatible embeddings endpoint.
package protocol TextEmbedder: Sendable {
    /// The vectors' width.
    var dimension: Int { get }
    /// Names the model and its weights, so a cache written by another model is never read as this one's.
    var identity: String { get }
    /// The unit-length embedding of `text`.
    ///
    /// - Throws: `DiscoveryError` (`.embedderFailed`) when the embedder cannot answer.
    func embed(_ text: String) throws -> [Float]
}

extension MiniLMModel: TextEmbedder {
    package var identity: String {
        "all-MiniLM-L6-v2/\(weights)/max\(configuration.maxSeqLength)/mean-pool/v1"
    }
}
