import GLES

/// Mesa's llvmpipe ends the loops of a shader invocation once that invocation has taken 65 535
/// loop iterations in all (gallivm's loop limiter, LP_MAX_TGSI_LOOP_ITERATIONS, a guard against
/// hung shaders): the loop it is in stops early and every later loop runs its body once, with no
/// error. The tiled prefill attention walks every visible key in one invocation, about
/// K_TILE·HEAD_DIM + 3·HEAD_DIM iterations per key tile, so on llvmpipe it silently dropped keys
/// and left most of each query's output unwritten past ~880 keys at head size 64 (only d = 0 of
/// the later query tiles was written). Such prefills run as one decode step per query instead:
/// an invocation of the decode kernels walks at most one split of keys, whatever the context.
extension KernelLibrary {
    /// Loop iterations one invocation may take before this device's driver cuts its loops
    /// (nil: no such limit is known). Taken for every CPU renderer, not llvmpipe alone: the
    /// per-query fallback is right everywhere, only slower.
    var loopIterationLimit: Int? {
        context.limits.isSoftwareRenderer ? 65_535 : nil
    }

    /// An upper bound on the loop iterations of one invocation of the tiled prefill kernel that
    /// walks `keys` keys (every loop counted as if none were unrolled; the driver unrolls the
    /// short ones, so the real count is about half).
    static func prefillLoopIterations(keys: Int, queryTile: Int, keyTile: Int, headDim: Int) -> Int {
        let tiles = (keys + keyTile - 1) / keyTile
        let load = (keyTile * headDim + queryTile - 1) / queryTile
        let perTile = 1 + load + keyTile * (headDim + 2) + headDim * (keyTile + 1)
        return 2 * headDim + tiles * perTile
    }

    /// Whether the tiled prefill would run past this device's loop limit: keys seen by the
    /// query tile that sees the most.
    func prefillExceedsLoopLimit(_ a: AttentionPrefillArgs, queryTile: Int, keyTile: Int) -> Bool {
        guard let limit = loopIterationLimit else { return false }
        let c = a.cache
        let keys = c.window > 0 ? min(a.position0 + a.tokens, c.window + queryTile) : a.position0 + a.tokens
        return Self.prefillLoopIterations(keys: keys, queryTile: queryTile, keyTile: keyTile, headDim: c.headDim) > limit
    }

    /// The prefill as one decode step per query: the batch goes into the cache first (appending
    /// it again afterwards, as callers do, writes the same values), then each query attends to
    /// the cache through the split-key decode kernels.
    func attentionPrefillQueryByQuery(_ a: AttentionPrefillArgs) throws -> KernelReport {
        let name = Kernel.attentionPrefill.shader
        let c = a.cache
        // After the append the ring must still hold every key the batch's first query sees.
        let holds = c.window > 0 ? c.capacity >= c.window + a.tokens - 1 : c.capacity >= a.position0 + a.tokens
        try require(holds, name, "\(a.tokens) queries over \(a.position0 + a.tokens) keys exceed this device's shader loop limit "
                    + "(llvmpipe) for the tiled kernel, and the per-query fallback needs a cache of at least "
                    + "\(c.window > 0 ? c.window + a.tokens - 1 : a.position0 + a.tokens) slots, not \(c.capacity); use a smaller batch")
        var dispatches = try appendKV(KVAppendArgs(cache: c, keys: a.keys, values: a.values, tokens: a.tokens, position0: a.position0,
                                                   sourceStride: a.kvStride, keyOffset: a.keyOffset, valueOffset: a.valueOffset)).dispatches
        var program = ""
        for t in 0 ..< a.tokens {
            let r = try attentionDecode(AttentionDecodeArgs(query: a.query, queryOffset: t * a.queryStride + a.queryOffset, cache: c,
                                                            sinks: a.sinks, heads: a.heads, position: a.position0 + t, output: a.output,
                                                            outputOffset: t * a.outputStride, scale: a.scale))
            dispatches += r.dispatches
            program = r.program
        }
        // What ran is the prefill attention, done the decode kernels' way.
        return KernelReport(kernel: .attentionPrefill, format: nil, program: program, dispatches: dispatches)
    }
}
