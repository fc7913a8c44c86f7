import GLES
import XCTest
@testable import Kernels

/// The grouped MoE prefill path under gpt-oss-120b's conditions (128 experts, k = 4, the `wide`
/// shapes: 16 row threads, 8- and 16-token tiles of 4 tokens a thread, a 1024-thread grouping
/// workgroup) over several consecutive steps of different sizes through one kernel library, as
/// a forward pass runs them: the library's scratch buffers (sorted slots, tiles, per-slot down
/// outputs) are kept and grown across the steps, and start out full of NaN (fresh GPU memory
/// holds anything on a real card). Every output element is checked against the CPU reference.
final class GroupedManyExpertsTests: XCTestCase {
    private let experts = 128, k = 4, hidden = 96, ff = 96

    /// Router-like ids: per-token top-4 distinct experts drawn by an uneven popularity (a few
    /// experts take many slots, four never get one), plus experts with exactly 1, 8, 9 and 16
    /// slots (one tile, one slot over a tile, two tiles of 8).
    private func routerIDs(tokens: Int, rng: inout SeededRNG) -> [Int] {
        let exact: [Int: Int] = [4: 1, 5: 8, 6: 9, 7: 16]
        let never: Set<Int> = [0, 1, 2, 3]
        var popularity = [Double](repeating: 0, count: experts)
        for e in 0 ..< experts where !never.contains(e) && exact[e] == nil {
            // Log-normal-ish: a handful of experts dominate, as a trained router's do.
            let u = Double.random(in: 0.001 ..< 1, using: &rng)
            popularity[e] = exp(2.5 * u * u * u) - 0.9
        }
        let total = popularity.reduce(0, +)
        var ids: [Int] = []
        for _ in 0 ..< tokens {
            var chosen: [Int] = []
            while chosen.count < k {
                var pick = Double.random(in: 0 ..< total, using: &rng)
                var e = 0
                while e < experts - 1 && (pick >= popularity[e] || popularity[e] == 0) {
                    pick -= popularity[e]
                    e += 1
                }
                if popularity[e] > 0 && !chosen.contains(e) { chosen.append(e) }
            }
            ids += chosen
        }
        // The exact-count experts replace distinct slots (their tokens never chose them before).
        var taken = Set<Int>()
        for (e, n) in exact.sorted(by: { $0.key < $1.key }) where n <= tokens {
            var tokensUsed = Set<Int>()
            while tokensUsed.count < n {
                let t = Int.random(in: 0 ..< tokens, using: &rng)
                let slot = t * k + Int.random(in: 0 ..< k, using: &rng)
                if tokensUsed.contains(t) || taken.contains(slot) { continue }
                tokensUsed.insert(t)
                taken.insert(slot)
                ids[slot] = e
            }
        }
        return ids
    }

    private struct Experts {
        var gate: [Float], up: [Float], down: [Float]
        var gateBias: [Float], upBias: [Float], downBias: [Float]
        var gateUp: GPUExperts, downStack: GPUExperts
        var gateUpBiasBuffer: GPUBuffer, downBiasBuffer: GPUBuffer
    }

    private func makeExperts(rng: inout SeededRNG) throws -> Experts {
        let (gateRaw, gate) = try rng.tensor(.mxfp4, rows: experts * ff, cols: hidden, scale: 0.3)
        let (upRaw, up) = try rng.tensor(.mxfp4, rows: experts * ff, cols: hidden, scale: 0.3)
        let (downRaw, down) = try rng.tensor(.mxfp4, rows: experts * hidden, cols: ff, scale: 0.3)
        let fused = try PackedWeights.fusedGateUp(gate: try PackedWeights.repack(raw: gateRaw, format: .mxfp4, rows: experts * ff, cols: hidden),
                                                  up: try PackedWeights.repack(raw: upRaw, format: .mxfp4, rows: experts * ff, cols: hidden),
                                                  experts: experts)
        let gateBias = rng.floats(experts * ff), upBias = rng.floats(experts * ff), downBias = rng.floats(experts * hidden)
        return Experts(gate: gate, up: up, down: down, gateBias: gateBias, upBias: upBias, downBias: downBias,
                       gateUp: try GPUExperts(context: GPU.context, packed: fused, experts: experts, label: "gate_up.128"),
                       downStack: try GPUExperts(context: GPU.context,
                                                 packed: try PackedWeights.repack(raw: downRaw, format: .mxfp4, rows: experts * hidden, cols: ff),
                                                 experts: experts, label: "down.128"),
                       gateUpBiasBuffer: try GPU.buffer(fusedGateUpBias(gate: gateBias, up: upBias, experts: experts), "gate_up_bias.128"),
                       downBiasBuffer: try GPU.buffer(downBias, "down_bias.128"))
    }

    /// The card's `wide` grouped shapes, as far as llvmpipe's limits allow (they all fit).
    private func wideLibrary() throws -> KernelLibrary {
        let tuning = try KernelTuning.portable.overridden(by: "groupedRowGroups=16,groupedTokenVecs=1,groupingWorkgroup=1024,"
            + "groupedMaxTokenTile=32,groupedMinTokenTile=8,groupedMinTokens=8,groupedMinSlotsPerExpert=1")
        return try GPU.library(tuning: tuning)
    }

    private func nanBuffer(_ floats: Int, _ label: String) throws -> GPUBuffer {
        try GPU.buffer([Float](repeating: .nan, count: floats), label)
    }

    /// Consecutive steps of 8, 512 (tile 8), 37, 1024 (tile 16), 512 with 32-token tiles, 512
    /// and 8 tokens (bench's prompt step, then the depth prefill); activations and residual in
    /// buffers sized for the largest step, the activations NaN before every step, the library's
    /// scratch NaN before the first.
    func testConsecutiveStepsOf128ExpertsMatchReference() throws {
        var rng = SeededRNG(test: "moe-grouped-128")
        let kernels = try wideLibrary()
        XCTAssertEqual(kernels.groupedTokenTile(tokens: 512, k: k, experts: experts), 8, "120b's tile at 512-token steps")
        XCTAssertEqual(kernels.groupedTokenTile(tokens: 1024, k: k, experts: experts), 16)
        let w = try makeExperts(rng: &rng)
        let steps: [(tokens: Int, tile: Int?)] = [(8, nil), (512, nil), (37, nil), (1024, nil), (512, 32), (512, nil), (8, nil)]
        let maxTokens = steps.map(\.tokens).max()!
        let maxSlots = maxTokens * k
        // Poison the scratch the grouped launchers keep (sized for a mid-size step, so the
        // 1024-token step grows them to new buffers).
        for (purpose, words) in [("moe.sorted_slots", 512 * k), ("moe.tiles", 4 * 400), ("moe.slot_out", 512 * k * hidden)] {
            let buffer = try kernels.scratchBuffer(purpose, bytes: words * 4)
            try buffer.upload([Float](repeating: .nan, count: words))
        }
        let act = try nanBuffer(maxSlots * ff, "act")
        let residual = try nanBuffer(maxTokens * hidden, "residual")
        for (n, step) in steps.enumerated() {
            let ids = routerIDs(tokens: step.tokens, rng: &rng)
            let idBuffer = try GPU.buffer(ids: ids, "ids")
            let label = "step \(n): \(step.tokens) tokens"
            // The forward pass's choice where it groups (8 tokens are under one slot per expert).
            let groups = try XCTUnwrap(step.tile == nil && step.tokens * k >= experts
                ? try kernels.groupExpertsIfWorthwhile(ids: idBuffer, down: w.downStack, k: k, tokens: step.tokens)
                : try kernels.groupExperts(MoEGroupArgs(ids: idBuffer, experts: experts, k: k, tokens: step.tokens, tokenTile: step.tile)),
                "\(label) groups")
            try checkGrouping(groups, ids: ids, label)

            let x = rng.floats(step.tokens * hidden)
            try act.upload([Float](repeating: .nan, count: maxSlots * ff))
            try kernels.moeGateUp(MoEGateUpArgs(experts: w.gateUp, bias: w.gateUpBiasBuffer, input: try GPU.buffer(x, "x"), ids: idBuffer,
                                                k: k, tokens: step.tokens, output: act), groups: groups)
            let expectedAct = CPUReference.moeGateUp(gate: w.gate, up: w.up, gateBias: w.gateBias, upBias: w.upBias, x: x, ids: ids,
                                                     k: k, ff: ff, hidden: hidden)
            let gotAct = try GPU.read(act, step.tokens * k * ff)
            assertEachClose(gotAct, expectedAct, "gate/up \(label) tile \(groups.tokenTile)")

            let before = rng.floats(step.tokens * hidden)
            try residual.upload(before)
            let routeWeights = rng.floats(step.tokens * k)
            try kernels.moeDown(MoEDownArgs(experts: w.downStack, bias: w.downBiasBuffer, input: act, ids: idBuffer,
                                            routeWeights: try GPU.buffer(routeWeights, "rw"), k: k, tokens: step.tokens, residual: residual),
                                groups: groups)
            let expected = CPUReference.moeDown(down: w.down, bias: w.downBias, act: gotAct, ids: ids, weights: routeWeights, k: k,
                                                residual: before, hidden: hidden, ff: ff)
            assertEachClose(try GPU.read(residual, step.tokens * hidden), expected, "down + sum \(label) tile \(groups.tokenTile)")
        }
    }

    /// The grouping itself for 128 experts: sorted slots and tiles as the CPU reference cuts them.
    private func checkGrouping(_ g: MoEGroups, ids: [Int], _ label: String) throws {
        let expected = CPUReference.groupExperts(ids: ids, experts: experts, tokenTile: g.tokenTile)
        let words = try g.tiles.readUInt32s(count: (1 + g.maxTiles) * 4)
        XCTAssertEqual(Int(words[0]), expected.tiles.count, "\(label): tile count")
        XCTAssertEqual(Int(words[1]), ids.count, "\(label): slots placed")
        XCTAssertLessThanOrEqual(expected.tiles.count, g.maxTiles, "\(label): tiles within the dispatch")
        let tiles = (0 ..< min(Int(words[0]), g.maxTiles)).map {
            CPUReference.ExpertTile(expert: Int(words[4 + 4 * $0]), first: Int(words[5 + 4 * $0]), count: Int(words[6 + 4 * $0]))
        }
        XCTAssertEqual(tiles, expected.tiles, "\(label): tiles")
        XCTAssertEqual(try g.sortedSlots.readUInt32s(count: g.slots).map(Int.init), expected.sorted, "\(label): sorted slots")
    }

    /// Every element finite and within 1e-4 of the reference relative to the largest magnitude.
    private func assertEachClose(_ got: [Float], _ expected: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let scale = max(expected.map { abs($0) }.max() ?? 0, 1e-6)
        var bad = 0, firstBad = -1
        for (i, (g, e)) in zip(got, expected).enumerated() where !(abs(g - e) <= 1e-4 * scale) {
            bad += 1
            if firstBad < 0 { firstBad = i }
        }
        let detail = firstBad < 0 ? "" : " (got \(got[firstBad]), expected \(expected[firstBad]))"
        XCTAssertEqual(bad, 0, "\(what): \(bad) of \(got.count) elements off, the first at \(firstBad)\(detail)", file: file, line: line)
    }
}
