import GLES
import XCTest
@testable import Kernels

final class NormAndLinearTests: XCTestCase {
    func testRMSNormPartialIteration() throws {
        var rng = SeededRNG(test: "rmsnorm")
        let kernels = try GPU.library()
        let width = 200, tokens = 3   // 200 is not a multiple of the 64-thread workgroup
        let x = rng.floats(width * tokens, scale: 3), weight = rng.floats(width, scale: 2)
        let out = try GPU.zeros(width * tokens, "y")
        let report = try kernels.rmsNorm(RMSNormArgs(input: try GPU.buffer([1e30, -1e30, 7] + x, "x"), weight: try GPU.buffer(weight, "w"),
                                                     output: out, width: width, tokens: tokens, eps: 1e-5, inputOffset: 3))
        XCTAssertEqual(report.kernel, .rmsNorm)
        XCTAssertEqual(report.operation, .rmsnorm)
        assertClose(try GPU.read(out, width * tokens), CPUReference.rmsNorm(x, weight: weight, tokens: tokens, eps: 1e-5),
                    relative: 1e-5, "rmsnorm")
    }

    /// Every weight format, as matrix × vector (1 token) and matrix × matrix (5 tokens: a partial
    /// token tile), 37 rows (a partial row group).
    func testLinearAllFormatsPartialIteration() throws {
        var rng = SeededRNG(test: "linear")
        let kernels = try GPU.library()
        // 96 columns: under one load step of a row; 1120: several, the last one partial.
        let rows = 37
        for cols in [96, 1120] {
        for format in WeightFormat.allCases {
            let (raw, w) = try rng.tensor(format, rows: rows, cols: cols)
            let weights = try GPUWeights(context: GPU.context, packed: try PackedWeights.repack(raw: raw, format: format, rows: rows, cols: cols),
                                         label: "w.\(format)")
            let bias = rng.floats(rows)
            for tokens in [1, 5] {
                let x = rng.floats(tokens * cols)
                let out = try GPU.zeros(tokens * rows, "y")
                try kernels.linear(LinearArgs(weights: weights, bias: try GPU.buffer(bias, "b"), input: try GPU.buffer(x, "x"),
                                              output: out, tokens: tokens))
                assertClose(try GPU.read(out, tokens * rows),
                            CPUReference.linear(weights: w, bias: bias, x: x, rows: rows, cols: cols, tokens: tokens),
                            relative: 1e-5, "linear \(format) cols=\(cols) tokens=\(tokens)")
            }
        }
        }
    }

    /// The RMSNorm folded into a one-token linear against RMSNorm then linear on the CPU, every
    /// format, one and several load steps a row, the token in the middle of a batch buffer, with
    /// a bias and added to what the output holds.
    func testLinearWithFusedRMSNorm() throws {
        var rng = SeededRNG(test: "linear.norm")
        let kernels = try GPU.library()
        let rows = 21
        for cols in [96, 1120] {
            for format in WeightFormat.allCases {
                let (raw, w) = try rng.tensor(format, rows: rows, cols: cols)
                let weights = try GPUWeights(context: GPU.context, packed: try PackedWeights.repack(raw: raw, format: format, rows: rows, cols: cols),
                                             label: "w.norm.\(format)")
                let bias = rng.floats(rows), norm = rng.floats(cols, scale: 1), batch = rng.floats(3 * cols, scale: 3)
                let start = rng.floats(rows)
                let out = try GPU.buffer(start, "y")
                try kernels.linear(LinearArgs(weights: weights, bias: try GPU.buffer(bias, "b"), input: try GPU.buffer(batch, "x"),
                                              output: out, tokens: 1, inputOffset: cols, accumulate: true,
                                              normalize: (try GPU.buffer(norm, "norm"), 1e-5)))
                let h = CPUReference.rmsNorm(Array(batch[cols ..< 2 * cols]), weight: norm, tokens: 1, eps: 1e-5)
                let expected = zip(CPUReference.linear(weights: w, bias: bias, x: h, rows: rows, cols: cols, tokens: 1), start).map { $0 + $1 }
                assertClose(try GPU.read(out, rows), expected, relative: 1e-5, "linear+rmsnorm \(format) cols=\(cols)")
            }
        }
        let one = try GPU.zeros(96, "one")
        let (raw, _) = try rng.tensor(.f32, rows: 4, cols: 96)
        let small = try GPUWeights(context: GPU.context, packed: try PackedWeights.repack(raw: raw, format: .f32, rows: 4, cols: 96), label: "w4")
        XCTAssertThrowsError(try kernels.linear(LinearArgs(weights: small, bias: nil, input: try GPU.zeros(192, "x2"), output: try GPU.zeros(8, "y2"),
                                                           tokens: 2, normalize: (one, 1e-5))), "two tokens with a fused norm") { error in
            XCTAssertEqual(error as? KernelsError, .invalidArgument(kernel: "f32_linear", message: "the fused RMSNorm takes one token, got 2"))
        }
    }

    /// A matrix split over several bindings, written at an offset into a wider output and added
    /// to what is there (the residual stream).
    func testLinearSplitAccumulateAtOffset() throws {
        var rng = SeededRNG(test: "linear split")
        let kernels = try GPU.library()
        let rows = 50, cols = 64, tokens = 3, stride = 70, offset = 9
        let (raw, w) = try rng.tensor(.q8_0, rows: rows, cols: cols)
        let packed = try PackedWeights.repack(raw: raw, format: .q8_0, rows: rows, cols: cols)
        let weights = try GPUWeights(context: GPU.context, packed: packed, label: "split", maxChunkBytes: packed.dataWordsPerRow * 4 * 16)
        XCTAssertEqual(weights.chunks.count, 4, "rows per chunk are limited by the largest plane")
        let x = rng.floats(tokens * cols), before = rng.floats(tokens * stride)
        let out = try GPU.buffer(before, "residual")
        // The input starts 8 floats into its buffer (as the last token of a batch would).
        let report = try kernels.linear(LinearArgs(weights: weights, bias: nil, input: try GPU.buffer([Float](repeating: .nan, count: 8) + x, "x"),
                                                   output: out, tokens: tokens, inputOffset: 8, outputStride: stride,
                                                   outputOffset: offset, accumulate: true))
        XCTAssertEqual(report.dispatches, 4)
        let product = CPUReference.linear(weights: w, bias: nil, x: x, rows: rows, cols: cols, tokens: tokens)
        var expected = before
        for t in 0 ..< tokens { for r in 0 ..< rows { expected[t * stride + offset + r] += product[t * rows + r] } }
        assertClose(try GPU.read(out, tokens * stride), expected, relative: 1e-5, "linear split+accumulate")
    }

    func testLinearRejectsBadArgumentsBeforeDispatch() throws {
        let kernels = try GPU.library()
        var rng = SeededRNG(test: "linear errors")
        let (raw, _) = try rng.tensor(.f32, rows: 8, cols: 32)
        let weights = try GPUWeights(context: GPU.context, packed: try PackedWeights.repack(raw: raw, format: .f32, rows: 8, cols: 32), label: "w")
        let x = try GPU.zeros(32, "x")
        XCTAssertThrowsError(try kernels.linear(LinearArgs(weights: weights, bias: nil, input: x, output: try GPU.zeros(3, "small"), tokens: 1))) {
            guard case .bufferTooSmall(_, let buffer, _, _)? = $0 as? KernelsError else { return XCTFail("\($0)") }
            XCTAssertEqual(buffer, "small")
        }
        XCTAssertThrowsError(try kernels.linear(LinearArgs(weights: weights, bias: nil, input: x, output: try GPU.zeros(64, "y"),
                                                           tokens: 1, inputStride: 34))) {
            guard case .invalidArgument(let kernel, _)? = $0 as? KernelsError else { return XCTFail("\($0)") }
            XCTAssertEqual(kernel, "f32_linear")
        }
    }

    func testEmbeddingAllFormatsFromGPUIdsAcrossChunks() throws {
        var rng = SeededRNG(test: "embedding")
        let kernels = try GPU.library()
        let vocab = 45, cols = 64
        let ids = [3, 44, 0, 3, 17, 30]
        for format in WeightFormat.allCases {
            let (raw, table) = try rng.tensor(format, rows: vocab, cols: cols)
            let packed = try PackedWeights.repack(raw: raw, format: format, rows: vocab, cols: cols)
            let weights = try GPUWeights(context: GPU.context, packed: packed, label: "embd.\(format)",
                                         maxChunkBytes: max(packed.scaleWordsPerRow, packed.dataWordsPerRow) * 4 * 10)
            XCTAssertEqual(weights.chunks.count, 5)
            let out = try GPU.zeros(ids.count * cols, "x")
            let report = try kernels.embedding(EmbeddingArgs(table: weights, tokenIDs: try GPU.buffer(ids: ids, "ids"), output: out, tokens: ids.count))
            XCTAssertEqual(report.dispatches, 5)
            XCTAssertEqual(try GPU.read(out, ids.count * cols), CPUReference.embedding(table: table, cols: cols, ids: ids), "\(format)")
        }
    }
}

/// Launchers bind only the part of an activation buffer a call uses, so buffers sized for a big
/// batch (even over the binding limit) serve a one-token step.
final class BindingRangeTests: XCTestCase {
    func testOversizedActivationBuffersBindOnlyWhatACallUses() throws {
        var rng = SeededRNG(test: "binding range")
        let kernels = try GPU.library()
        let limit = GPU.context.limits.maxShaderStorageBlockSize
        let rows = 8, cols = 32
        let (raw, w) = try rng.tensor(.q8_0, rows: rows, cols: cols)
        let weights = try GPUWeights(context: GPU.context, packed: try PackedWeights.repack(raw: raw, format: .q8_0, rows: rows, cols: cols), label: "w")
        let x = rng.floats(cols)
        let input = try GPU.context.makeBuffer(byteCount: limit + 4096, label: "batch-sized input")
        try input.upload(x)
        let output = try GPU.context.makeBuffer(byteCount: limit + 4096, label: "batch-sized output")
        try kernels.linear(LinearArgs(weights: weights, bias: nil, input: input, output: output, tokens: 1))
        assertClose(try GPU.read(output, rows), CPUReference.linear(weights: w, bias: nil, x: x, rows: rows, cols: cols, tokens: 1),
                    relative: 1e-5, "linear into an over-limit buffer")
    }
}
