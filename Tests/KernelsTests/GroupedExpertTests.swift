import GLES
import XCTest
@testable import Kernels

/// The prefill MoE path grouped by expert (f32_moe_group, f32_moe_gate_up_grouped,
/// f32_moe_down_grouped, f32_moe_slot_sum) against the CPU references, on fresh random inputs.
final class GroupedExpertTests: XCTestCase {
    /// Router ids with uneven loads: expert 1 takes about half the slots, the last expert none,
    /// and a token never picks one expert twice (as the router guarantees).
    private func unevenIDs(tokens: Int, k: Int, experts: Int, rng: inout SeededRNG) -> [Int] {
        var ids: [Int] = []
        for _ in 0 ..< tokens {
            var chosen: [Int] = []
            while chosen.count < k {
                let e = Int.random(in: 0 ..< 2, using: &rng) == 0 ? 1 : Int.random(in: 0 ..< experts - 1, using: &rng)
                if !chosen.contains(e) { chosen.append(e) }
            }
            ids += chosen
        }
        return ids
    }

    private func readGroups(_ g: MoEGroups) throws -> (sorted: [Int], tiles: [CPUReference.ExpertTile], header: [UInt32]) {
        let sorted = try g.sortedSlots.readUInt32s(count: g.slots).map(Int.init)
        let words = try g.tiles.readUInt32s(count: (1 + g.maxTiles) * 4)
        let count = Int(words[0])
        XCTAssertLessThanOrEqual(count, g.maxTiles, "tile count within the dispatched bound")
        let tiles = (0 ..< min(count, g.maxTiles)).map {
            CPUReference.ExpertTile(expert: Int(words[4 + 4 * $0]), first: Int(words[5 + 4 * $0]), count: Int(words[6 + 4 * $0]))
        }
        return (sorted, tiles, Array(words[0 ..< 4]))
    }

    func testGroupingSortsSlotsByExpertAndCutsTiles() throws {
        var rng = SeededRNG(test: "moe-group")
        let kernels = try GPU.library()
        let cases: [(tokens: Int, k: Int, experts: Int, tile: Int)] = [
            (37, 4, 32, 8), (130, 4, 32, 32), (5, 2, 6, 16), (61, 4, 128, 64), (300, 1, 1, 32), (1, 3, 4, 8),
        ]
        for c in cases {
            let ids = c.experts == 1 ? [Int](repeating: 0, count: c.tokens * c.k)
                                     : unevenIDs(tokens: c.tokens, k: c.k, experts: c.experts, rng: &rng)
            let groups = try kernels.groupExperts(MoEGroupArgs(ids: try GPU.buffer(ids: ids, "ids"), experts: c.experts, k: c.k,
                                                               tokens: c.tokens, tokenTile: c.tile))
            let expected = CPUReference.groupExperts(ids: ids, experts: c.experts, tokenTile: c.tile)
            let got = try readGroups(groups)
            let label = "tokens \(c.tokens) k \(c.k) experts \(c.experts) tile \(c.tile)"
            XCTAssertEqual(got.sorted, expected.sorted, label)
            XCTAssertEqual(got.tiles, expected.tiles, label)
            XCTAssertEqual(got.header[1], UInt32(ids.count), label)
        }
    }

    func testGroupingLeavesEmptyExpertsOutAndOneExpertCanTakeEverything() throws {
        let kernels = try GPU.library()
        // k = 1, every token on expert 5 of 8: 70 slots in 3 tiles of 32, 32, 6.
        let ids = [Int](repeating: 5, count: 70)
        let groups = try kernels.groupExperts(MoEGroupArgs(ids: try GPU.buffer(ids: ids, "ids"), experts: 8, k: 1, tokens: 70, tokenTile: 32))
        let got = try readGroups(groups)
        XCTAssertEqual(got.sorted, Array(0 ..< 70))
        XCTAssertEqual(got.tiles, [.init(expert: 5, first: 0, count: 32), .init(expert: 5, first: 32, count: 32),
                                   .init(expert: 5, first: 64, count: 6)])

        // An expert cache pass with 2 slots and k = 4: ids of other passes (>= 2) are in no tile.
        let pass = [0, 5, 1, 0xFFFF_FFFF, 1, 1, 7, 0, 0xFFFF_FFFF, 3, 0, 1]
        let cached = try kernels.groupExperts(MoEGroupArgs(ids: try GPU.buffer(ids: pass, "ids"), experts: 2, k: 4, tokens: 3, tokenTile: 8))
        let expected = CPUReference.groupExperts(ids: pass, experts: 2, tokenTile: 8)
        let gotPass = try readGroups(cached)
        XCTAssertEqual(expected.sorted, [0, 7, 10, 2, 4, 5, 11])
        XCTAssertEqual(Array(gotPass.sorted.prefix(expected.sorted.count)), expected.sorted)
        XCTAssertEqual(gotPass.tiles, expected.tiles)
        XCTAssertEqual(gotPass.header[1], 7, "slots placed")
    }

    /// Gate/up + SwiGLU and down + sum for every format, uneven expert loads (one expert with
    /// about half the slots, one with none), 37 tokens (not a multiple of any tile), rows that
    /// leave the last row tile partly empty, and stacks split into bindings of 3 experts.
    func testGroupedMoEMatchesReferencesAllFormatsChunked() throws {
        var rng = SeededRNG(test: "moe-grouped")
        let kernels = try GPU.library()
        let experts = 8, hidden = 64, ff = 96, k = 4, tokens = 37
        // nil: the tuning's choice for this batch (8).
        for (format, tile) in zip(WeightFormat.allCases, [nil, 16, 32, 8, 32] as [Int?]) {
            let ids = unevenIDs(tokens: tokens, k: k, experts: experts, rng: &rng)
            try checkGroupedBlock(kernels: kernels, format: format, experts: experts, hidden: hidden, ff: ff, k: k, tokens: tokens,
                                  ids: ids, expertsPerChunk: 3, tokenTile: tile, rng: &rng)
        }
    }

    /// One expert takes every token (k = 1), with tiles of 64 (8 tokens a thread) and 8 (a
    /// thread stages four parts) and other row-thread counts than the default.
    func testGroupedMoEOneExpertTakesAllTokensBigTiles() throws {
        var rng = SeededRNG(test: "moe-grouped-one")
        for (format, tile, rowThreads) in [(WeightFormat.mxfp4, 64, 16), (.q8_0, 8, 8)] {
            var tuning = KernelTuning.portable
            tuning.grouped.rowGroups = rowThreads
            tuning.grouped.maxTokenTile = 64
            let kernels = try GPU.library(tuning: tuning)
            try checkGroupedBlock(kernels: kernels, format: format, experts: 4, hidden: 96, ff: 64, k: 1, tokens: 75,
                                  ids: [Int](repeating: 2, count: 75), expertsPerChunk: nil, tokenTile: tile, rng: &rng)
        }
    }

    /// Every work split the launcher can pick (token tiles 8…64, 4 or 8 tokens a thread, 1, 2
    /// or 4 staging parts a thread, row threads that leave the last row tile partly empty) for
    /// MXFP4 and Q8_0, with partial token tiles and an expert that gets no slot.
    func testGroupedMoEEveryTileShape() throws {
        var rng = SeededRNG(test: "moe-grouped-shapes")
        try checkShapes([(8, 8, 1), (12, 16, 1), (8, 32, 1), (16, 32, 2), (16, 64, 2)], stepColumns: 32, rng: &rng)
    }

    /// Half steps (16 columns a step) in both grouped kernels, MXFP4 and Q8_0, with 4 and 8
    /// tokens a thread and partial token tiles.
    func testGroupedMoEHalfSteps() throws {
        var rng = SeededRNG(test: "moe-grouped-half-steps")
        try checkShapes([(16, 32, 1), (16, 64, 2), (8, 8, 1)], stepColumns: 16, rng: &rng)
        XCTAssertEqual(GroupedShape(rowThreads: 16, tokenTile: 32, tokenVecs: 1, stepColumns: 24).problem(limits: GPU.context.limits),
                       "groupedStepColumns 24 must be 16 or 32")
    }

    /// One grouped MoE block (gate/up and down) per shape (row threads, token tile, vec4s of
    /// tokens a thread), alternating MXFP4 and Q8_0, against the reference.
    private func checkShapes(_ shapes: [(rowThreads: Int, tile: Int, vecs: Int)], stepColumns: Int, rng: inout SeededRNG) throws {
        for (i, shape) in shapes.enumerated() {
            var tuning = KernelTuning.portable
            tuning.grouped.rowGroups = shape.rowThreads
            tuning.grouped.tokenVecs = shape.vecs
            tuning.grouped.maxTokenTile = 64
            tuning.grouped.stepColumns = stepColumns
            let kernels = try GPU.library(tuning: tuning)
            let format: WeightFormat = i % 2 == 0 ? .mxfp4 : .q8_0
            let ids = unevenIDs(tokens: 45, k: 4, experts: 8, rng: &rng)
            try checkGroupedBlock(kernels: kernels, format: format, experts: 8, hidden: 96, ff: 64, k: 4, tokens: 45,
                                  ids: ids, expertsPerChunk: nil, tokenTile: shape.tile, rng: &rng)
        }
    }

    /// The `wide` tuning's shapes (and the variants to time) fit an NVIDIA card's limits (1024
    /// threads, 48 KiB shared memory) for every token tile, so `groupedMinTokens=8` really runs
    /// the grouped kernels there instead of falling back to the per-slot ones; and a shape over
    /// the limits is refused with a reason, which makes `groupExpertsIfWorthwhile` fall back.
    func testWideShapesFitTheCard() throws {
        var card = GPU.context.limits
        card.maxComputeWorkGroupInvocations = 1024
        card.maxComputeSharedMemorySize = 48 * 1024
        for rowThreads in [KernelTuning.wide.grouped.rowGroups, 16] {
            for vecs in [1, 2] {
                for tile in [8, 16, 32, 64] {
                    let shape = GroupedShape(rowThreads: rowThreads, tokenTile: tile, tokenVecs: vecs)
                    XCTAssertNil(shape.problem(limits: card), "row threads \(rowThreads), tile \(tile), vecs \(vecs)")
                    XCTAssertEqual(4 * shape.tokenVecs * shape.tokenThreads, tile)
                }
            }
        }
        XCTAssertNotNil(GroupedShape(rowThreads: 64, tokenTile: 64, tokenVecs: 2).problem(limits: card), "84 KB of tiles")
        XCTAssertNotNil(GroupedShape(rowThreads: 8, tokenTile: 64, tokenVecs: 2).problem(limits: card), "too few rows for 8 tokens a thread")
        var tuning = KernelTuning.portable
        tuning.grouped.rowGroups = 64
        tuning.grouped.maxTokenTile = 64
        let kernels = try GPU.library(tuning: tuning)
        var rng = SeededRNG(test: "moe-grouped-fallback")
        let fixture = try ExpertFixture(format: .q8_0, experts: 4, hidden: 32, ff: 32, expertsPerChunk: nil, rng: &rng)
        let ids = try GPU.buffer(ids: [Int](repeating: 1, count: 2 * 64), "ids")
        XCTAssertNil(try kernels.groupExpertsIfWorthwhile(ids: ids, down: fixture.down, k: 2, tokens: 64),
                     "tiles over llvmpipe's 32 KiB of shared memory fall back to the per-slot kernels")
    }

    /// A 4096-token step (16384 slots over 32 experts, the size of the depth-4096 prefill of
    /// gpt-oss-20b in one step) with the tile the tuning picks (64) and with 8-token tiles (2000+
    /// tiles), every output element against the CPU reference.
    func testGroupedMoE4096TokenStepMatchesReference() throws {
        var rng = SeededRNG(test: "moe-grouped-4096")
        var tuning = KernelTuning.portable
        tuning.grouped.maxTokenTile = 64
        let kernels = try GPU.library(tuning: tuning)
        let experts = 32, hidden = 32, ff = 32, k = 4, tokens = 4096
        XCTAssertEqual(kernels.groupedTokenTile(tokens: tokens, k: k, experts: experts), 64)
        XCTAssertEqual(kernels.groupedTokenTile(tokens: 512, k: k, experts: experts), 32, "half the 64 slots an expert gets")
        XCTAssertEqual(try GPU.library(tuning: try tuning.overridden(by: "groupedMinTokenTile=64"))
            .groupedTokenTile(tokens: 512, k: k, experts: experts), 64, "a pinned tile")
        XCTAssertEqual(try GPU.library(tuning: try tuning.overridden(by: "groupedMaxTokenTile=16"))
            .groupedTokenTile(tokens: tokens, k: k, experts: experts), 16)
        var ids: [Int] = []
        for _ in 0 ..< tokens {
            var chosen: [Int] = []
            while chosen.count < k {
                let e = Int.random(in: 0 ..< experts, using: &rng)
                if !chosen.contains(e) { chosen.append(e) }
            }
            ids += chosen
        }
        for tile in [nil, 8] as [Int?] {
            try checkGroupedBlock(kernels: kernels, format: .mxfp4, experts: experts, hidden: hidden, ff: ff, k: k, tokens: tokens,
                                  ids: ids, expertsPerChunk: nil, tokenTile: tile, rng: &rng, elementwise: true)
        }
    }

    /// The grouped path is deterministic (fixed sum order, sorted slots in slot order) and
    /// agrees with the per-slot kernels of decode to rounding, also when some slots carry an id
    /// outside the experts (the expert cache's "not in this pass"): both leave them out.
    func testGroupedMatchesPerSlotKernelsAndRepeatsBitForBit() throws {
        var rng = SeededRNG(test: "moe-grouped-vs-slot")
        let kernels = try GPU.library()
        let experts = 32, hidden = 64, ff = 64, k = 4, tokens = 40
        let fixture = try ExpertFixture(format: .mxfp4, experts: experts, hidden: hidden, ff: ff, expertsPerChunk: nil, rng: &rng)
        let allIDs = unevenIDs(tokens: tokens, k: k, experts: experts, rng: &rng)
        var ids = allIDs
        for slot in stride(from: 3, to: ids.count, by: 7) { ids[slot] = 0xFFFF_FFFF }
        let x = try GPU.buffer(rng.floats(tokens * hidden), "x")
        let routeWeights = try GPU.buffer(rng.floats(tokens * k), "rw")
        let residual = rng.floats(tokens * hidden)
        var results: [[Float]] = []
        // The first run (every id valid) leaves a row in the scratch for every slot, so a sum that
        // did not skip the absent slots later would pick up stale rows.
        for (grouped, valid) in [(true, true), (true, false), (true, false), (false, false)] {
            let idBuffer = try GPU.buffer(ids: valid ? allIDs : ids, "ids")
            let groups = grouped ? try kernels.groupExperts(MoEGroupArgs(ids: idBuffer, experts: experts, k: k, tokens: tokens)) : nil
            let act = try GPU.zeros(tokens * k * ff, "act")
            let y = try GPU.buffer(residual, "residual")
            try kernels.moeGateUp(MoEGateUpArgs(experts: fixture.gateUp, bias: fixture.gateUpBias, input: x, ids: idBuffer, k: k,
                                                tokens: tokens, output: act), groups: groups)
            try kernels.moeDown(MoEDownArgs(experts: fixture.down, bias: fixture.downBias, input: act, ids: idBuffer,
                                            routeWeights: routeWeights, k: k, tokens: tokens, residual: y), groups: groups)
            results.append(try GPU.read(y, tokens * hidden))
        }
        XCTAssertEqual(results[1], results[2], "two grouped runs are bit-identical")
        assertClose(results[1], results[3], relative: 1e-5, "grouped vs per-slot kernels")
        XCTAssertTrue(results[0] != results[1], "the absent slots change the result")
    }

    func testGroupedLaunchersRejectMismatchedGroupsAndBadTiles() throws {
        let kernels = try GPU.library()
        var rng = SeededRNG(test: "moe-grouped-errors")
        let fixture = try ExpertFixture(format: .q8_0, experts: 4, hidden: 32, ff: 32, expertsPerChunk: nil, rng: &rng)
        let ids = try GPU.buffer(ids: [0, 1, 2, 3, 1, 2], "ids")
        XCTAssertThrowsError(try kernels.groupExperts(MoEGroupArgs(ids: ids, experts: 4, k: 2, tokens: 3, tokenTile: 12))) { error in
            XCTAssertTrue("\(error.localizedDescription)".contains("token tile 12"), "\(error.localizedDescription)")
        }
        XCTAssertThrowsError(try kernels.groupExperts(MoEGroupArgs(ids: ids, experts: 4, k: 2, tokens: 30))) { error in
            guard case KernelsError.bufferTooSmall = error else { return XCTFail("\(error)") }
        }
        let groups = try kernels.groupExperts(MoEGroupArgs(ids: ids, experts: 4, k: 2, tokens: 3))
        let act = try GPU.zeros(2 * 2 * 32, "act")
        XCTAssertThrowsError(try kernels.moeGateUp(MoEGateUpArgs(experts: fixture.gateUp, bias: nil, input: try GPU.zeros(2 * 32, "x"),
                                                                 ids: ids, k: 2, tokens: 2, output: act), groups: groups)) { error in
            XCTAssertTrue(error.localizedDescription.contains("were made for 3 tokens"), error.localizedDescription)
        }
        XCTAssertNil(try kernels.groupExpertsIfWorthwhile(ids: ids, down: fixture.down, k: 2, tokens: 1), "decode keeps the per-slot kernels")
    }

    // MARK: - Helpers

    /// Random expert stacks of one format on the GPU with their decoded values and biases.
    private struct ExpertFixture {
        var gateValues: [Float], upValues: [Float], downValues: [Float]
        var gateBiasValues: [Float], upBiasValues: [Float], downBiasValues: [Float]
        var gateUp: GPUExperts, down: GPUExperts
        var gateUpBias: GPUBuffer, downBias: GPUBuffer

        init(format: WeightFormat, experts: Int, hidden: Int, ff: Int, expertsPerChunk: Int?, rng: inout SeededRNG) throws {
            let (gateRaw, gate) = try rng.tensor(format, rows: experts * ff, cols: hidden, scale: 0.3)
            let (upRaw, up) = try rng.tensor(format, rows: experts * ff, cols: hidden, scale: 0.3)
            let (downRaw, down) = try rng.tensor(format, rows: experts * hidden, cols: ff, scale: 0.3)
            gateValues = gate
            upValues = up
            downValues = down
            gateBiasValues = rng.floats(experts * ff)
            upBiasValues = rng.floats(experts * ff)
            downBiasValues = rng.floats(experts * hidden)
            let fused = try PackedWeights.fusedGateUp(gate: try PackedWeights.repack(raw: gateRaw, format: format, rows: experts * ff, cols: hidden),
                                                      up: try PackedWeights.repack(raw: upRaw, format: format, rows: experts * ff, cols: hidden),
                                                      experts: experts)
            let downPacked = try PackedWeights.repack(raw: downRaw, format: format, rows: experts * hidden, cols: ff)
            let gateUpChunk = expertsPerChunk.map { max(fused.scaleWordsPerRow, fused.dataWordsPerRow) * 4 * 2 * ff * $0 }
            let downChunk = expertsPerChunk.map { max(downPacked.scaleWordsPerRow, downPacked.dataWordsPerRow) * 4 * hidden * $0 }
            gateUp = try GPUExperts(context: GPU.context, packed: fused, experts: experts, label: "gate_up.\(format)", maxChunkBytes: gateUpChunk)
            self.down = try GPUExperts(context: GPU.context, packed: downPacked, experts: experts, label: "down.\(format)", maxChunkBytes: downChunk)
            gateUpBias = try GPU.buffer(fusedGateUpBias(gate: gateBiasValues, up: upBiasValues, experts: experts), "gate_up_bias")
            downBias = try GPU.buffer(downBiasValues, "down_bias")
        }
    }

    private func checkGroupedBlock(kernels: KernelLibrary, format: WeightFormat, experts: Int, hidden: Int, ff: Int, k: Int,
                                   tokens: Int, ids: [Int], expertsPerChunk: Int?, tokenTile: Int?, rng: inout SeededRNG,
                                   elementwise: Bool = false) throws {
        let fixture = try ExpertFixture(format: format, experts: experts, hidden: hidden, ff: ff, expertsPerChunk: expertsPerChunk, rng: &rng)
        if let per = expertsPerChunk {
            XCTAssertEqual(fixture.gateUp.weights.chunks.count, (experts + per - 1) / per, "\(format) gate/up split")
            XCTAssertEqual(fixture.down.weights.chunks.count, (experts + per - 1) / per, "\(format) down split")
        }
        let idBuffer = try GPU.buffer(ids: ids, "ids")
        let groups = try kernels.groupExperts(MoEGroupArgs(ids: idBuffer, experts: experts, k: k, tokens: tokens, tokenTile: tokenTile))
        let label = "\(format) tile \(groups.tokenTile) tokens \(tokens) k \(k)"

        // Activations with a row stride wider than the hidden size, as the forward pass may use.
        let stride = hidden + 4
        var x = [Float](repeating: 0, count: tokens * stride)
        var dense: [Float] = []
        for t in 0 ..< tokens {
            let row = rng.floats(hidden)
            x.replaceSubrange(t * stride ..< t * stride + hidden, with: row)
            dense += row
        }
        let act = try GPU.zeros(tokens * k * ff, "act")
        let gateReport = try kernels.moeGateUp(MoEGateUpArgs(experts: fixture.gateUp, bias: fixture.gateUpBias, input: try GPU.buffer(x, "x"),
                                                             inputStride: stride, ids: idBuffer, k: k, tokens: tokens, output: act), groups: groups)
        XCTAssertEqual(gateReport.kernel, .moeGateUpGrouped, gateReport.program)
        XCTAssertEqual(gateReport.dispatches, fixture.gateUp.weights.chunks.count)
        let expectedAct = CPUReference.moeGateUp(gate: fixture.gateValues, up: fixture.upValues, gateBias: fixture.gateBiasValues, upBias: fixture.upBiasValues,
                                                 x: dense, ids: ids, k: k, ff: ff, hidden: hidden)
        let gotAct = try GPU.read(act, tokens * k * ff)
        assertClose(gotAct, expectedAct, relative: 1e-5, "grouped gate/up \(label)")
        if elementwise { assertEachClose(gotAct, expectedAct, "grouped gate/up \(label)") }

        let routeWeights = rng.floats(tokens * k)
        let residual = rng.floats(tokens * hidden)
        let y = try GPU.buffer(residual, "residual")
        let downReport = try kernels.moeDown(MoEDownArgs(experts: fixture.down, bias: fixture.downBias, input: act, ids: idBuffer,
                                                         routeWeights: try GPU.buffer(routeWeights, "rw"), k: k, tokens: tokens, residual: y),
                                             groups: groups)
        XCTAssertEqual(downReport.dispatches, fixture.down.weights.chunks.count + 1)
        let expected = CPUReference.moeDown(down: fixture.downValues, bias: fixture.downBiasValues, act: gotAct, ids: ids, weights: routeWeights,
                                            k: k, residual: residual, hidden: hidden, ff: ff)
        let gotY = try GPU.read(y, tokens * hidden)
        assertClose(gotY, expected, relative: 1e-5, "grouped down + sum \(label)")
        if elementwise { assertEachClose(gotY, expected, "grouped down + sum \(label)") }
    }

    /// Every element finite and within 1e-4 of the reference relative to the largest magnitude:
    /// a few wrong or unwritten rows in thousands would pass the norm-wise check.
    private func assertEachClose(_ got: [Float], _ expected: [Float], _ what: String) {
        let scale = max(expected.map { abs($0) }.max() ?? 0, 1e-6)
        var bad = 0, firstBad = -1
        for (i, (g, e)) in zip(got, expected).enumerated() where !(abs(g - e) <= 1e-4 * scale) {
            bad += 1
            if firstBad < 0 { firstBad = i }
        }
        XCTAssertEqual(bad, 0, "\(what): \(bad) elements off, the first at \(firstBad)")
    }
}
