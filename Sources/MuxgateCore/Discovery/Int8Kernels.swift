#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// The integer dot products under the model's matrix multiplications and the vector search.
///
/// Weights are Int8 rows with a Float scale each; inputs are Int16 rows (a row of activations
/// scaled so that its largest magnitude is `inputRange`). On x86-64 the products run on SSE2's
/// `pmaddwd` (eight multiply-adds an instruction, part of every x86-64 CPU, so no dispatch is
/// needed); elsewhere on Swift SIMD vectors. Four input rows share each weight row's loads.
enum Int8Kernels {
    /// The largest magnitude an input row is scaled to. An accumulator lane sums `columns / 4`
    /// products of at most `127 * inputRange`: 384 × 127 × 32767 < 2³¹ for 1,536 columns.
    static let inputRange: Float = 32767
    /// Columns must be a multiple of this (every matrix of the model is, and so is a 384-wide vector).
    static let columnMultiple = 16
    /// The widest row the accumulators cannot overflow on.
    static let maximumColumns = 1536

    /// Scales each row of `input` (`count` rows of `columns`) into `output` and returns each row's scale.
    static func quantize(
        _ input: UnsafePointer<Float>,
        rows count: Int,
        columns: Int,
        into output: UnsafeMutablePointer<Int16>,
        scales: UnsafeMutablePointer<Float>
    ) {
        for row in 0..<count {
            let source = input + row * columns
            var largest: Float = 0
            for index in 0..<columns { largest = max(largest, abs(source[index])) }
            let scale = largest > 0 ? largest / inputRange : 1
            let inverse = 1 / scale
            let target = output + row * columns
            for index in 0..<columns { target[index] = Int16((source[index] * inverse).rounded()) }
            scales[row] = scale
        }
    }

    /// `output[t * outputStride + r] = Σ_c weights[r][c] * input[t][c]` for `tokens` input rows
    /// and `rows` weight rows, each `columns` wide.
    static func dot(
        weights: UnsafePointer<Int8>,
        rows: Int,
        columns: Int,
        input: UnsafePointer<Int16>,
        tokens: Int,
        output: UnsafeMutablePointer<Int32>,
        outputStride: Int
    ) {
        precondition(columns % columnMultiple == 0 && columns <= maximumColumns)
        for row in 0..<rows {
            let weightRow = UnsafeRawPointer(weights + row * columns)
            var token = 0
            while token + 4 <= tokens {
                let base = UnsafeRawPointer(input + token * columns)
                let sums = dot4(weightRow, base, columns)
                output[token * outputStride + row] = sums.0
                output[(token + 1) * outputStride + row] = sums.1
                output[(token + 2) * outputStride + row] = sums.2
                output[(token + 3) * outputStride + row] = sums.3
                token += 4
            }
            while token < tokens {
                output[token * outputStride + row] = dot1(weightRow, UnsafeRawPointer(input + token * columns), columns)
                token += 1
            }
        }
    }

    #if arch(x86_64)
    @inline(__always)
    private static func sum(_ vector: __m128i) -> Int32 {
        unsafeBitCast(vector, to: SIMD4<Int32>.self).wrappedSum()
    }

    /// Sign-extends 16 Int8 weights into two vectors of eight Int16.
    @inline(__always)
    private static func widen(_ bytes: __m128i) -> (__m128i, __m128i) {
        (_mm_srai_epi16(_mm_unpacklo_epi8(bytes, bytes), 8), _mm_srai_epi16(_mm_unpackhi_epi8(bytes, bytes), 8))
    }

    @inline(__always)
    private static func dot4(
        _ weights: UnsafeRawPointer,
        _ input: UnsafeRawPointer,
        _ columns: Int
    ) -> (Int32, Int32, Int32, Int32) {
        let stride = columns * 2
        let x0 = input, x1 = input + stride, x2 = input + 2 * stride, x3 = input + 3 * stride
        var a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0
        var column = 0
        while column < columns {
            let (low, high) = widen(weights.loadUnaligned(fromByteOffset: column, as: __m128i.self))
            let offset = column * 2
            a0 = _mm_add_epi32(
                a0,
                _mm_add_epi32(
                    _mm_madd_epi16(low, x0.loadUnaligned(fromByteOffset: offset, as: __m128i.self)),
                    _mm_madd_epi16(high, x0.loadUnaligned(fromByteOffset: offset + 16, as: __m128i.self))
                )
            )
            a1 = _mm_add_epi32(
                a1,
                _mm_add_epi32(
                    _mm_madd_epi16(low, x1.loadUnaligned(fromByteOffset: offset, as: __m128i.self)),
                    _mm_madd_epi16(high, x1.loadUnaligned(fromByteOffset: offset + 16, as: __m128i.self))
                )
            )
            a2 = _mm_add_epi32(
                a2,
                _mm_add_epi32(
                    _mm_madd_epi16(low, x2.loadUnaligned(fromByteOffset: offset, as: __m128i.self)),
                    _mm_madd_epi16(high, x2.loadUnaligned(fromByteOffset: offset + 16, as: __m128i.self))
                )
            )
            a3 = _mm_add_epi32(
                a3,
                _mm_add_epi32(
                    _mm_madd_epi16(low, x3.loadUnaligned(fromByteOffset: offset, as: __m128i.self)),
                    _mm_madd_epi16(high, x3.loadUnaligned(fromByteOffset: offset + 16, as: __m128i.self))
                )
            )
            column += 16
        }
        return (sum(a0), sum(a1), sum(a2), sum(a3))
    }

    @inline(__always)
    private static func dot1(_ weights: UnsafeRawPointer, _ input: UnsafeRawPointer, _ columns: Int) -> Int32 {
        var accumulator = _mm_setzero_si128()
        var column = 0
        while column < columns {
            let (low, high) = widen(weights.loadUnaligned(fromByteOffset: column, as: __m128i.self))
            let offset = column * 2
            accumulator = _mm_add_epi32(
                accumulator,
                _mm_add_epi32(
                    _mm_madd_epi16(low, input.loadUnaligned(fromByteOffset: offset, as: __m128i.self)),
                    _mm_madd_epi16(high, input.loadUnaligned(fromByteOffset: offset + 16, as: __m128i.self))
                )
            )
            column += 16
        }
        return sum(accumulator)
    }
    #else
    @inline(__always)
    private static func dot4(
        _ weights: UnsafeRawPointer,
        _ input: UnsafeRawPointer,
        _ columns: Int
    ) -> (Int32, Int32, Int32, Int32) {
        let stride = columns * 2
        return (
            dot1(weights, input, columns), dot1(weights, input + stride, columns),
            dot1(weights, input + 2 * stride, columns), dot1(weights, input + 3 * stride, columns)
        )
    }

    @inline(__always)
    private static func dot1(_ weights: UnsafeRawPointer, _ input: UnsafeRawPointer, _ columns: Int) -> Int32 {
        var accumulator = SIMD8<Int32>()
        var column = 0
        while column < columns {
            let w = SIMD8<Int32>(truncatingIfNeeded: weights.loadUnaligned(fromByteOffset: column, as: SIMD8<Int8>.self))
            let x = SIMD8<Int32>(truncatingIfNeeded: input.loadUnaligned(fromByteOffset: column * 2, as: SIMD8<Int16>.self))
            accumulator &+= w &* x
            column += 8
        }
        return accumulator.wrappedSum()
    }
    #endif

    /// `output[t * outputStride + r] = Σ_c weights[r][c] * input[t][c]` in Float (the f32 model).
    static func dot(
        weights: UnsafePointer<Float>,
        rows: Int,
        columns: Int,
        input: UnsafePointer<Float>,
        tokens: Int,
        output: UnsafeMutablePointer<Float>,
        outputStride: Int
    ) {
        precondition(columns % 8 == 0)
        let bytes = columns * 4
        for row in 0..<rows {
            let w = UnsafeRawPointer(weights + row * columns)
            var token = 0
            while token + 4 <= tokens {
                let x0 = UnsafeRawPointer(input + token * columns), x1 = x0 + bytes, x2 = x1 + bytes, x3 = x2 + bytes
                var a0 = SIMD8<Float>(), a1 = a0, a2 = a0, a3 = a0
                var offset = 0
                while offset < bytes {
                    let b = w.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                    a0 += x0.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self) * b
                    a1 += x1.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self) * b
                    a2 += x2.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self) * b
                    a3 += x3.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self) * b
                    offset += 32
                }
                output[token * outputStride + row] = a0.sum()
                output[(token + 1) * outputStride + row] = a1.sum()
                output[(token + 2) * outputStride + row] = a2.sum()
                output[(token + 3) * outputStride + row] = a3.sum()
                token += 4
            }
            while token < tokens {
                let x = UnsafeRawPointer(input + token * columns)
                var accumulator = SIMD8<Float>()
                var offset = 0
                while offset < bytes {
                    accumulator +=
                        x.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                        * w.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                    offset += 32
                }
                output[token * outputStride + row] = accumulator.sum()
                token += 1
            }
        }
    }
}
