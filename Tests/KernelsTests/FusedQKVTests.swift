import XCTest
@testable import Kernels

final class FusedQKVTests: XCTestCase {
    /// The decode QKV projection with the RMSNorm and RoPE folded in, against RMSNorm, linear and
    /// NEOX RoPE on the CPU: the rotated q and k, the untouched v, and the K and V rows appended
    /// to the cache at position % capacity (a wrapped ring slot), for Q8_0, MXFP4 and F32.
    func testQKVWithRMSNormRopeAndAppendMatchesTheReference() throws {
        var rng = SeededRNG(test: "qkv.rope")
        let kernels = try GPU.library()
        let qHeads = 4, kvHeads = 2, d = 16, cols = 96, capacity = 8, position = 13
        let rows = (qHeads + 2 * kvHeads) * d
        let inverseFrequencies = (0 ..< d / 2).map { Float(1 / pow(10000, Double(2 * $0) / Double(d))) }
        let table = try RopeTable(context: GPU.context, inverseFrequencies: inverseFrequencies, concentration: 1.25)
        for format in [WeightFormat.q8_0, .mxfp4, .f32] {
            let (raw, w) = try rng.tensor(format, rows: rows, cols: cols)
            let weights = try GPUWeights(context: GPU.context, packed: try PackedWeights.repack(raw: raw, format: format, rows: rows, cols: cols),
                                         label: "qkv.\(format)")
            let cache = try KVCacheLayer(context: GPU.context, capacity: capacity, kvHeads: kvHeads, headDim: d, window: 0, label: "cache")
            XCTAssertTrue(kernels.canFuseRope(into: weights, cache: cache))
            let bias = rng.floats(rows), norm = rng.floats(cols, scale: 1), x = rng.floats(cols, scale: 2)
            let qkv = try GPU.zeros(rows, "qkv")
            try kernels.linear(LinearArgs(weights: weights, bias: try GPU.buffer(bias, "b"), input: try GPU.buffer(x, "x"), output: qkv,
                                          tokens: 1, normalize: (try GPU.buffer(norm, "norm"), 1e-5),
                                          rope: LinearRope(table: table, position: position, qHeads: qHeads, cache: cache)))

            let h = CPUReference.rmsNorm(x, weight: norm, tokens: 1, eps: 1e-5)
            let projected = CPUReference.linear(weights: w, bias: bias, x: h, rows: rows, cols: cols, tokens: 1)
            let expected = CPUReference.rope(projected, tokens: 1, heads: qHeads + kvHeads, position0: position, stride: rows, offset: 0,
                                             inverseFrequencies: inverseFrequencies, concentration: 1.25)
            assertClose(try GPU.read(qkv, rows), expected, relative: 1e-5, "q, k rotated and v \(format)")
            let slot = position % capacity, kvRow = kvHeads * d
            let keys = try GPU.read(cache.keys, capacity * kvRow), values = try GPU.read(cache.values, capacity * kvRow)
            assertClose(Array(keys[slot * kvRow ..< (slot + 1) * kvRow]), Array(expected[qHeads * d ..< (qHeads + kvHeads) * d]),
                        relative: 1e-5, "appended keys \(format)")
            assertClose(Array(values[slot * kvRow ..< (slot + 1) * kvRow]), Array(expected[(qHeads + kvHeads) * d ..< rows]),
                        relative: 1e-5, "appended values \(format)")
            XCTAssertTrue(keys[0 ..< slot * kvRow].allSatisfy { $0 == 0 }, "no other slot written")
        }
    }

    /// A projection whose rows are not Q + 2·KV heads, or two tokens, is refused before any launch.
    func testFusedRopeRefusesMismatchedShapes() throws {
        var rng = SeededRNG(test: "qkv.rope.bad")
        let kernels = try GPU.library()
        let (raw, _) = try rng.tensor(.f32, rows: 40, cols: 32)
        let weights = try GPUWeights(context: GPU.context, packed: try PackedWeights.repack(raw: raw, format: .f32, rows: 40, cols: 32), label: "odd")
        let cache = try KVCacheLayer(context: GPU.context, capacity: 4, kvHeads: 1, headDim: 8, window: 0, label: "c")
        let table = try RopeTable(context: GPU.context, inverseFrequencies: [1, 0.5, 0.25, 0.125], concentration: 1)
        let rope = LinearRope(table: table, position: 0, qHeads: 2, cache: cache)
        XCTAssertThrowsError(try kernels.linear(LinearArgs(weights: weights, bias: nil, input: try GPU.zeros(32, "x"), output: try GPU.zeros(40, "y"),
                                                           tokens: 1, rope: rope)), "40 rows are not (2 + 2) × 8") { error in
            XCTAssertEqual(error as? KernelsError, .invalidArgument(kernel: "f32_linear", message: "'odd' has 40 rows, not 2 Q + 2 × 1 KV heads of 8"))
        }
        let rope5 = LinearRope(table: table, position: 0, qHeads: 3, cache: cache)
        XCTAssertThrowsError(try kernels.linear(LinearArgs(weights: weights, bias: nil, input: try GPU.zeros(64, "x2"), output: try GPU.zeros(80, "y2"),
                                                           tokens: 2, rope: rope5)), "two tokens") { error in
            XCTAssertEqual(error as? KernelsError, .invalidArgument(kernel: "f32_linear", message: "the fused RoPE takes one token, written (not added) at offset 0"))
        }
    }
}
