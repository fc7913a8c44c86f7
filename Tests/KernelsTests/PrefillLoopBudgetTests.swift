import GLES
import XCTest
@testable import Kernels

/// Prefill attention at a context long enough that one invocation of the tiled kernel takes
/// more than llvmpipe's 65 535 loop iterations (gallivm's loop limiter), which used to cut its
/// loops silently: most outputs of the later query tiles were never written. The launcher must
/// give the reference's numbers at any context, on any device.
final class PrefillLoopBudgetTests: XCTestCase {
    /// 32 queries at positions 1040…1071 of a full layer (head size 64, GQA 2:1) after 1040
    /// cached keys: ~67 key tiles, past the ~56 the tiled kernel fits in llvmpipe's limit.
    func testLongContextPrefillMatchesReference() throws {
        var rng = SeededRNG(test: "long prefill")
        let kernels = try GPU.library()
        let heads = 2, kvHeads = 1, d = 64, position0 = 1040, tokens = 32
        let row = kvHeads * d, total = position0 + tokens
        let keys = rng.floats(total * row), values = rng.floats(total * row)
        let sinks = rng.floats(heads), q = rng.floats(tokens * heads * d, scale: 2)
        let cache = try KVCacheLayer(context: GPU.context, capacity: total, kvHeads: kvHeads, headDim: d, window: 0, label: "long")
        try kernels.appendKV(KVAppendArgs(cache: cache, keys: try GPU.buffer(Array(keys[0 ..< position0 * row]), "k0"),
                                          values: try GPU.buffer(Array(values[0 ..< position0 * row]), "v0"), tokens: position0, position0: 0))
        let out = try GPU.buffer([Float](repeating: .nan, count: tokens * heads * d), "attn")
        try kernels.attentionPrefill(AttentionPrefillArgs(
            query: try GPU.buffer(q, "q"), queryStride: heads * d, keys: try GPU.buffer(Array(keys[position0 * row ..< total * row]), "k"),
            values: try GPU.buffer(Array(values[position0 * row ..< total * row]), "v"), kvStride: row, cache: cache,
            sinks: try GPU.buffer(sinks, "sinks"), heads: heads, tokens: tokens, position0: position0, output: out))
        let expected = CPUReference.attention(queries: q, queryPositions: Array(position0 ..< total), keys: keys, values: values,
                                              sinks: sinks, heads: heads, kvHeads: kvHeads, headDim: d, window: 0)
        let gpu = try GPU.read(out, tokens * heads * d)
        XCTAssertEqual(gpu.filter { !$0.isFinite }.count, 0, "outputs left unwritten")
        assertClose(gpu, expected, relative: 1e-5, "prefill over \(total) keys")
    }

    /// The bound the launcher compares with the limit: ~2200 iterations a 16-key tile at head
    /// size 64, so the tiled kernel keeps contexts of a few hundred keys and gives up well before
    /// the ~880 where llvmpipe's cut was seen.
    func testLoopBoundChoosesTheTiledKernelOnlyWhereItFits() {
        let short = KernelLibrary.prefillLoopIterations(keys: 256, queryTile: 16, keyTile: 16, headDim: 64)
        let long = KernelLibrary.prefillLoopIterations(keys: 880, queryTile: 16, keyTile: 16, headDim: 64)
        XCTAssertLessThan(short, 65_535)
        XCTAssertGreaterThan(long, 65_535)
    }
}
