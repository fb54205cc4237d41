/// One Int8 vector with its scale: `value[i] = values[i] * scale`.
package struct StoredVector: Sendable, Equatable {
    package var values: [Int8]
    package var scale: Float

    package init(values: [Int8], scale: Float) {
        self.values = values
        self.scale = scale
    }

    /// A Float vector rounded to Int8 with one scale (the largest magnitude maps to 127).
    package init(_ vector: [Float]) {
        var largest: Float = 0
        for value in vector { largest = max(largest, abs(value)) }
        let scale = largest > 0 ? largest / 127 : 1
        values = vector.map { Int8(($0 / scale).rounded()) }
        self.scale = scale
    }

    package var floats: [Float] { values.map { Float($0) * scale } }
}

/// The index's vectors: one Int8 row a document, contiguous, and its scale (0 where the document
/// has no vector yet). Scoring a query is one pass of `Int8Kernels.dot` over the rows.
struct VectorTable: Sendable {
    let dimension: Int
    private(set) var values: [Int8]
    private(set) var scales: [Float]

    init(dimension: Int, count: Int) {
        self.dimension = dimension
        values = [Int8](repeating: 0, count: dimension * count)
        scales = [Float](repeating: 0, count: count)
    }

    var count: Int { scales.count }

    func has(_ row: Int) -> Bool { row < scales.count && scales[row] != 0 }

    mutating func set(_ row: Int, _ vector: StoredVector) {
        precondition(vector.values.count == dimension)
        values.withUnsafeMutableBufferPointer { buffer in
            for index in 0..<dimension { buffer[row * dimension + index] = vector.values[index] }
        }
        scales[row] = vector.scale
    }

    func vector(_ row: Int) -> StoredVector? {
        guard has(row) else { return nil }
        return StoredVector(values: Array(values[(row * dimension)..<((row + 1) * dimension)]), scale: scales[row])
    }

    /// A unit-length query as the kernel reads it: Int16 values and their scale.
    static func quantize(_ query: [Float]) -> (values: [Int16], scale: Float) {
        var values = [Int16](repeating: 0, count: query.count)
        var scale: Float = 0
        query.withUnsafeBufferPointer { input in
            values.withUnsafeMutableBufferPointer { target in
                Int8Kernels.quantize(
                    input.baseAddress!,
                    rows: 1,
                    columns: query.count,
                    into: target.baseAddress!,
                    scales: &scale
                )
            }
        }
        return (values, scale)
    }

    /// Writes the cosine of the query with each row into `output[offset + row]` (0 for rows without a vector).
    /// - Parameter sums: scratch space of at least `count` values.
    func cosines(
        _ query: (values: [Int16], scale: Float),
        into output: inout [Float],
        at offset: Int,
        scratch sums: inout [Int32]
    ) {
        let rows = count
        guard rows > 0, sums.count >= rows, query.values.count == dimension,
            dimension % Int8Kernels.columnMultiple == 0
        else { return }
        values.withUnsafeBufferPointer { weights in
            query.values.withUnsafeBufferPointer { input in
                sums.withUnsafeMutableBufferPointer { target in
                    Int8Kernels.dot(
                        weights: weights.baseAddress!,
                        rows: rows,
                        columns: dimension,
                        input: input.baseAddress!,
                        tokens: 1,
                        output: target.baseAddress!,
                        outputStride: rows
                    )
                }
            }
        }
        for row in 0..<rows { output[offset + row] = Float(sums[row]) * scales[row] * query.scale }
    }
}
