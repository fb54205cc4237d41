import Foundation
import MuxgateTesting
import Testing

@testable import MuxgateDiscovery

@Suite("Discovery: the WordPiece tokenizer and the MiniLM forward pass against the reference")
struct DiscoveryModelTests {
    func fnv(_ text: String) -> String { String(EmbeddingCache.fnv64(text.utf8), radix: 16).leftPadded(16) }

    @Test("the tokenizer gives the reference tokenizer's ids on hand-made edge cases")
    func tokenizerCases() throws {
        let model = try #require(DiscoveryTestModel.q8, Comment(rawValue: DiscoveryTestModel.missing))
        let cases = try DiscoveryTestModel.fixture("tokenizer-cases.json")["cases"] as? [[String: Any]] ?? []
        #expect(cases.count > 50)
        for entry in cases {
            let text = try #require(entry["text"] as? String)
            let expected = (entry["ids"] as? [Int] ?? []).map(Int32.init)
            let ids = Array(model.tokenizer.encode(text, maxLength: .max).dropFirst().dropLast())
            #expect(ids == expected, "\(text.debugDescription): \(model.tokenizer.tokenize(text))")
        }
    }

    @Test("the tokenizer gives the reference's ids on every text of the vendored corpora and queries")
    func tokenizerCorpus() throws {
        let model = try #require(DiscoveryTestModel.q8, Comment(rawValue: DiscoveryTestModel.missing))
        let reference = try DiscoveryTestModel.fixture("tokenizer-corpus.json")["texts"] as? [String: [Any]] ?? [:]
        var texts: [String] = []
        let base = TestPaths.root + "/Benchmarks/discovery/"
        for path in ["livemcptool/tools.json", "mcpproxy-golden/corpus_v1.tools.json"] {
            let url = URL(fileURLWithPath: base + path)
            let tools = (try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])?["tools"]
            for tool in tools as? [[String: Any]] ?? [] {
                texts += [tool["tool"], tool["server"], tool["description"]].compactMap { $0 as? String }
                let properties = (tool["inputSchema"] as? [String: Any])?["properties"] as? [String: Any] ?? [:]
                for (name, property) in properties {
                    texts.append(name)
                    if let about = (property as? [String: Any])?["description"] as? String { texts.append(about) }
                }
            }
        }
        var checked = 0
        for text in Set(texts) {
            guard let entry = reference[fnv(text)], let digest = entry.last as? String else { continue }
            let ids = model.tokenizer.encode(text, maxLength: .max).dropFirst().dropLast()
            #expect(fnv(ids.map(String.init).joined(separator: " ")) == digest, "\(text.prefix(120).debugDescription)")
            checked += 1
        }
        #expect(checked > 2000, "the corpus fixture and the vendored data disagree: \(checked) texts found")
    }

    @Test("the fp32 forward pass matches sentence-transformers: cosine >= 0.999 on every reference text")
    func forwardPassFloat() throws {
        let model = try #require(DiscoveryTestModel.f32, Comment(rawValue: DiscoveryTestModel.missing))
        // Short texts only: a debug build runs the forward pass slowly (the long one is checked in int8).
        for (text, reference) in try references() where model.tokenizer.encode(text).count < 10 {
            #expect(cosine(model.embed(text), reference) >= 0.999, "\(text.prefix(60).debugDescription)")
        }
    }

    @Test("the int8 forward pass stays within 0.99 cosine of the reference, 0.999 on average")
    func forwardPassInt8() throws {
        let model = try #require(DiscoveryTestModel.q8, Comment(rawValue: DiscoveryTestModel.missing))
        var total: Float = 0
        let references = try references().filter { model.tokenizer.encode($0.0).count < 64 }
        for (text, reference) in references {
            let similarity = cosine(model.embed(text), reference)
            total += similarity
            #expect(similarity >= 0.99, "\(text.prefix(60).debugDescription): \(similarity)")
        }
        #expect(total / Float(references.count) >= 0.999)
    }

    @Test("a model file cut short or of another format is refused with a message naming it")
    func invalidModel() throws {
        #expect(throws: DiscoveryError.self) { try MiniLMModel(data: Data("not a model".utf8), path: "x.mxemb") }
        let path = DiscoveryTestModel.directory + "/all-MiniLM-L6-v2.q8.mxemb"
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else { return }
        let error = #expect(throws: DiscoveryError.self) {
            try MiniLMModel(data: data.prefix(data.count / 2), path: "cut.mxemb")
        }
        #expect(error?.code == .invalidModel)
        #expect(error?.description.contains("cut.mxemb") == true)
    }

    func references() throws -> [(String, [Float])] {
        let texts = try DiscoveryTestModel.fixture("embeddings.json")["texts"] as? [[String: Any]] ?? []
        return texts.map { ($0["text"] as? String ?? "", ($0["vector"] as? [Double] ?? []).map(Float.init)) }
    }

    func cosine(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
