import Foundation
import GLES

/// Attention of one new token at `position` over the cache (which must already hold its key and
/// value: append first). Sinks, GQA and the layer's sliding window; the keys are split over
/// several workgroups (flash-decoding) and merged by a second pass.
public struct AttentionDecodeArgs {
    public var query: GPUBuffer
    /// Head h of the query starts at `query[queryOffset + h·headDim]`.
    public var queryOffset: Int
    public var cache: KVCacheLayer
    /// One logit per query head.
    public var sinks: GPUBuffer
    public var heads: Int
    public var position: Int
    public var output: GPUBuffer
    public var outputOffset: Int
    /// Default 1/sqrt(headDim).
    public var scale: Float?
    /// Keys per split (default: the tuning's).
    public var splitKeys: Int?

    public init(query: GPUBuffer, queryOffset: Int = 0, cache: KVCacheLayer, sinks: GPUBuffer, heads: Int, position: Int,
                output: GPUBuffer, outputOffset: Int = 0, scale: Float? = nil, splitKeys: Int? = nil) {
        self.query = query
        self.queryOffset = queryOffset
        self.cache = cache
        self.sinks = sinks
        self.heads = heads
        self.position = position
        self.output = output
        self.outputOffset = outputOffset
        self.scale = scale
        self.splitKeys = splitKeys
    }
}

/// Causal attention of `tokens` new tokens (positions position0 …) whose keys and values are in
/// `keys`/`values` (not yet in the cache; append them after this call); earlier positions come
/// from the cache.
public struct AttentionPrefillArgs {
    public var query: GPUBuffer
    public var queryStride: Int
    public var queryOffset: Int
    public var keys: GPUBuffer
    public var values: GPUBuffer
    /// Key row t, KV head g starts at `keys[t·kvStride + keyOffset + g·headDim]`.
    public var kvStride: Int
    public var keyOffset: Int
    public var valueOffset: Int
    public var cache: KVCacheLayer
    public var sinks: GPUBuffer
    public var heads: Int
    public var tokens: Int
    public var position0: Int
    public var output: GPUBuffer
    public var outputStride: Int
    public var scale: Float?

    public init(query: GPUBuffer, queryStride: Int, queryOffset: Int = 0, keys: GPUBuffer, values: GPUBuffer,
                kvStride: Int, keyOffset: Int = 0, valueOffset: Int = 0, cache: KVCacheLayer, sinks: GPUBuffer,
                heads: Int, tokens: Int, position0: Int, output: GPUBuffer, outputStride: Int? = nil, scale: Float? = nil) {
        self.query = query
        self.queryStride = queryStride
        self.queryOffset = queryOffset
        self.keys = keys
        self.values = values
        self.kvStride = kvStride
        self.keyOffset = keyOffset
        self.valueOffset = valueOffset
        self.cache = cache
        self.sinks = sinks
        self.heads = heads
        self.tokens = tokens
        self.position0 = position0
        self.output = output
        self.outputStride = outputStride ?? heads * cache.headDim
        self.scale = scale
    }
}

extension KernelLibrary {
    /// Splits over the keys a decode step at `position` uses (the model may log it).
    public func attentionSplits(cache: KVCacheLayer, position: Int, splitKeys: Int? = nil) -> Int {
        let visible = cache.window > 0 ? min(cache.window, position + 1) : position + 1
        let split = splitKeys ?? tuning.decodeAttention.splitKeys
        return (visible + split - 1) / split
    }

    @discardableResult
    public func attentionDecode(_ a: AttentionDecodeArgs) throws -> KernelReport {
        let kernel = Kernel.attentionDecode, name = kernel.shader
        let c = a.cache
        let d = c.headDim
        let split = a.splitKeys ?? tuning.decodeAttention.splitKeys
        // A workgroup takes up to `group` query heads of one KV head (GQA) and needs whole head
        // rows of threads (f32_sdpa_sinks_decode.wgsl).
        let group = 8
        let wg = max(tuning.decodeAttention.workgroup, d)
        try require(a.heads > 0 && a.heads % c.kvHeads == 0, name, "\(a.heads) query heads are not a multiple of \(c.kvHeads) KV heads")
        try require(a.position >= 0, name, "position must be ≥ 0")
        try require(c.holdsKeys(forQueryAt: a.position), name,
                    "a cache of \(c.capacity) positions cannot hold the keys of position \(a.position); use a larger --context")
        try require(split > 0, name, "split size must be positive")
        try require(d % 8 == 0 && wg % d == 0 && (wg / group).nonzeroBitCount == 1 && wg % group == 0, name,
                    "head size \(d) with a \(wg)-thread workgroup: the decode kernel needs head sizes that are multiples of 8 dividing the workgroup")
        let sharedFloats = group * d + group * split + wg + 2 * group + wg * group
        try require(sharedFloats * 4 <= context.limits.maxComputeSharedMemorySize, name,
                    "split of \(split) keys with head size \(d) needs more shared memory than the device's \(context.limits.maxComputeSharedMemorySize) bytes")
        try requireFloats(a.query, a.queryOffset + a.heads * d, name)
        try requireFloats(a.sinks, a.heads, name)
        try requireFloats(a.output, a.outputOffset + a.heads * d, name)
        let splits = attentionSplits(cache: c, position: a.position, splitKeys: split)
        let headBlocks = c.kvHeads * ((a.heads / c.kvHeads + group - 1) / group)
        try groupsFit(splits, headBlocks, name)
        let partialFloats = a.heads * splits * (d + 2)
        try require(partialFloats * 4 <= context.limits.maxShaderStorageBlockSize, name,
                    "\(splits) splits of \(a.heads) heads need \(partialFloats * 4) bytes of partial results, over the binding limit; use a larger split")
        let partials = try scratchBuffer("attention.partials", bytes: partialFloats * 4)

        let pass1 = try program(kernel, ["WG_SIZE": UInt32(wg), "HEAD_DIM": UInt32(d), "SPLIT_KEYS": UInt32(split),
                                                     "KV_HALF": c.storage == .f16 ? 1 : 0])
        // One split (every sliding layer, and full layers until the cache passes a split) needs
        // no combine pass: the first pass merges the sink and writes the output itself.
        let finalize = splits == 1
        var p = UniformWriter(for: pass1)
        p.u32("n_heads", a.heads); p.u32("n_kv_heads", c.kvHeads); p.u32("position", a.position); p.u32("capacity", c.capacity)
        p.u32("window", c.window); p.u32("n_splits", splits); p.u32("q_offset", a.queryOffset); p.f32("scale", a.scale ?? 1 / Float(d).squareRoot())
        p.u32("out_offset", a.outputOffset); p.u32("finalize", finalize ? 1 : 0); p.u32("pad0", 0); p.u32("pad1", 0)
        try run(pass1, params: p, storage: [use(1, a.query, floats: a.queryOffset + a.heads * d), use(2, c.keys), use(3, c.values),
                                                   use(4, partials, floats: partialFloats), use(5, a.sinks),
                                                   use(6, a.output, floats: a.outputOffset + a.heads * d)], groups: (splits, headBlocks, 1))
        if finalize { return pass1.report(dispatches: 1) }

        let pass2 = try program(Kernel.attentionCombine, ["WG_SIZE": UInt32(min(wg, 64)), "HEAD_DIM": UInt32(d)])
        var q = UniformWriter(for: pass2)
        q.u32("n_heads", a.heads); q.u32("n_splits", splits); q.u32("out_offset", a.outputOffset); q.u32("pad0", 0)
        try run(pass2, params: q, storage: [use(1, partials, floats: partialFloats), use(2, a.sinks),
                                                  use(3, a.output, floats: a.outputOffset + a.heads * d)], groups: (a.heads, 1, 1))
        return pass1.report(dispatches: 2)
    }

    @discardableResult
    public func attentionPrefill(_ a: AttentionPrefillArgs) throws -> KernelReport {
        let kernel = Kernel.attentionPrefill, name = kernel.shader
        let c = a.cache
        let d = c.headDim
        try require(a.tokens > 0 && a.position0 >= 0, name, "tokens must be positive and position0 ≥ 0")
        try require(a.heads > 0 && a.heads % c.kvHeads == 0, name, "\(a.heads) query heads are not a multiple of \(c.kvHeads) KV heads")
        try require(c.window > 0 || a.position0 <= c.capacity, name,
                    "a full-attention cache of \(c.capacity) positions does not hold the \(a.position0) earlier positions")
        try require(a.queryStride >= a.queryOffset + a.heads * d, name, "query stride \(a.queryStride) cannot hold \(a.heads) heads")
        try require(a.kvStride >= c.rowFloats, name, "key/value stride \(a.kvStride) is below a row of \(c.rowFloats)")
        try require(a.outputStride >= a.heads * d, name, "output stride \(a.outputStride) cannot hold \(a.heads) heads")
        let queryFloats = (a.tokens - 1) * a.queryStride + a.queryOffset + a.heads * d
        let keyFloats = (a.tokens - 1) * a.kvStride + a.keyOffset + c.rowFloats
        let valueFloats = (a.tokens - 1) * a.kvStride + a.valueOffset + c.rowFloats
        let outputFloats = (a.tokens - 1) * a.outputStride + a.heads * d
        try requireFloats(a.query, queryFloats, name)
        try requireFloats(a.keys, keyFloats, name)
        try requireFloats(a.values, valueFloats, name)
        try requireFloats(a.sinks, a.heads, name)
        try requireFloats(a.output, outputFloats, name)

        var queryTile = tuning.prefillAttention.queryTile
        var keyTile = tuning.prefillAttention.keyTile
        // Rows in registers need whole vec4s and at most 16 of them (f32_sdpa_sinks_prefill.wgsl).
        let registerRows = tuning.prefillAttention.registerRows && d % 4 == 0 && d <= 64
        func sharedBytes() -> Int {
            registerRows ? (2 * keyTile * d + queryTile * keyTile + 16) * 4 : (2 * queryTile * d + 2 * keyTile * d + queryTile * keyTile) * 4
        }
        while sharedBytes() > context.limits.maxComputeSharedMemorySize && (queryTile > 1 || keyTile > 1) {
            if keyTile >= queryTile { keyTile = max(1, keyTile / 2) } else { queryTile = max(1, queryTile / 2) }
        }
        try require(sharedBytes() <= context.limits.maxComputeSharedMemorySize, name, "head size \(d) does not fit in shared memory")
        // llvmpipe silently cuts long shader loops (KernelLibrary+PrefillLoopBudget.swift).
        if prefillExceedsLoopLimit(a, queryTile: queryTile, keyTile: keyTile) { return try attentionPrefillQueryByQuery(a) }
        let groupsX = (a.tokens + queryTile - 1) / queryTile
        try groupsFit(groupsX, a.heads, name)
        let program = try program(kernel, ["HEAD_DIM": UInt32(d), "Q_TILE": UInt32(queryTile), "K_TILE": UInt32(keyTile),
                                                   "KV_HALF": c.storage == .f16 ? 1 : 0, "REGISTER_ROWS": registerRows ? 1 : 0])
        var p = UniformWriter(for: program)
        p.u32("n_tokens", a.tokens); p.u32("n_heads", a.heads); p.u32("n_kv_heads", c.kvHeads); p.u32("position0", a.position0)
        p.u32("capacity", c.capacity); p.u32("window", c.window); p.u32("q_stride", a.queryStride); p.u32("q_offset", a.queryOffset)
        p.u32("kv_stride", a.kvStride); p.u32("k_offset", a.keyOffset); p.u32("v_offset", a.valueOffset); p.u32("out_stride", a.outputStride)
        p.f32("scale", a.scale ?? 1 / Float(d).squareRoot()); p.u32("pad0", 0); p.u32("pad1", 0); p.u32("pad2", 0)
        try run(program, params: p,
                storage: [use(1, a.query, floats: queryFloats), use(2, a.keys, floats: keyFloats), use(3, a.values, floats: valueFloats),
                          use(4, c.keys), use(5, c.values), use(6, a.sinks), use(7, a.output, floats: outputFloats)],
                groups: (groupsX, a.heads, 1))
        return program.report(dispatches: 1)
    }
}
