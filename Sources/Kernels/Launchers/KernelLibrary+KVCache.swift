import GLES

/// Writes the keys and values of `tokens` new tokens (positions position0 …) into a layer's
/// cache ring. Key row t starts at `keys[t·sourceStride + keyOffset]` (likewise values), so a
/// fused QKV buffer works with offsets.
public struct KVAppendArgs {
    public var cache: KVCacheLayer
    public var keys: GPUBuffer
    public var values: GPUBuffer
    public var tokens: Int
    public var position0: Int
    public var sourceStride: Int
    public var keyOffset: Int
    public var valueOffset: Int

    public init(cache: KVCacheLayer, keys: GPUBuffer, values: GPUBuffer, tokens: Int, position0: Int,
                sourceStride: Int? = nil, keyOffset: Int = 0, valueOffset: Int = 0) {
        self.cache = cache
        self.keys = keys
        self.values = values
        self.tokens = tokens
        self.position0 = position0
        self.sourceStride = sourceStride ?? cache.rowFloats
        self.keyOffset = keyOffset
        self.valueOffset = valueOffset
    }
}

extension KernelLibrary {
    @discardableResult
    public func appendKV(_ a: KVAppendArgs) throws -> KernelReport {
        let kernel = Kernel.kvAppend, name = kernel.shader
        let c = a.cache
        try require(a.tokens > 0 && a.position0 >= 0, name, "tokens must be positive and position0 ≥ 0")
        try require(c.window > 0 || a.position0 + a.tokens <= c.capacity, name,
                    "a full-attention cache of \(c.capacity) positions cannot take positions up to \(a.position0 + a.tokens - 1); use a larger --context")
        try require(a.sourceStride >= c.rowFloats, name, "source stride \(a.sourceStride) is below a row of \(c.rowFloats)")
        let keyFloats = (a.tokens - 1) * a.sourceStride + a.keyOffset + c.rowFloats
        let valueFloats = (a.tokens - 1) * a.sourceStride + a.valueOffset + c.rowFloats
        try requireFloats(a.keys, keyFloats, name)
        try requireFloats(a.values, valueFloats, name)
        let rowWords = c.storage == .f16 ? c.rowFloats / 2 : c.rowFloats
        let groupsX = (rowWords + tuning.elementWorkgroup - 1) / tuning.elementWorkgroup
        try groupsFit(groupsX, a.tokens, name)
        let program = try program(kernel, ["WG_SIZE": UInt32(tuning.elementWorkgroup), "KV_HALF": c.storage == .f16 ? 1 : 0])
        var p = UniformWriter(for: program)
        p.u32("n_tokens", a.tokens); p.u32("row_floats", c.rowFloats); p.u32("position0", a.position0); p.u32("capacity", c.capacity)
        p.u32("src_stride", a.sourceStride); p.u32("k_offset", a.keyOffset); p.u32("v_offset", a.valueOffset); p.u32("first_token", max(0, a.tokens - c.capacity))
        try run(program, params: p, storage: [use(1, a.keys, floats: keyFloats), use(2, a.values, floats: valueFloats),
                                                  use(3, c.keys), use(4, c.values)],
                groups: (groupsX, a.tokens, 1))
        return program.report(dispatches: 1)
    }
}
