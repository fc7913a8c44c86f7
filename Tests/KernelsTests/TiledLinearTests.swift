import GLES
import XCTest
@testable import Kernels

/// The register-tiled linear of prefill (`f32_linear_tiled`) against `CPUReference.linear`:
/// partial row and token tiles, every format, weight chunks with accumulate, bias, offsets and
/// strides, every shape the tuning can ask for, and the routing of `linear(_:)`.
final class TiledLinearTests: XCTestCase {
    /// `portable` with the tiled kernel from 2 tokens on and the given shape.
    func tuning(rowThreads: Int = 8, tokenTile: Int = 32, tokenVecs: Int = 1, minTokens: Int = 2, stepColumns: Int = 32) -> KernelTuning {
        var tuning = KernelTuning.portable
        tuning.tiled.minTokens = minTokens
        tuning.tiled.rowGroups = rowThreads
        tuning.tiled.tokenTile = tokenTile
        tuning.tiled.tokenVecs = tokenVecs
        tuning.tiled.stepColumns = stepColumns
        return tuning
    }

    /// y = W·x + b for `tokens` tokens through `linear(_:)`, which must pick the tiled kernel,
    /// checked against the reference.
    func checkTiled(_ kernels: KernelLibrary, _ format: WeightFormat, rows: Int, cols: Int, tokens: Int,
                    _ what: String, rng: inout SeededRNG, file: StaticString = #filePath, line: UInt = #line) throws {
        let (raw, w) = try rng.tensor(format, rows: rows, cols: cols)
        let weights = try GPUWeights(context: GPU.context, packed: try PackedWeights.repack(raw: raw, format: format, rows: rows, cols: cols),
                                     label: what)
        let bias = rng.floats(rows), x = rng.floats(tokens * cols)
        let out = try GPU.buffer([Float](repeating: .nan, count: tokens * rows), "y")
        let args = LinearArgs(weights: weights, bias: try GPU.buffer(bias, "bias"), input: try GPU.buffer(x, "x"), output: out, tokens: tokens)
        XCTAssertTrue(kernels.usesTiledLinear(args), "\(what): tiled path expected", file: file, line: line)
        let report = try kernels.linear(args)
        XCTAssertEqual(report.kernel, .linearTiled, "\(what): ran \(report.program)", file: file, line: line)
        let expected = CPUReference.linear(weights: w, bias: bias, x: x, rows: rows, cols: cols, tokens: tokens)
        assertClose(try GPU.read(out, tokens * rows), expected, relative: 1e-5, what, file: file, line: line)
    }

    /// All five formats; 101 rows (one full tile of 64 + 37, not a multiple of 4), 35 tokens
    /// (a 32-token tile + 3), 3 blocks of columns (the prefetch crosses steps).
    func testTiledLinearAllFormatsPartialTiles() throws {
        var rng = SeededRNG(test: "tiled linear formats")
        let kernels = try GPU.library(tuning: tuning())
        for format in WeightFormat.allCases {
            try checkTiled(kernels, format, rows: 101, cols: 96, tokens: 35, "tiled \(format)", rng: &rng)
        }
    }

    /// Half steps (16 columns a step, each block's raw words loaded once for two steps): every
    /// format, and every token tile with 1 and 2 vec4s of tokens a thread.
    func testTiledLinearHalfSteps() throws {
        var rng = SeededRNG(test: "tiled linear half steps")
        let kernels = try GPU.library(tuning: tuning(stepColumns: 16))
        for format in WeightFormat.allCases {
            try checkTiled(kernels, format, rows: 101, cols: 96, tokens: 35, "half steps \(format)", rng: &rng)
        }
        for (tile, vecs) in [(8, 1), (16, 1), (32, 2), (64, 2)] {
            let kernels = try GPU.library(tuning: tuning(rowThreads: 16, tokenTile: tile, tokenVecs: vecs, stepColumns: 16))
            try checkTiled(kernels, [WeightFormat.mxfp4, .q8_0][tile % 3 % 2], rows: 133, cols: 64, tokens: 2 * tile + 3,
                           "half steps tile \(tile) vecs \(vecs)", rng: &rng)
        }
        let shape = TiledLinearShape(rowThreads: 16, tokenTile: 32, tokenVecs: 1, stepColumns: 16)
        XCTAssertEqual(shape.sharedBytes, (32 + 8) * 17 * 16, "half the columns, half the tile bytes (plus the spare)")
        XCTAssertEqual(TiledLinearShape(rowThreads: 16, tokenTile: 32, tokenVecs: 1, stepColumns: 8).problem(limits: GPU.context.limits),
                       "tiledStepColumns 8 must be 16 or 32")
    }

    /// Every shape the tuning may pick (row threads 8/12/16, token tiles 8–64, 1 or 2 vec4s of
    /// tokens a thread) that fits llvmpipe, on a partial row tile and a partial token tile.
    func testEveryTiledShape() throws {
        var rng = SeededRNG(test: "tiled linear shapes")
        var checked = 0
        for rowThreads in [8, 12, 16] {
            for tile in [8, 16, 32, 64] {
                for vecs in [1, 2] where !(vecs == 2 && tile != 32) {
                    let shape = TiledLinearShape(rowThreads: rowThreads, tokenTile: tile, tokenVecs: vecs)
                    if let problem = shape.problem(limits: GPU.context.limits) {
                        XCTAssertTrue(rowThreads < 8 * shape.grouped.tokenVecs, "only too few rows for 8 tokens a thread may be refused: \(problem)")
                        continue
                    }
                    let kernels = try GPU.library(tuning: tuning(rowThreads: rowThreads, tokenTile: tile, tokenVecs: vecs))
                    let format = [WeightFormat.q8_0, .mxfp4, .bf16][checked % 3]
                    checked += 1
                    try checkTiled(kernels, format, rows: 8 * rowThreads + 5, cols: 64, tokens: 2 * tile + 3,
                                   "tiled RT \(rowThreads) tile \(tile) vecs \(shape.grouped.tokenVecs) \(format)", rng: &rng)
                }
            }
        }
        XCTAssertEqual(checked, 11, "llvmpipe runs every shape but the refused 8-tokens-a-thread ones")
    }

    /// A matrix over four bindings (one dispatch each), accumulated into a residual at an
    /// output offset and stride, with bias, the input at an offset and a stride wider than the
    /// row, and 19 tokens in 8-token tiles. Values outside the written rows stay as they were.
    func testTiledLinearSplitAccumulateAtOffsetsAndStrides() throws {
        var rng = SeededRNG(test: "tiled linear split")
        let kernels = try GPU.library(tuning: tuning(rowThreads: 8, tokenTile: 8))
        let rows = 150, cols = 64, tokens = 19, outStride = 170, outOffset = 9, inStride = 76, inOffset = 8
        let (raw, w) = try rng.tensor(.q8_0, rows: rows, cols: cols)
        let packed = try PackedWeights.repack(raw: raw, format: .q8_0, rows: rows, cols: cols)
        let weights = try GPUWeights(context: GPU.context, packed: packed, label: "split", maxChunkBytes: packed.dataWordsPerRow * 4 * 48)
        XCTAssertEqual(weights.chunks.count, 4, "rows per chunk are limited by the largest plane")
        let x = rng.floats(tokens * cols), bias = rng.floats(rows), before = rng.floats(tokens * outStride)
        // Token t's columns start at inOffset + t·inStride; the gaps hold NaN, which must not be read.
        var input = [Float](repeating: .nan, count: inOffset + tokens * inStride)
        for t in 0 ..< tokens { for c in 0 ..< cols { input[inOffset + t * inStride + c] = x[t * cols + c] } }
        let out = try GPU.buffer(before, "residual")
        let report = try kernels.linear(LinearArgs(weights: weights, bias: try GPU.buffer(bias, "bias"), input: try GPU.buffer(input, "x"),
                                                   output: out, tokens: tokens, inputOffset: inOffset, inputStride: inStride,
                                                   outputStride: outStride, outputOffset: outOffset, accumulate: true))
        XCTAssertEqual(report.kernel, .linearTiled, report.program)
        XCTAssertEqual(report.dispatches, 4)
        let product = CPUReference.linear(weights: w, bias: bias, x: x, rows: rows, cols: cols, tokens: tokens)
        var expected = before
        for t in 0 ..< tokens { for r in 0 ..< rows { expected[t * outStride + outOffset + r] += product[t * rows + r] } }
        assertClose(try GPU.read(out, tokens * outStride), expected, relative: 1e-5, "tiled split+accumulate")
        let after = try GPU.read(out, tokens * outStride)
        for t in 0 ..< tokens {
            for i in 0 ..< outStride where i < outOffset || i >= outOffset + rows {
                XCTAssertEqual(after[t * outStride + i], before[t * outStride + i], "token \(t) float \(i) is outside the rows")
            }
        }
    }

    /// `linear(_:)` takes the tiled kernel from `tiledMinTokens` tokens on, never with the fused
    /// RMSNorm or for fewer rows than a row tile, and falls back to `f32_linear` (same result)
    /// when the shape does not fit.
    func testLinearRoutesBatchesByTokensRowsAndFit() throws {
        var rng = SeededRNG(test: "tiled linear routing")
        let rows = 72, cols = 32
        let (raw, w) = try rng.tensor(.q8_0, rows: rows, cols: cols)
        let weights = try GPUWeights(context: GPU.context, packed: try PackedWeights.repack(raw: raw, format: .q8_0, rows: rows, cols: cols),
                                     label: "route")
        let x = rng.floats(16 * cols)
        let input = try GPU.buffer(x, "x"), out = try GPU.zeros(16 * rows, "y")
        let kernels = try GPU.library(tuning: tuning(minTokens: 16))
        let small = try kernels.linear(LinearArgs(weights: weights, bias: nil, input: input, output: out, tokens: 15))
        XCTAssertEqual(small.kernel, .linear, "15 tokens are under tiledMinTokens: \(small.program)")
        let batch = try kernels.linear(LinearArgs(weights: weights, bias: nil, input: input, output: out, tokens: 16))
        XCTAssertEqual(batch.kernel, .linearTiled, batch.program)
        let (narrowRaw, _) = try rng.tensor(.q8_0, rows: 40, cols: cols)
        let narrow = try GPUWeights(context: GPU.context, packed: try PackedWeights.repack(raw: narrowRaw, format: .q8_0, rows: 40, cols: cols),
                                    label: "narrow")
        XCTAssertFalse(kernels.usesTiledLinear(LinearArgs(weights: narrow, bias: nil, input: input, output: out, tokens: 16)),
                       "40 rows are under one 64-row tile")

        let norm = try GPU.buffer([Float](repeating: 1, count: cols), "norm")
        let fused = LinearArgs(weights: weights, bias: nil, input: input, output: out, tokens: 1, normalize: (norm, 1e-5))
        XCTAssertFalse(try GPU.library(tuning: tuning(minTokens: 1)).usesTiledLinear(fused), "the fused RMSNorm stays on f32_linear")
        XCTAssertThrowsError(try kernels.tiledLinear(fused)) { error in
            XCTAssertEqual(error as? KernelsError, .invalidArgument(kernel: "f32_linear_tiled", message: "the fused RMSNorm and RoPE are one-token paths of f32_linear; call linear(_:)"))
        }

        // 64 row threads × 64 tokens need 76 KiB of shared memory: no device here runs that.
        let oversized = try GPU.library(tuning: tuning(rowThreads: 64, tokenTile: 64))
        let args = LinearArgs(weights: weights, bias: nil, input: input, output: out, tokens: 16)
        XCTAssertFalse(oversized.usesTiledLinear(args))
        XCTAssertThrowsError(try oversized.tiledLinear(args)) { error in
            XCTAssertTrue("\(error.localizedDescription)".contains("shared memory"), "\(error.localizedDescription)")
        }
        let fallback = try oversized.linear(args)
        XCTAssertEqual(fallback.kernel, .linear, fallback.program)
        assertClose(try GPU.read(out, 16 * rows), CPUReference.linear(weights: w, bias: nil, x: x, rows: rows, cols: cols, tokens: 16),
                    relative: 1e-5, "fallback to f32_linear")
    }

    /// The `wide` shape and the variants worth timing fit a 48 KiB / 1024-thread card (a shape
    /// that does not fit silently falls back to f32_linear), and GPTOSS_GL_TUNE sets the fields.
    func testWideShapesFitTheCardAndTuneFromTheEnvironment() throws {
        var card = GPU.context.limits
        card.maxComputeWorkGroupInvocations = 1024
        card.maxComputeWorkGroupSize = [1024, 1024, 64]
        card.maxComputeSharedMemorySize = 48 * 1024
        let wide = KernelTuning.wide
        XCTAssertNil(TiledLinearShape(rowThreads: wide.tiled.rowGroups, tokenTile: wide.tiled.tokenTile, tokenVecs: wide.tiled.tokenVecs,
                                      stepColumns: wide.tiled.stepColumns)
            .problem(limits: card))
        for (rowThreads, tile, vecs) in [(16, 32, 1), (32, 64, 2), (16, 64, 2), (32, 32, 2), (32, 32, 1)] {
            let shape = TiledLinearShape(rowThreads: rowThreads, tokenTile: tile, tokenVecs: vecs)
            XCTAssertNil(shape.problem(limits: card), "RT \(rowThreads), tile \(tile), vecs \(vecs)")
            XCTAssertEqual(4 * shape.grouped.tokenVecs * shape.grouped.tokenThreads, tile)
        }
        var portableCard = card
        portableCard.maxComputeWorkGroupInvocations = 128
        portableCard.maxComputeWorkGroupSize = [128, 128, 64]
        portableCard.maxComputeSharedMemorySize = 16 * 1024
        let portable = KernelTuning.portable
        XCTAssertNil(TiledLinearShape(rowThreads: portable.tiled.rowGroups, tokenTile: portable.tiled.tokenTile, tokenVecs: portable.tiled.tokenVecs)
            .problem(limits: portableCard), "the portable shape runs on every GLES 3.1 device")

        let tuned = try KernelTuning.portable.overridden(by: "tiledMinTokens=64,tiledRowGroups=32,tiledTokenTile=64,tiledTokenVecs=2")
        XCTAssertEqual([tuned.tiled.minTokens, tuned.tiled.rowGroups, tuned.tiled.tokenTile, tuned.tiled.tokenVecs], [64, 32, 64, 2])
    }
}
