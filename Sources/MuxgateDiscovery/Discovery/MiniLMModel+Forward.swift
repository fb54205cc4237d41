import Foundation

extension MiniLMModel {
    /// The sentence embedding of token ids (`[CLS] … [SEP]`): the encoder's last hidden states
    /// averaged over the tokens, scaled to unit length.
    package func embed(tokenIDs: [Int32]) -> [Float] {
        let hidden = configuration.hidden
        let tokens = min(tokenIDs.count, configuration.maxSeqLength)
        guard tokens > 0 else { return [Float](repeating: 0, count: hidden) }
        var scratch = Scratch(tokens: tokens, hidden: hidden, intermediate: configuration.intermediate)
        defer { scratch.deallocate() }
        let x = scratch.x

        // Embeddings: word + position + token type 0, then LayerNorm.
        for token in 0..<tokens {
            let row = x + token * hidden
            let id = Int(tokenIDs[token])
            switch wordEmbeddings {
            case .f32(let table, _, _):
                for index in 0..<hidden { row[index] = table[id * hidden + index] }
            case .q8(let table, let scales, _, _):
                let scale = scales[id]
                for index in 0..<hidden { row[index] = Float(table[id * hidden + index]) * scale }
            }
            let position = positionEmbeddings + token * hidden
            for index in 0..<hidden { row[index] += position[index] + typeEmbeddings[index] }
        }
        layerNorm(x, tokens: tokens, embeddingNorm)

        for layer in layers {
            apply(layer.qkv, to: x, tokens: tokens, into: scratch.qkv, scratch: &scratch)
            attention(tokens: tokens, scratch: &scratch)
            apply(layer.attentionOut, to: scratch.context, tokens: tokens, into: scratch.projected, scratch: &scratch)
            for index in 0..<(tokens * hidden) { x[index] += scratch.projected[index] }
            layerNorm(x, tokens: tokens, layer.attentionNorm)
            apply(layer.up, to: x, tokens: tokens, into: scratch.up, scratch: &scratch)
            Int8Kernels.gelu(scratch.up, count: tokens * configuration.intermediate)
            apply(layer.down, to: scratch.up, tokens: tokens, into: scratch.projected, scratch: &scratch)
            for index in 0..<(tokens * hidden) { x[index] += scratch.projected[index] }
            layerNorm(x, tokens: tokens, layer.outputNorm)
        }

        var pooled = [Float](repeating: 0, count: hidden)
        for token in 0..<tokens {
            for index in 0..<hidden { pooled[index] += x[token * hidden + index] }
        }
        var norm: Float = 0
        for index in 0..<hidden {
            pooled[index] /= Float(tokens)
            norm += pooled[index] * pooled[index]
        }
        let inverse = norm > 0 ? 1 / norm.squareRoot() : 0
        for index in 0..<hidden { pooled[index] *= inverse }
        return pooled
    }

    /// The forward pass's buffers, sized for one text.
    struct Scratch {
        let x: UnsafeMutablePointer<Float>
        let qkv: UnsafeMutablePointer<Float>
        let context: UnsafeMutablePointer<Float>
        let projected: UnsafeMutablePointer<Float>
        let up: UnsafeMutablePointer<Float>
        let scores: UnsafeMutablePointer<Float>
        let quantized: UnsafeMutablePointer<Int16>
        let inputScales: UnsafeMutablePointer<Float>
        let sums: UnsafeMutablePointer<Int32>

        init(tokens: Int, hidden: Int, intermediate: Int) {
            let padded = (tokens + 3) / 4 * 4
            x = .allocate(capacity: tokens * hidden)
            qkv = .allocate(capacity: tokens * 3 * hidden)
            context = .allocate(capacity: tokens * hidden)
            projected = .allocate(capacity: tokens * hidden)
            up = .allocate(capacity: tokens * intermediate)
            scores = .allocate(capacity: tokens)
            quantized = .allocate(capacity: padded * max(intermediate, hidden))
            inputScales = .allocate(capacity: padded)
            sums = .allocate(capacity: tokens * max(intermediate, 3 * hidden))
        }

        func deallocate() {
            x.deallocate()
            qkv.deallocate()
            context.deallocate()
            projected.deallocate()
            up.deallocate()
            scores.deallocate()
            quantized.deallocate()
            inputScales.deallocate()
            sums.deallocate()
        }
    }

    /// `output[t] = W input[t] + b` for each token.
    private func apply(
        _ linear: Linear,
        to input: UnsafeMutablePointer<Float>,
        tokens: Int,
        into output: UnsafeMutablePointer<Float>,
        scratch: inout Scratch
    ) {
        let rows = linear.weight.rows
        let columns = linear.weight.columns
        switch linear.weight {
        case .f32(let weights, _, _):
            Int8Kernels.dot(
                weights: weights,
                rows: rows,
                columns: columns,
                input: input,
                tokens: tokens,
                output: output,
                outputStride: rows
            )
            for token in 0..<tokens {
                let row = output + token * rows
                for index in 0..<rows { row[index] += linear.bias[index] }
            }
        case .q8(let weights, let scales, _, _):
            Int8Kernels.quantize(
                input,
                rows: tokens,
                columns: columns,
                into: scratch.quantized,
                scales: scratch.inputScales
            )
            Int8Kernels.dot(
                weights: weights,
                rows: rows,
                columns: columns,
                input: scratch.quantized,
                tokens: tokens,
                output: scratch.sums,
                outputStride: rows
            )
            for token in 0..<tokens {
                let row = output + token * rows
                let sums = scratch.sums + token * rows
                let inputScale = scratch.inputScales[token]
                for index in 0..<rows {
                    row[index] = Float(sums[index]) * (scales[index] * inputScale) + linear.bias[index]
                }
            }
        }
    }

    /// Multi-head self-attention over `scratch.qkv` (queries, keys, values side by side) into `scratch.context`.
    private func attention(tokens: Int, scratch: inout Scratch) {
        let hidden = configuration.hidden
        let heads = configuration.heads
        let width = hidden / heads
        let stride = 3 * hidden
        let scale = 1 / Float(width).squareRoot()
        let qkv = UnsafeRawPointer(scratch.qkv)
        let scores = scratch.scores
        for head in 0..<heads {
            let offset = head * width
            for query in 0..<tokens {
                let q = qkv + 4 * (query * stride + offset)
                var largest = -Float.infinity
                for key in 0..<tokens {
                    let k = qkv + 4 * (key * stride + hidden + offset)
                    scores[key] = Int8Kernels.dot(q, k, count: width) * scale
                    largest = max(largest, scores[key])
                }
                var total: Float = 0
                for key in 0..<tokens {
                    scores[key] = exp(scores[key] - largest)
                    total += scores[key]
                }
                let out = scratch.context + query * hidden + offset
                out.initialize(repeating: 0, count: width)
                let inverse = 1 / total
                for key in 0..<tokens {
                    let v = qkv + 4 * (key * stride + 2 * hidden + offset)
                    Int8Kernels.addScaled(scores[key] * inverse, v, to: UnsafeMutableRawPointer(out), count: width)
                }
            }
        }
    }

    private func layerNorm(
        _ x: UnsafeMutablePointer<Float>,
        tokens: Int,
        _ parameters: (weight: UnsafePointer<Float>, bias: UnsafePointer<Float>)
    ) {
        let hidden = configuration.hidden
        let epsilon = configuration.layerNormEps
        for token in 0..<tokens {
            let row = x + token * hidden
            var mean: Float = 0
            for index in 0..<hidden { mean += row[index] }
            mean /= Float(hidden)
            var variance: Float = 0
            for index in 0..<hidden {
                let centered = row[index] - mean
                variance += centered * centered
            }
            variance /= Float(hidden)
            let inverse = 1 / (variance + epsilon).squareRoot()
            for index in 0..<hidden {
                row[index] = (row[index] - mean) * inverse * parameters.weight[index] + parameters.bias[index]
            }
        }
    }
}
