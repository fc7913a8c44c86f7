import GLES
import XCTest
@testable import Kernels

/// RoPE, the KV ring and both attention kernels against references that see every position's
/// key directly (no ring), so a wrong slot or window shows up as a mismatch.
final class AttentionTests: XCTestCase {
    /// What the cache holds of `values` in `storage`.
    func stored(_ values: [Float], _ storage: KVStorage) -> [Float] {
        storage == .f32 ? values : values.map { HalfFloat.float(fromHalf: HalfFloat.half(fromFloat: $0)) }
    }

    /// f32 storage must match to rounding; f16 storage rounds K and V, and drivers may round the
    /// conversion differently from the reference (nearest-even), so allow a half's precision.
    func tolerance(_ storage: KVStorage) -> Double { storage == .f32 ? 1e-5 : 1e-3 }

    func testKVAppendHalfStoragePacksPairs() throws {
        var rng = SeededRNG(test: "kv append f16")
        let kernels = try GPU.library()
        let cache = try KVCacheLayer(context: GPU.context, capacity: 4, kvHeads: 1, headDim: 8, window: 4, label: "ring16", storage: .f16)
        XCTAssertEqual(cache.keys.byteCount, 4 * 8 * 2)
        let k = rng.floats(2 * 8), v = rng.floats(2 * 8)
        try kernels.appendKV(KVAppendArgs(cache: cache, keys: try GPU.buffer(k, "k"), values: try GPU.buffer(v, "v"), tokens: 2, position0: 3))
        let words = try cache.keys.readUInt32s(count: 16)
        // Position 3 → slot 3 (words 12..15), position 4 → slot 0 (words 0..3); value 2i in the low half.
        for i in 0 ..< 8 {
            let slot3 = HalfFloat.float(fromHalf: UInt16(truncatingIfNeeded: words[12 + i / 2] >> (16 * UInt32(i % 2))))
            let slot0 = HalfFloat.float(fromHalf: UInt16(truncatingIfNeeded: words[i / 2] >> (16 * UInt32(i % 2))))
            XCTAssertEqual(slot3, k[i], accuracy: abs(k[i]) / 1024 + 1e-7)
            XCTAssertEqual(slot0, k[8 + i], accuracy: abs(k[8 + i]) / 1024 + 1e-7)
        }
    }

    func testRopeYarnInPlaceAtAnOffsetInAFusedBuffer() throws {
        var rng = SeededRNG(test: "rope")
        let kernels = try GPU.library()
        let yarn = YarnParameters(headDim: 16, theta: 150000, factor: 4, originalContext: 256)
        let table = try RopeTable(context: GPU.context, yarn: yarn)
        let tokens = 3, heads = 4, stride = 100, offset = 20, position0 = 181
        let x = rng.floats(tokens * stride)
        let buffer = try GPU.buffer(x, "qkv")
        try kernels.rope(RopeArgs(table: table, buffer: buffer, tokens: tokens, heads: heads, position0: position0, stride: stride, offset: offset))
        let expected = CPUReference.rope(x, tokens: tokens, heads: heads, position0: position0, stride: stride, offset: offset,
                                         inverseFrequencies: table.inverseFrequencies, concentration: table.concentration)
        assertClose(try GPU.read(buffer, tokens * stride), expected, relative: 1e-5, "rope yarn")
    }

    /// Decode's fused rotate-and-append: Q and K heads rotated in place, the rotated K and the
    /// untouched V copied into the ring slot of the position (which has wrapped).
    func testRopeAppendsRotatedKeysAndValuesToTheCache() throws {
        var rng = SeededRNG(test: "rope append")
        let kernels = try GPU.library()
        let yarn = YarnParameters(headDim: 16, theta: 150000, factor: 4, originalContext: 256)
        let table = try RopeTable(context: GPU.context, yarn: yarn)
        let qHeads = 4, kvHeads = 2, d = 16, position = 13
        let stride = (qHeads + 2 * kvHeads) * d
        let x = rng.floats(stride)
        let buffer = try GPU.buffer(x, "qkv")
        let cache = try KVCacheLayer(context: GPU.context, capacity: 5, kvHeads: kvHeads, headDim: d, window: 5, label: "ring")
        var args = RopeArgs(table: table, buffer: buffer, tokens: 1, heads: qHeads + kvHeads, position0: position, stride: stride)
        args.append = (cache, qHeads, kvHeads * d)
        try kernels.rope(args)
        let expected = CPUReference.rope(x, tokens: 1, heads: qHeads + kvHeads, position0: position, stride: stride, offset: 0,
                                         inverseFrequencies: table.inverseFrequencies, concentration: table.concentration)
        assertClose(try GPU.read(buffer, stride), expected, relative: 1e-5, "rope in place")
        let slot = position % cache.capacity, row = kvHeads * d
        let keys = try GPU.read(cache.keys, cache.capacity * row), values = try GPU.read(cache.values, cache.capacity * row)
        assertClose(Array(keys[slot * row ..< (slot + 1) * row]), Array(expected[qHeads * d ..< (qHeads + kvHeads) * d]),
                    relative: 1e-5, "appended keys")
        XCTAssertEqual(Array(values[slot * row ..< (slot + 1) * row]), Array(x[(qHeads + kvHeads) * d ..< stride]), "appended values")

        let half = try KVCacheLayer(context: GPU.context, capacity: 5, kvHeads: kvHeads, headDim: d, window: 5, label: "ring16", storage: .f16)
        args.append = (half, qHeads, kvHeads * d)
        XCTAssertThrowsError(try kernels.rope(args), "the fused append writes f32 caches only") { error in
            XCTAssertEqual(error as? KernelsError, .invalidArgument(kernel: "f32_rope_yarn", message: "the fused KV append writes f32 caches only ('ring16.k' is f16)"))
        }
    }

    func testKVAppendWrapsTheRingAndKeepsTheLastTokensOfALongBatch() throws {
        var rng = SeededRNG(test: "kv append")
        let kernels = try GPU.library()
        let cache = try KVCacheLayer(context: GPU.context, capacity: 8, kvHeads: 2, headDim: 16, window: 8, label: "ring")
        let row = 32
        // 11 tokens at positions 0...10 into 8 slots: positions 3...10 survive, 8...10 in slots 0...2.
        let k = rng.floats(11 * row), v = rng.floats(11 * row)
        try kernels.appendKV(KVAppendArgs(cache: cache, keys: try GPU.buffer(k, "k"), values: try GPU.buffer(v, "v"), tokens: 11, position0: 0))
        var expectedK = [Float](repeating: 0, count: 8 * row), expectedV = expectedK
        for p in 3 ... 10 {
            expectedK.replaceSubrange((p % 8) * row ..< (p % 8 + 1) * row, with: k[p * row ..< (p + 1) * row])
            expectedV.replaceSubrange((p % 8) * row ..< (p % 8 + 1) * row, with: v[p * row ..< (p + 1) * row])
        }
        XCTAssertEqual(try GPU.read(cache.keys, 8 * row), expectedK)
        XCTAssertEqual(try GPU.read(cache.values, 8 * row), expectedV)
        let full = try KVCacheLayer(context: GPU.context, capacity: 4, kvHeads: 2, headDim: 16, window: 0, label: "full")
        XCTAssertThrowsError(try kernels.appendKV(KVAppendArgs(cache: full, keys: try GPU.buffer(k, "k"), values: try GPU.buffer(v, "v"),
                                                               tokens: 2, position0: 3)), "a full cache must not wrap") { error in
            XCTAssertEqual(error as? KernelsError, .invalidArgument(kernel: "f32_kv_append", message: "a full-attention cache of 4 positions cannot take positions up to 4; use a larger --context"))
        }
    }

    /// Decode token by token through a sliding layer whose ring is exactly the window: every step
    /// past the window boundary overwrites the oldest slot. GQA ratio 2.
    func testDecodeWindowBoundaryWithGQA() throws {
        var rng = SeededRNG(test: "decode window")
        let kernels = try GPU.library()
        let heads = 4, kvHeads = 2, d = 16, window = 8, steps = 20
        let cache = try KVCacheLayer(context: GPU.context, capacity: window, kvHeads: kvHeads, headDim: d, window: window, label: "slide")
        let keys = rng.floats(steps * kvHeads * d, scale: 2), values = rng.floats(steps * kvHeads * d)
        let sinks = rng.floats(heads, scale: 2)
        let sinkBuffer = try GPU.buffer(sinks, "sinks")
        let out = try GPU.zeros(heads * d, "attn")
        for p in 0 ..< steps {
            let q = rng.floats(heads * d, scale: 2)
            let row = kvHeads * d
            try kernels.appendKV(KVAppendArgs(cache: cache, keys: try GPU.buffer(Array(keys[p * row ..< (p + 1) * row]), "k"),
                                              values: try GPU.buffer(Array(values[p * row ..< (p + 1) * row]), "v"), tokens: 1, position0: p))
            try kernels.attentionDecode(AttentionDecodeArgs(query: try GPU.buffer(q, "q"), cache: cache, sinks: sinkBuffer, heads: heads,
                                                            position: p, output: out, splitKeys: 4))
            let expected = CPUReference.attention(queries: q, queryPositions: [p], keys: Array(keys[0 ..< (p + 1) * row]),
                                                  values: Array(values[0 ..< (p + 1) * row]), sinks: sinks,
                                                  heads: heads, kvHeads: kvHeads, headDim: d, window: window)
            if p == window - 1 || p == window || p == steps - 1 {
                assertClose(try GPU.read(out, heads * d), expected, relative: 1e-5, "decode window p=\(p)")
            } else {
                let gpu = try GPU.read(out, heads * d)
                let worst = zip(gpu, expected).map { abs($0 - $1) }.max()!
                XCTAssertLessThan(worst, 1e-4, "decode window p=\(p)")
            }
        }
    }

    /// A full-attention layer at position 50 with 8-key splits (7 splits), GQA ratio 4, head 64.
    func testDecodeSeveralSplitsFullLayer() throws {
        var rng = SeededRNG(test: "decode splits")
        let kernels = try GPU.library()
        let heads = 8, kvHeads = 2, d = 64, position = 50
        for storage in KVStorage.allCases {
        let cache = try KVCacheLayer(context: GPU.context, capacity: 64, kvHeads: kvHeads, headDim: d, window: 0, label: "full", storage: storage)
        let keys = rng.floats((position + 1) * kvHeads * d), values = rng.floats((position + 1) * kvHeads * d)
        try kernels.appendKV(KVAppendArgs(cache: cache, keys: try GPU.buffer(keys, "k"), values: try GPU.buffer(values, "v"),
                                          tokens: position + 1, position0: 0))
        let q = rng.floats(heads * d, scale: 3), sinks = rng.floats(heads, scale: 3)
        XCTAssertEqual(kernels.attentionSplits(cache: cache, position: position, splitKeys: 8), 7)
        // The query sits at offset 10 of a fused buffer; the output at offset 5.
        let out = try GPU.zeros(5 + heads * d, "attn")
        try kernels.attentionDecode(AttentionDecodeArgs(query: try GPU.buffer([Float](repeating: 9, count: 10) + q, "q"), queryOffset: 10,
                                                        cache: cache, sinks: try GPU.buffer(sinks, "sinks"), heads: heads, position: position,
                                                        output: out, outputOffset: 5, splitKeys: 8))
        let expected = CPUReference.attention(queries: q, queryPositions: [position], keys: stored(keys, storage),
                                              values: stored(values, storage), sinks: sinks,
                                              heads: heads, kvHeads: kvHeads, headDim: d, window: 0)
        assertClose(Array(try GPU.read(out, 5 + heads * d)[5...]), expected, relative: tolerance(storage), "decode 7 splits, \(storage) cache")
        }
    }

    /// A KV head shared by 10 query heads: the decode kernel takes 8 heads a workgroup, so the
    /// group splits into two head blocks (8 + 2). Position 300 with the wide tuning's 256-key
    /// splits gives two splits (combine pass); 96-key splits give four.
    func testDecodeGroupLargerThanAWorkgroupsHeads() throws {
        var rng = SeededRNG(test: "decode head blocks")
        let heads = 20, kvHeads = 2, d = 64, position = 300
        for (kernels, split) in [(try GPU.library(tuning: .wide), 256), (try GPU.library(), 96)] {
            for storage in KVStorage.allCases {
                let cache = try KVCacheLayer(context: GPU.context, capacity: 320, kvHeads: kvHeads, headDim: d, window: 0,
                                             label: "full", storage: storage)
                let keys = rng.floats((position + 1) * kvHeads * d), values = rng.floats((position + 1) * kvHeads * d)
                try kernels.appendKV(KVAppendArgs(cache: cache, keys: try GPU.buffer(keys, "k"), values: try GPU.buffer(values, "v"),
                                                  tokens: position + 1, position0: 0))
                let q = rng.floats(heads * d, scale: 2), sinks = rng.floats(heads, scale: 2)
                let out = try GPU.zeros(heads * d, "attn")
                try kernels.attentionDecode(AttentionDecodeArgs(query: try GPU.buffer(q, "q"), cache: cache, sinks: try GPU.buffer(sinks, "sinks"),
                                                                heads: heads, position: position, output: out, splitKeys: split))
                let expected = CPUReference.attention(queries: q, queryPositions: [position], keys: stored(keys, storage),
                                                      values: stored(values, storage), sinks: sinks,
                                                      heads: heads, kvHeads: kvHeads, headDim: d, window: 0)
                assertClose(try GPU.read(out, heads * d), expected, relative: tolerance(storage),
                            "decode 10-head groups, \(split)-key splits, \(storage) cache")
            }
        }
    }

    /// Prefill of 13 tokens at positions 20...32 on a sliding layer (window 8, ring of 8): the
    /// earlier keys come from the ring, the batch's own keys from the batch buffers; then the
    /// batch is appended and one decode step must agree with the reference too.
    func testPrefillWindowBoundaryFromRingAndBatch() throws {
        var rng = SeededRNG(test: "prefill window")
        for kernels in try prefillVariants() {
        let heads = 6, kvHeads = 2, d = 32, window = 8, position0 = 20, tokens = 13
        let row = kvHeads * d
        let total = position0 + tokens + 1
        let keys = rng.floats(total * row, scale: 2), values = rng.floats(total * row)
        let sinks = rng.floats(heads, scale: 2)
        for storage in KVStorage.allCases {
        let cache = try KVCacheLayer(context: GPU.context, capacity: window, kvHeads: kvHeads, headDim: d, window: window, label: "slide", storage: storage)
        // Keys before the batch come from the cache (rounded there in f16); the batch's own are exact.
        let cachedKeys = stored(Array(keys[0 ..< position0 * row]), storage) + Array(keys[position0 * row ..< total * row])
        let cachedValues = stored(Array(values[0 ..< position0 * row]), storage) + Array(values[position0 * row ..< total * row])
        try kernels.appendKV(KVAppendArgs(cache: cache, keys: try GPU.buffer(Array(keys[0 ..< position0 * row]), "k0"),
                                          values: try GPU.buffer(Array(values[0 ..< position0 * row]), "v0"), tokens: position0, position0: 0))
        let q = rng.floats(tokens * heads * d, scale: 2)
        let batchK = try GPU.buffer(Array(keys[position0 * row ..< (position0 + tokens) * row]), "k")
        let batchV = try GPU.buffer(Array(values[position0 * row ..< (position0 + tokens) * row]), "v")
        let sinkBuffer = try GPU.buffer(sinks, "sinks")
        let out = try GPU.zeros(tokens * heads * d, "attn")
        try kernels.attentionPrefill(AttentionPrefillArgs(query: try GPU.buffer(q, "q"), queryStride: heads * d, keys: batchK, values: batchV,
                                                          kvStride: row, cache: cache, sinks: sinkBuffer, heads: heads, tokens: tokens,
                                                          position0: position0, output: out))
        let expected = CPUReference.attention(queries: q, queryPositions: Array(position0 ..< position0 + tokens),
                                              keys: Array(cachedKeys[0 ..< (position0 + tokens) * row]), values: Array(cachedValues[0 ..< (position0 + tokens) * row]),
                                              sinks: sinks, heads: heads, kvHeads: kvHeads, headDim: d, window: window)
        assertClose(try GPU.read(out, tokens * heads * d), expected, relative: tolerance(storage), "prefill window, \(storage) cache")

        try kernels.appendKV(KVAppendArgs(cache: cache, keys: batchK, values: batchV, tokens: tokens, position0: position0))
        let p = position0 + tokens
        try kernels.appendKV(KVAppendArgs(cache: cache, keys: try GPU.buffer(Array(keys[p * row ..< (p + 1) * row]), "k1"),
                                          values: try GPU.buffer(Array(values[p * row ..< (p + 1) * row]), "v1"), tokens: 1, position0: p))
        let q1 = rng.floats(heads * d, scale: 2)
        let out1 = try GPU.zeros(heads * d, "attn1")
        try kernels.attentionDecode(AttentionDecodeArgs(query: try GPU.buffer(q1, "q1"), cache: cache, sinks: sinkBuffer, heads: heads,
                                                        position: p, output: out1))
        let expected1 = CPUReference.attention(queries: q1, queryPositions: [p], keys: stored(keys, storage), values: stored(values, storage),
                                               sinks: sinks, heads: heads, kvHeads: kvHeads, headDim: d, window: window)
        assertClose(try GPU.read(out1, heads * d), expected1, relative: tolerance(storage), "decode after prefill, \(storage) cache")
        }
        }
    }

    /// Full causal prefill in two chunks: 19 queries from position 0 (a partial query tile),
    /// appended, then 7 more at position 19 that read the first chunk from the cache.
    /// Multi-query (1 KV head).
    func testPrefillCausalInTwoChunksMultiQuery() throws {
        var rng = SeededRNG(test: "prefill causal")
        for kernels in try prefillVariants() {
        let heads = 4, kvHeads = 1, d = 16, first = 19, second = 7
        let row = kvHeads * d, total = first + second
        let keys = rng.floats(total * row, scale: 2), values = rng.floats(total * row), sinks = rng.floats(heads)
        let q = rng.floats(total * heads * d, scale: 2)
        let cache = try KVCacheLayer(context: GPU.context, capacity: 32, kvHeads: kvHeads, headDim: d, window: 0, label: "full")
        let sinkBuffer = try GPU.buffer(sinks, "s")
        let expected = CPUReference.attention(queries: q, queryPositions: Array(0 ..< total), keys: keys, values: values, sinks: sinks,
                                              heads: heads, kvHeads: kvHeads, headDim: d, window: 0)
        for (position0, count) in [(0, first), (first, second)] {
            let k = try GPU.buffer(Array(keys[position0 * row ..< (position0 + count) * row]), "k")
            let v = try GPU.buffer(Array(values[position0 * row ..< (position0 + count) * row]), "v")
            let out = try GPU.zeros(count * heads * d, "attn")
            try kernels.attentionPrefill(AttentionPrefillArgs(query: try GPU.buffer(Array(q[position0 * heads * d ..< (position0 + count) * heads * d]), "q"),
                                                              queryStride: heads * d, keys: k, values: v, kvStride: row, cache: cache,
                                                              sinks: sinkBuffer, heads: heads, tokens: count, position0: position0, output: out))
            try kernels.appendKV(KVAppendArgs(cache: cache, keys: k, values: v, tokens: count, position0: position0))
            assertClose(try GPU.read(out, count * heads * d), Array(expected[position0 * heads * d ..< (position0 + count) * heads * d]),
                        relative: 1e-5, "prefill causal from \(position0)")
        }
        }
    }
}

/// The prefill attention with rows in shared memory and with rows in registers
/// (`prefillRegisterRows`), on this device's tuning.
func prefillVariants() throws -> [KernelLibrary] {
    [try GPU.library(), try GPU.library(tuning: try KernelTuning.portable.overridden(by: "prefillRegisterRows=1"))]
}

/// The sizes chosen for big GPUs (`KernelTuning.wide`) must compute the same thing: run the
/// tile-sensitive kernels with them here too.
final class WideTuningTests: XCTestCase {
    func testWideTuningMatchesTheReferences() throws {
        var rng = SeededRNG(test: "wide tuning")
        let kernels = try GPU.library(tuning: .wide)
        let rows = 70, cols = 128
        for format in [WeightFormat.mxfp4] {
            let (raw, w) = try rng.tensor(format, rows: rows, cols: cols)
            let weights = try GPUWeights(context: GPU.context, packed: try PackedWeights.repack(raw: raw, format: format, rows: rows, cols: cols), label: "w")
            for tokens in [1, 11] {
                let x = rng.floats(tokens * cols), bias = rng.floats(rows)
                let out = try GPU.zeros(tokens * rows, "y")
                try kernels.linear(LinearArgs(weights: weights, bias: try GPU.buffer(bias, "b"), input: try GPU.buffer(x, "x"), output: out, tokens: tokens))
                assertClose(try GPU.read(out, tokens * rows), CPUReference.linear(weights: w, bias: bias, x: x, rows: rows, cols: cols, tokens: tokens),
                            relative: 1e-5, "wide linear \(format) tokens=\(tokens)")
            }
        }
        let heads = 2, kvHeads = 1, d = 64, tokens = 40, window = 0
        let row = kvHeads * d
        let keys = rng.floats(tokens * row), values = rng.floats(tokens * row), sinks = rng.floats(heads)
        let q = rng.floats(tokens * heads * d)
        let cache = try KVCacheLayer(context: GPU.context, capacity: 128, kvHeads: kvHeads, headDim: d, window: window, label: "full")
        let out = try GPU.zeros(tokens * heads * d, "attn")
        try kernels.attentionPrefill(AttentionPrefillArgs(query: try GPU.buffer(q, "q"), queryStride: heads * d, keys: try GPU.buffer(keys, "k"),
                                                          values: try GPU.buffer(values, "v"), kvStride: row, cache: cache,
                                                          sinks: try GPU.buffer(sinks, "s"), heads: heads, tokens: tokens, position0: 0, output: out))
        assertClose(try GPU.read(out, tokens * heads * d),
                    CPUReference.attention(queries: q, queryPositions: Array(0 ..< tokens), keys: keys, values: values, sinks: sinks,
                                           heads: heads, kvHeads: kvHeads, headDim: d, window: window),
                    relative: 1e-5, "wide prefill")
        let logits = rng.floats(9000, scale: 5)
        let summary = try kernels.summarizeLogits(logits: try GPU.buffer(logits, "logits"), vocab: 9000, candidates: 16)
        XCTAssertEqual(summary.candidates.map(\.id), CPUReference.logitSummary(logits, candidates: 16, temperature: 1).candidates.map(\.id))
    }
}
