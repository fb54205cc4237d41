import Foundation

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
        precondition(columns % 8 == 0)
        for row in 0..<count {
            let source = input + row * columns
            let target = output + row * columns
            #if arch(x86_64)
                let raw = UnsafeRawPointer(source)
                let signless = _mm_castsi128_ps(_mm_set1_epi32(0x7fff_ffff))
                var largest = _mm_setzero_ps()
                for offset in stride(from: 0, to: columns * 4, by: 16) {
                    largest = _mm_max_ps(
                        largest,
                        _mm_and_ps(raw.loadUnaligned(fromByteOffset: offset, as: __m128.self), signless)
                    )
                }
                let lanes = unsafeBitCast(largest, to: SIMD4<Float>.self)
                let maximum = max(max(lanes[0], lanes[1]), max(lanes[2], lanes[3]))
            #else
                var maximum: Float = 0
                for index in 0..<columns { maximum = max(maximum, abs(source[index])) }
            #endif
            let scale = maximum > 0 ? maximum / inputRange : 1
            let inverse = 1 / scale
            #if arch(x86_64)
                let factor = _mm_set1_ps(inverse)
                let out = UnsafeMutableRawPointer(target)
                for offset in stride(from: 0, to: columns * 4, by: 32) {
                    // cvtps2dq rounds to nearest even (the default MXCSR mode); packssdw packs into Int16.
                    let low = _mm_cvtps_epi32(
                        _mm_mul_ps(raw.loadUnaligned(fromByteOffset: offset, as: __m128.self), factor)
                    )
                    let high = _mm_cvtps_epi32(
                        _mm_mul_ps(raw.loadUnaligned(fromByteOffset: offset + 16, as: __m128.self), factor)
                    )
                    out.storeBytes(of: _mm_packs_epi32(low, high), toByteOffset: offset / 2, as: __m128i.self)
                }
            #else
                for index in 0..<columns { target[index] = Int16((source[index] * inverse).rounded()) }
            #endif
            scales[row] = scale
        }
    }

    /// `Σ a[i] b[i]` over `count` Floats (a multiple of 4 on x86-64).
    @inline(__always)
    static func dot(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Float {
        #if arch(x86_64)
            var sum = _mm_setzero_ps()
            for offset in stride(from: 0, to: count * 4, by: 16) {
                sum = _mm_add_ps(
                    sum,
                    _mm_mul_ps(
                        a.loadUnaligned(fromByteOffset: offset, as: __m128.self),
                        b.loadUnaligned(fromByteOffset: offset, as: __m128.self)
                    )
                )
            }
            let lanes = unsafeBitCast(sum, to: SIMD4<Float>.self)
            return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
        #else
            var sum: Float = 0
            for index in 0..<count {
                sum +=
                    a.load(fromByteOffset: 4 * index, as: Float.self)
                    * b.load(fromByteOffset: 4 * index, as: Float.self)
            }
            return sum
        #endif
    }

    /// `y[i] += a × x[i]` over `count` Floats (a multiple of 4 on x86-64).
    @inline(__always)
    static func addScaled(_ a: Float, _ x: UnsafeRawPointer, to y: UnsafeMutableRawPointer, count: Int) {
        #if arch(x86_64)
            let factor = _mm_set1_ps(a)
            for offset in stride(from: 0, to: count * 4, by: 16) {
                let sum = _mm_add_ps(
                    y.loadUnaligned(fromByteOffset: offset, as: __m128.self),
                    _mm_mul_ps(factor, x.loadUnaligned(fromByteOffset: offset, as: __m128.self))
                )
                y.storeBytes(of: sum, toByteOffset: offset, as: __m128.self)
            }
        #else
            for index in 0..<count {
                let value =
                    y.load(fromByteOffset: 4 * index, as: Float.self) + a
                    * x.load(fromByteOffset: 4 * index, as: Float.self)
                y.storeBytes(of: value, toByteOffset: 4 * index, as: Float.self)
            }
        #endif
    }

    /// GELU as BERT defines it, `x Φ(x) = x (1 + erf(x / √2)) / 2`, in place.
    ///
    /// erf is the rational approximation on [-4, 4] that Eigen and TensorFlow use for Float (error
    /// of a few ULP; erf(±4) is ±1 in Float), four values an instruction on x86-64.
    static func gelu(_ values: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        #if arch(x86_64)
            let raw = UnsafeMutableRawPointer(values)
            @inline(__always) func step(_ p: __m128, _ x2: __m128, _ c: Float) -> __m128 {
                _mm_add_ps(_mm_mul_ps(p, x2), _mm_set1_ps(c))
            }
            while index + 4 <= count {
                let x = raw.loadUnaligned(fromByteOffset: 4 * index, as: __m128.self)
                let a = _mm_min_ps(_mm_max_ps(_mm_mul_ps(x, _mm_set1_ps(0.70710678)), _mm_set1_ps(-4)), _mm_set1_ps(4))
                let x2 = _mm_mul_ps(a, a)
                var p = step(_mm_set1_ps(-2.72614225801306e-10), x2, 2.77068142495902e-08)
                p = step(p, x2, -2.10102402082508e-06)
                p = step(p, x2, -5.69250639462346e-05)
                p = step(p, x2, -7.34990630326855e-04)
                p = step(p, x2, -2.95459980854025e-03)
                p = step(p, x2, -1.60960333262415e-02)
                p = _mm_mul_ps(p, a)
                var q = step(_mm_set1_ps(-1.45660718464996e-05), x2, -2.13374055278905e-04)
                q = step(q, x2, -1.68282697438203e-03)
                q = step(q, x2, -7.37332916720468e-03)
                q = step(q, x2, -1.42647390514189e-02)
                let erf = _mm_div_ps(p, q)
                let y = _mm_mul_ps(_mm_mul_ps(_mm_set1_ps(0.5), x), _mm_add_ps(_mm_set1_ps(1), erf))
                raw.storeBytes(of: y, toByteOffset: 4 * index, as: __m128.self)
                index += 4
            }
        #endif
        while index < count {
            let x = values[index]
            values[index] = 0.5 * x * (1 + Float(erf(Double(x) * 0.7071067811865476)))
            index += 1
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
        var first = 0
        #if arch(x86_64)
            // Two weight rows against four input rows: each load of either serves four products.
            while first + 2 <= rows && tokens >= 4 {
                let w0 = UnsafeRawPointer(weights + first * columns)
                let w1 = UnsafeRawPointer(weights + (first + 1) * columns)
                var token = 0
                while token + 4 <= tokens {
                    let sums = dot4x2(w0, w1, UnsafeRawPointer(input + token * columns), columns)
                    for lane in 0..<4 {
                        output[(token + lane) * outputStride + first] = sums.0[lane]
                        output[(token + lane) * outputStride + first + 1] = sums.1[lane]
                    }
                    token += 4
                }
                while token < tokens {
                    let x = UnsafeRawPointer(input + token * columns)
                    output[token * outputStride + first] = dot1(w0, x, columns)
                    output[token * outputStride + first + 1] = dot1(w1, x, columns)
                    token += 1
                }
                first += 2
            }
        #endif
        for row in first..<rows {
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

        /// Rows `w0` and `w1` against four input rows: (w0 · x0…x3, w1 · x0…x3).
        @inline(__always)
        private static func dot4x2(
            _ w0: UnsafeRawPointer,
            _ w1: UnsafeRawPointer,
            _ input: UnsafeRawPointer,
            _ columns: Int
        ) -> (SIMD4<Int32>, SIMD4<Int32>) {
            let stride = columns * 2
            let x0 = input, x1 = input + stride, x2 = input + 2 * stride, x3 = input + 3 * stride
            var a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0
            var b0 = a0, b1 = a0, b2 = a0, b3 = a0
            var column = 0
            while column < columns {
                let (l0, h0) = widen(w0.loadUnaligned(fromByteOffset: column, as: __m128i.self))
                let (l1, h1) = widen(w1.loadUnaligned(fromByteOffset: column, as: __m128i.self))
                let offset = column * 2
                var low = x0.loadUnaligned(fromByteOffset: offset, as: __m128i.self)
                var high = x0.loadUnaligned(fromByteOffset: offset + 16, as: __m128i.self)
                a0 = _mm_add_epi32(a0, _mm_add_epi32(_mm_madd_epi16(l0, low), _mm_madd_epi16(h0, high)))
                b0 = _mm_add_epi32(b0, _mm_add_epi32(_mm_madd_epi16(l1, low), _mm_madd_epi16(h1, high)))
                low = x1.loadUnaligned(fromByteOffset: offset, as: __m128i.self)
                high = x1.loadUnaligned(fromByteOffset: offset + 16, as: __m128i.self)
                a1 = _mm_add_epi32(a1, _mm_add_epi32(_mm_madd_epi16(l0, low), _mm_madd_epi16(h0, high)))
                b1 = _mm_add_epi32(b1, _mm_add_epi32(_mm_madd_epi16(l1, low), _mm_madd_epi16(h1, high)))
                low = x2.loadUnaligned(fromByteOffset: offset, as: __m128i.self)
                high = x2.loadUnaligned(fromByteOffset: offset + 16, as: __m128i.self)
                a2 = _mm_add_epi32(a2, _mm_add_epi32(_mm_madd_epi16(l0, low), _mm_madd_epi16(h0, high)))
                b2 = _mm_add_epi32(b2, _mm_add_epi32(_mm_madd_epi16(l1, low), _mm_madd_epi16(h1, high)))
                low = x3.loadUnaligned(fromByteOffset: offset, as: __m128i.self)
                high = x3.loadUnaligned(fromByteOffset: offset + 16, as: __m128i.self)
                a3 = _mm_add_epi32(a3, _mm_add_epi32(_mm_madd_epi16(l0, low), _mm_madd_epi16(h0, high)))
                b3 = _mm_add_epi32(b3, _mm_add_epi32(_mm_madd_epi16(l1, low), _mm_madd_epi16(h1, high)))
                column += 16
            }
            return (
                SIMD4(sum(a0), sum(a1), sum(a2), sum(a3)),
                SIMD4(sum(b0), sum(b1), sum(b2), sum(b3))
            )
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
                let w = SIMD8<Int32>(
                    truncatingIfNeeded: weights.loadUnaligned(fromByteOffset: column, as: SIMD8<Int8>.self)
                )
                let x = SIMD8<Int32>(
                    truncatingIfNeeded: input.loadUnaligned(fromByteOffset: column * 2, as: SIMD8<Int16>.self)
                )
                accumulator &+= w &* x
                column += 8
            }
            return accumulator.wrappedSum()
        }
    #endif

    /// `output[t * outputStride + r] = Σ_c weights[r][c] * input[t][c]` in Float (the f32 model,
    /// which checks the forward pass against the reference; the runtime model is Int8).
    static func dot(
        weights: UnsafePointer<Float>,
        rows: Int,
        columns: Int,
        input: UnsafePointer<Float>,
        tokens: Int,
        output: UnsafeMutablePointer<Float>,
        outputStride: Int
    ) {
        precondition(columns % 4 == 0)
        for row in 0..<rows {
            let w = UnsafeRawPointer(weights + row * columns)
            for token in 0..<tokens {
                output[token * outputStride + row] = dot(w, UnsafeRawPointer(input + token * columns), count: columns)
            }
        }
    }
}
