import GLES
import XCTest
@testable import Kernels

/// The attention probe (telemetry's heatmap weights) against its CPU reference, which sees every
/// position's key directly: a wrong ring slot, window, GQA head or a denominator over only the
/// shown columns shows up as a mismatch.
final class AttentionProbeTests: XCTestCase {
    /// Appends keys 0 … position (values are not read by the probe: zeros) one token at a time.
    func fill(_ cache: KVCacheLayer, keys: [Float], through position: Int, _ kernels: KernelLibrary) throws {
        let row = cache.rowFloats
        let zeros = try GPU.zeros(row, "v")
        for p in 0 ... position {
            try kernels.appendKV(KVAppendArgs(cache: cache, keys: try GPU.buffer(Array(keys[p * row ..< (p + 1) * row]), "k"),
                                              values: zeros, tokens: 1, position0: p))
        }
    }

    /// A sliding layer (window 12 in a ring of 16) at position 40: the ring has wrapped twice, so
    /// the visible keys 29…40 sit in slots 13, 14, 15, 0…8. 20 columns asked, 12 visible: clipped.
    /// 8 query heads on 2 KV heads, 5 of them probed; the query at an offset in a fused buffer.
    func testSlidingLayerWithAWrappedRing() throws {
        var rng = SeededRNG(test: "attention probe sliding")
        let kernels = try GPU.library()
        let heads = 8, kvHeads = 2, d = 32, window = 12, position = 40, probeHeads = 5
        let cache = try KVCacheLayer(context: GPU.context, capacity: 16, kvHeads: kvHeads, headDim: d, window: window, label: "slide")
        let keys = rng.floats((position + 1) * kvHeads * d, scale: 2)
        try fill(cache, keys: keys, through: position, kernels)
        let q = rng.floats(heads * d, scale: 2), sinks = rng.floats(heads, scale: 2)
        let args = AttentionProbeArgs(query: try GPU.buffer([Float](repeating: 7, count: 30) + q, "q"), queryOffset: 30, cache: cache,
                                      sinks: try GPU.buffer(sinks, "sinks"), heads: heads, probeHeads: probeHeads, position: position,
                                      columns: 20, output: try GPU.zeros(probeHeads * 20, "weights"))
        XCTAssertEqual(args.clippedColumns, window)
        XCTAssertEqual(args.columnPositions, Array(29 ... 40))
        try kernels.attentionProbe(args)
        let expected = CPUReference.attentionProbe(query: q, keys: keys, sinks: sinks, heads: heads, kvHeads: kvHeads, headDim: d,
                                                   position: position, window: window, probeHeads: probeHeads, columns: 20)
        XCTAssertEqual(expected.count, probeHeads * window)
        let gpu = try GPU.read(args.output, probeHeads * window)
        assertClose(gpu, expected, relative: 1e-5, absolute: 1e-5, "probe sliding wrapped")
        // Every visible key is a column here, so a row plus the sink's share is 1: rows sum below 1.
        for h in 0 ..< probeHeads {
            let sum = gpu[h * window ..< (h + 1) * window].reduce(0, +)
            XCTAssertLessThan(sum, 1 + 1e-5, "head \(h): weights sum \(sum)")
            XCTAssertGreaterThan(sum, 0, "head \(h)")
        }
    }

    /// A full layer at position 150 with 64 columns (positions 87…150): the denominator must cover
    /// all 151 keys (more than one pass of the workgroup), not only the shown ones. Multi-query
    /// (1 KV head), head size 64, every head probed, both cache storages, and position 0 (one column).
    func testFullLayerDenominatorCoversEveryVisibleKey() throws {
        var rng = SeededRNG(test: "attention probe full")
        let kernels = try GPU.library()
        let heads = 4, kvHeads = 1, d = 64, position = 150, columns = 64
        for storage in KVStorage.allCases {
            let cache = try KVCacheLayer(context: GPU.context, capacity: 160, kvHeads: kvHeads, headDim: d, window: 0,
                                         label: "full", storage: storage)
            let keys = rng.floats((position + 1) * kvHeads * d)
            let stored = storage == .f32 ? keys : keys.map { HalfFloat.float(fromHalf: HalfFloat.half(fromFloat: $0)) }
            try kernels.appendKV(KVAppendArgs(cache: cache, keys: try GPU.buffer(keys, "k"), values: try GPU.zeros(keys.count, "v"),
                                              tokens: position + 1, position0: 0))
            let q = rng.floats(heads * d, scale: 2), sinks = rng.floats(heads, scale: 2)
            let sinkBuffer = try GPU.buffer(sinks, "sinks")
            let out = try GPU.zeros(heads * columns, "weights")
            let args = AttentionProbeArgs(query: try GPU.buffer(q, "q"), cache: cache, sinks: sinkBuffer, heads: heads,
                                          position: position, columns: columns, output: out)
            XCTAssertEqual(args.columnPositions, Array(87 ... 150))
            try kernels.attentionProbe(args)
            let expected = CPUReference.attentionProbe(query: q, keys: stored, sinks: sinks, heads: heads, kvHeads: kvHeads, headDim: d,
                                                       position: position, window: 0, probeHeads: heads, columns: columns)
            assertClose(try GPU.read(out, heads * columns), expected, relative: storage == .f32 ? 1e-5 : 1e-3,
                        "probe full, \(storage) cache")

            let first = AttentionProbeArgs(query: try GPU.buffer(q, "q"), cache: cache, sinks: sinkBuffer, heads: heads,
                                           position: 0, columns: columns, output: out)
            XCTAssertEqual(first.columnPositions, [0])
            try kernels.attentionProbe(first)
            let expectedFirst = CPUReference.attentionProbe(query: q, keys: stored, sinks: sinks, heads: heads, kvHeads: kvHeads,
                                                            headDim: d, position: 0, window: 0, probeHeads: heads, columns: columns)
            assertClose(try GPU.read(out, heads), expectedFirst, relative: storage == .f32 ? 1e-5 : 1e-3, "probe at position 0, \(storage)")
        }
    }

    func testBadArgumentsAreRefusedBeforeDispatch() throws {
        let kernels = try GPU.library()
        let cache = try KVCacheLayer(context: GPU.context, capacity: 8, kvHeads: 2, headDim: 16, window: 0, label: "small")
        let q = try GPU.zeros(4 * 16, "q"), sinks = try GPU.zeros(4, "sinks"), out = try GPU.zeros(4 * 8, "w")
        func probe(heads: Int = 4, probeHeads: Int? = nil, position: Int = 3, columns: Int = 4, output: GPUBuffer? = nil) throws {
            try kernels.attentionProbe(AttentionProbeArgs(query: q, cache: cache, sinks: sinks, heads: heads, probeHeads: probeHeads,
                                                          position: position, columns: columns, output: output ?? out))
        }
        XCTAssertNoThrow(try probe())
        XCTAssertThrowsError(try probe(columns: 65), "more columns than the kernel holds") { error in
            XCTAssertEqual(error as? KernelsError, .invalidArgument(kernel: "f32_attention_probe", message: "columns must be in 1...64, got 65"))
        }
        XCTAssertThrowsError(try probe(columns: 0), "no columns") { error in
            XCTAssertEqual(error as? KernelsError, .invalidArgument(kernel: "f32_attention_probe", message: "columns must be in 1...64, got 0"))
        }
        XCTAssertThrowsError(try probe(heads: 3), "heads not a multiple of the KV heads") { error in
            XCTAssertEqual(error as? KernelsError, .invalidArgument(kernel: "f32_attention_probe", message: "3 query heads are not a multiple of 2 KV heads"))
        }
        XCTAssertThrowsError(try probe(probeHeads: 5), "more probed heads than heads") { error in
            XCTAssertEqual(error as? KernelsError, .invalidArgument(kernel: "f32_attention_probe", message: "probe heads must be in 1...4, got 5"))
        }
        XCTAssertThrowsError(try probe(position: 8), "a full cache of 8 cannot hold position 8") { error in
            XCTAssertEqual(error as? KernelsError, .invalidArgument(kernel: "f32_attention_probe", message: "a cache of 8 positions cannot hold the keys of position 8; use a larger --context"))
        }
        XCTAssertThrowsError(try probe(output: try GPU.zeros(3, "tiny")), "output too small") { error in
            XCTAssertEqual(error as? KernelsError, .bufferTooSmall(kernel: "f32_attention_probe", buffer: "tiny", needed: 64, available: 16))
        }
    }
}
