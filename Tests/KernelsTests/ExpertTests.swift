import GLES
import XCTest
@testable import Kernels

final class ExpertTests: XCTestCase {
    func testRouterTopKSoftmax() throws {
        var rng = SeededRNG(test: "router")
        let kernels = try GPU.library()
        for (experts, k) in [(32, 4), (6, 3), (128, 4)] {
            let tokens = 5
            let logits = rng.floats(tokens * experts, scale: 4)
            let ids = try GPU.zeros(tokens * k, "ids"), weights = try GPU.zeros(tokens * k, "w")
            try kernels.routerTopK(RouterTopKArgs(logits: try GPU.buffer(logits, "logits"), experts: experts, k: k, tokens: tokens,
                                                  ids: ids, weights: weights))
            let expected = CPUReference.topKSoftmax(logits, experts: experts, k: k)
            XCTAssertEqual(try ids.readUInt32s(count: tokens * k).map(Int.init), expected.ids, "E=\(experts) k=\(k)")
            assertClose(try GPU.read(weights, tokens * k), expected.weights, relative: 1e-6, "router weights E=\(experts) k=\(k)")
        }
    }

    func testRouterBreaksTiesByLowerExpert() throws {
        let kernels = try GPU.library()
        let logits: [Float] = [1, 3, 3, 0, 3, -1]
        let ids = try GPU.zeros(2, "ids"), weights = try GPU.zeros(2, "w")
        try kernels.routerTopK(RouterTopKArgs(logits: try GPU.buffer(logits, "l"), experts: 6, k: 2, tokens: 1, ids: ids, weights: weights))
        XCTAssertEqual(try ids.readUInt32s(count: 2), [1, 2])
        XCTAssertEqual(try GPU.read(weights, 2), [0.5, 0.5])
    }

    /// Gate/up + SwiGLU and down + weighted sum + residual for each format, with the expert ids
    /// read from a GPU buffer that repeats experts (across tokens and within one token), and the
    /// expert stacks split one expert per binding.
    func testMoEBlockAllFormatsRepeatedExpertsSplitStacks() throws {
        try checkMoEBlock(test: "moe", experts: 4, hidden: 64, ff: 96, k: 2,
                          ids: [2, 0, 2, 2, 3, 1], routeWeights: [0.7, 0.3, 0.6, 0.4, 0.55, 0.45])
    }

    /// k = 6 (the down kernel takes experts four at a time, so a second, partly padded group) and
    /// rows of several load steps with a partial last one.
    func testMoEBlockMoreExpertsThanOneGroupLongRows() throws {
        var rng = SeededRNG(test: "moe.k6")
        let experts = 8, k = 6, tokens = 2
        let ids = [5, 1, 7, 0, 3, 6, 2, 4, 1, 7, 5, 0]
        XCTAssertEqual(ids.count, tokens * k)
        try checkMoEBlock(test: "moe.k6", experts: experts, hidden: 288, ff: 544, k: k, ids: ids,
                          routeWeights: (0..<(tokens * k)).map { _ in Float.random(in: 0.05...0.4, using: &rng) })
    }

    /// The MoE kernels with their own row shapes (`moeWorkgroup`, `moe*ThreadsPerRow`), unlike
    /// the linear kernels': 8 threads a gate/up row, 64 a down row, 128-thread workgroups.
    func testMoEBlockWithItsOwnRowShapes() throws {
        let tuning = try KernelTuning.portable.overridden(by: "moeWorkgroup=128,moeGateUpThreadsPerRow=8,moeDownThreadsPerRow=64")
        XCTAssertEqual(tuning.moeGateUpShape, RowReductionShape(workgroup: 128, threadsPerRow: 8))
        XCTAssertEqual(tuning.moeDownShape.rowsPerGroup, 2)
        XCTAssertEqual(KernelTuning.portable.moeDownShape, KernelTuning.portable.linearShape, "unset: the linear kernels' shape")
        try checkMoEBlock(test: "moe.shapes", experts: 4, hidden: 64, ff: 96, k: 2,
                          ids: [2, 0, 2, 2, 3, 1], routeWeights: [0.7, 0.3, 0.6, 0.4, 0.55, 0.45], tuning: tuning)
    }

    /// A row shape the kernels cannot run (threads a row not a power of two) is refused with the
    /// knob to fix, before anything is dispatched.
    func testAnUnrunnableMoERowShapeIsAClearError() throws {
        let kernels = try GPU.library(tuning: try KernelTuning.portable.overridden(by: "moeGateUpThreadsPerRow=24"))
        var rng = SeededRNG(test: "moe.badshape")
        let (raw, _) = try rng.tensor(.q8_0, rows: 2 * 2 * 32, cols: 64)
        let packed = try PackedWeights.repack(raw: raw, format: .q8_0, rows: 2 * 2 * 32, cols: 64)
        let experts = try GPUExperts(context: GPU.context, packed: packed, experts: 2, label: "gu")
        XCTAssertThrowsError(try kernels.moeGateUp(MoEGateUpArgs(experts: experts, bias: nil, input: try GPU.buffer(rng.floats(64), "x"),
                                                                 ids: try GPU.buffer(ids: [1], "ids"), k: 1, tokens: 1,
                                                                 output: try GPU.zeros(32, "out")))) { error in
            let text = error.localizedDescription
            XCTAssertTrue(text.contains("power of two") && text.contains("GPTOSS_GL_TUNE"), text)
        }
    }

    /// Gate/up + SwiGLU and down + weighted sum + residual against the CPU reference, every format,
    /// each expert in its own binding chunk.
    private func checkMoEBlock(test: String, experts: Int, hidden: Int, ff: Int, k: Int, ids: [Int], routeWeights: [Float],
                               tuning: KernelTuning? = nil) throws {
        var rng = SeededRNG(test: test)
        let kernels = try tuning.map { try GPU.library(tuning: $0) } ?? GPU.library()
        let tokens = ids.count / k
        for format in WeightFormat.allCases {
            let (gateRaw, gate) = try rng.tensor(format, rows: experts * ff, cols: hidden, scale: 0.3)
            let (upRaw, up) = try rng.tensor(format, rows: experts * ff, cols: hidden, scale: 0.3)
            let (downRaw, down) = try rng.tensor(format, rows: experts * hidden, cols: ff, scale: 0.3)
            let gateBias = rng.floats(experts * ff), upBias = rng.floats(experts * ff), downBias = rng.floats(experts * hidden)
            let fused = try PackedWeights.fusedGateUp(gate: try PackedWeights.repack(raw: gateRaw, format: format, rows: experts * ff, cols: hidden),
                                                      up: try PackedWeights.repack(raw: upRaw, format: format, rows: experts * ff, cols: hidden),
                                                      experts: experts)
            let perExpert = max(fused.scaleWordsPerRow, fused.dataWordsPerRow) * 4 * 2 * ff
            let gateUp = try GPUExperts(context: GPU.context, packed: fused, experts: experts, label: "gate_up.\(format)", maxChunkBytes: perExpert)
            XCTAssertEqual(gateUp.weights.chunks.count, experts)
            let downPacked = try PackedWeights.repack(raw: downRaw, format: format, rows: experts * hidden, cols: ff)
            let downExperts = try GPUExperts(context: GPU.context, packed: downPacked, experts: experts, label: "down.\(format)")

            let x = rng.floats(tokens * hidden)
            let idBuffer = try GPU.buffer(ids: ids, "ids")
            let act = try GPU.zeros(tokens * k * ff, "act")
            let report = try kernels.moeGateUp(MoEGateUpArgs(experts: gateUp, bias: try GPU.buffer(fusedGateUpBias(gate: gateBias, up: upBias, experts: experts), "gub"),
                                                             input: try GPU.buffer(x, "x"), ids: idBuffer, k: k, tokens: tokens, output: act))
            XCTAssertEqual(report.dispatches, experts)
            let expectedAct = CPUReference.moeGateUp(gate: gate, up: up, gateBias: gateBias, upBias: upBias, x: x, ids: ids, k: k, ff: ff, hidden: hidden)
            assertClose(try GPU.read(act, tokens * k * ff), expectedAct, relative: 1e-5, "moe gate/up \(format)")

            let residual = rng.floats(tokens * hidden)
            let residualBuffer = try GPU.buffer(residual, "residual")
            try kernels.moeDown(MoEDownArgs(experts: downExperts, bias: try GPU.buffer(downBias, "db"), input: act, ids: idBuffer,
                                            routeWeights: try GPU.buffer(routeWeights, "rw"), k: k, tokens: tokens, residual: residualBuffer))
            let expected = CPUReference.moeDown(down: down, bias: downBias, act: try GPU.read(act, tokens * k * ff), ids: ids,
                                                weights: routeWeights, k: k, residual: residual, hidden: hidden, ff: ff)
            assertClose(try GPU.read(residualBuffer, tokens * hidden), expected, relative: 1e-5, "moe down+residual \(format)")
        }
    }
}
