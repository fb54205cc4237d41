import Foundation
import MuxgateTesting

@testable import MuxgateDiscovery

/// The converted model files (scripts/setup-model.sh writes them; `make test` runs it), loaded once.
enum DiscoveryTestModel {
    static let directory = TestPaths.root + "/.models"
    static let q8: MiniLMModel? = try? MiniLMModel(
        contentsOf: URL(fileURLWithPath: directory + "/all-MiniLM-L6-v2.q8.mxemb")
    )
    static let f32: MiniLMModel? = try? MiniLMModel(
        contentsOf: URL(fileURLWithPath: directory + "/all-MiniLM-L6-v2.f32.mxemb")
    )
    static let missing = "the model is not set up: run scripts/setup-model.sh (make test does)"

    static func fixture(_ name: String) throws -> [String: Any] {
        let url = URL(fileURLWithPath: TestPaths.root + "/Tests/MuxgateCoreTests/Fixtures/discovery/" + name)
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
    }
}

/// A fast, deterministic embedder for index tests: a bag of hashed BM25 terms, unit length.
struct BagOfWordsEmbedder: TextEmbedder {
    var dimension: Int { 32 }
    var identity: String { "bag-of-words-32/v1" }
    var delay: Duration = .zero

    func embed(_ text: String) throws -> [Float] {
        if delay > .zero {
            Thread.sleep(
                forTimeInterval: Double(delay.components.attoseconds) * 1e-18 + Double(delay.components.seconds)
            )
        }
        var vector = [Float](repeating: 0, count: dimension)
        for term in TextAnalyzer.terms(text) {
            vector[Int(EmbeddingCache.fnv64(term.utf8) % UInt64(dimension))] += 1
        }
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : vector
    }
}
