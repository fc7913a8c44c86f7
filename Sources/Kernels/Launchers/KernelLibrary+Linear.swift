import GLES

/// `y[t][outputOffset + r] (+)= W[r] · x[t] + bias[r]` for every row r of `weights`, any format.
/// A batch of tokens is a matrix × matrix; one token is the decode matrix × vector.
public struct LinearArgs {
    public var weights: GPUWeights
    public var bias: GPUBuffer?
    public var input: GPUBuffer
    public var output: GPUBuffer
    public var tokens: Int
    /// Index of token 0's first input value (a multiple of 4), e.g. the last token of a batch.
    public var inputOffset: Int
    /// Floats between consecutive input tokens (a multiple of 4; default: weights.cols).
    public var inputStride: Int
    /// Floats between consecutive output tokens (default: weights.rows).
    public var outputStride: Int
    /// Where row 0 lands in each output token (e.g. the K part of a fused QKV buffer).
    public var outputOffset: Int
    /// Add to the output instead of overwriting it (the residual stream).
    public var accumulate: Bool
    /// One token only: apply this RMSNorm to the input first (`weight` [cols] floats), inside the
    /// same launch: y = (W · (x·weight)) / rms(x) + bias. Saves the norm's own launch in decode.
    public var normalize: (weight: GPUBuffer, eps: Float)?
    /// One token only: the fused QKV projection of attention also applies RoPE and appends K
    /// and V to an f32 cache (see `LinearRope`), saving the RoPE launch.
    public var rope: LinearRope?

    public init(weights: GPUWeights, bias: GPUBuffer?, input: GPUBuffer, output: GPUBuffer, tokens: Int,
                inputOffset: Int = 0, inputStride: Int? = nil, outputStride: Int? = nil, outputOffset: Int = 0,
                accumulate: Bool = false, normalize: (weight: GPUBuffer, eps: Float)? = nil, rope: LinearRope? = nil) {
        self.normalize = normalize
        self.rope = rope
        self.inputOffset = inputOffset
        self.weights = weights
        self.bias = bias
        self.input = input
        self.output = output
        self.tokens = tokens
        self.inputStride = inputStride ?? weights.cols
        self.outputStride = outputStride ?? weights.rows
        self.outputOffset = outputOffset
        self.accumulate = accumulate
    }
}

/// What the QKV projection of one decoded token needs to rotate Q and K itself and append K and
/// V to the cache: rows are `qHeads` Q heads, then the cache's K heads, then its V heads, each
/// `table.headDim` rows; the token sits at `position`.
public struct LinearRope {
    public var table: RopeTable
    public var position: Int
    public var qHeads: Int
    public var cache: KVCacheLayer

    public init(table: RopeTable, position: Int, qHeads: Int, cache: KVCacheLayer) {
        self.table = table; self.position = position; self.qHeads = qHeads; self.cache = cache
    }
}

extension KernelLibrary {
    /// Whether `linear` can fold RoPE and the KV append into a QKV projection of `weights`
    /// (f32 cache, one binding, and a device with the 9 storage blocks the kernel then binds).
    public func canFuseRope(into weights: GPUWeights, cache: KVCacheLayer) -> Bool {
        tuning.fuseRope && weights.chunks.count == 1 && cache.storage == .f32 && context.limits.maxComputeShaderStorageBlocks >= 9
    }

    @discardableResult
    public func linear(_ a: LinearArgs) throws -> KernelReport {
        // Prefill batches: the register-tiled kernel (KernelLibrary+TiledLinear.swift).
        if usesTiledLinear(a) { return try tiledLinear(a) }
        let kernel = Kernel.linear, name = kernel.shader
        let w = a.weights
        try require(a.tokens > 0, name, "tokens must be positive, got \(a.tokens)")
        try require(a.inputStride % 4 == 0 && a.inputStride >= w.cols, name,
                    "input stride \(a.inputStride) must be a multiple of 4 and at least the \(w.cols) columns of '\(w.label)'")
        try require(a.inputOffset >= 0 && a.inputOffset % 4 == 0, name, "input offset \(a.inputOffset) must be a non-negative multiple of 4")
        try require(a.outputStride >= a.outputOffset + w.rows, name,
                    "output stride \(a.outputStride) cannot hold \(w.rows) rows at offset \(a.outputOffset)")
        try require(a.input !== a.output, name, "input and output must be different buffers")
        let inputFloats = a.inputOffset + (a.tokens - 1) * a.inputStride + w.cols
        let outputFloats = (a.tokens - 1) * a.outputStride + a.outputOffset + w.rows
        try requireFloats(a.input, inputFloats, name)
        try requireFloats(a.output, outputFloats, name)
        if let bias = a.bias { try requireFloats(bias, w.rows, name) }
        if let norm = a.normalize {
            try require(a.tokens == 1, name, "the fused RMSNorm takes one token, got \(a.tokens)")
            try requireFloats(norm.weight, w.cols, name)
        }
        if let rope = a.rope {
            let c = rope.cache, d = rope.table.headDim
            try require(a.tokens == 1 && !a.accumulate && a.outputOffset == 0, name,
                        "the fused RoPE takes one token, written (not added) at offset 0")
            try require(canFuseRope(into: w, cache: c), name,
                        "the fused RoPE needs one weight binding, an f32 cache and 9 storage blocks (device: \(context.limits.maxComputeShaderStorageBlocks))")
            try require(c.headDim == d && rope.qHeads > 0 && w.rows == (rope.qHeads + 2 * c.kvHeads) * d, name,
                        "'\(w.label)' has \(w.rows) rows, not \(rope.qHeads) Q + 2 × \(c.kvHeads) KV heads of \(d)")
            try require(rope.position >= 0, name, "position must be ≥ 0")
        }

        let threadsPerRow = tuning.linear.threadsPerRow
        // A decode row group computes two rows (f32_linear.wgsl).
        let rowsPerGroup = tuning.linear.workgroup / threadsPerRow * (a.tokens == 1 ? 2 : 1)
        let tokenTile = a.tokens == 1 ? 1 : min(tuning.linear.tokenTile, 16)
        let tokenGroups = (a.tokens + tokenTile - 1) / tokenTile
        try groupsFit(1, tokenGroups, name)
        let program = try program(kernel, [
            "WEIGHT_FORMAT": w.format.rawValue, "WG_SIZE": UInt32(tuning.linear.workgroup),
            "THREADS_PER_ROW": UInt32(threadsPerRow), "TOKEN_TILE": UInt32(tokenTile),
            "NORMALIZE": a.normalize == nil ? 0 : 1, "ROPE": a.rope == nil ? 0 : 1,
            // Only the one-token path has a subgroup reduction; token tiles keep one program.
            "SUBGROUPS": a.tokens == 1 ? rowReductionSubgroups : 0])
        let placeholder = try scratchBuffer("placeholder", bytes: 16)
        let bias = a.bias ?? placeholder
        let norm = a.normalize.map { use(6, $0.weight, floats: w.cols) } ?? use(6, placeholder)
        let ropeBindings = [use(7, a.rope?.table.buffer ?? placeholder), use(8, a.rope?.cache.keys ?? placeholder),
                            use(9, a.rope?.cache.values ?? placeholder)]
        let maxRowsPerDispatch = context.limits.maxComputeWorkGroupCount[0] * rowsPerGroup
        // The fused RoPE maps row groups to head pairs within one dispatch.
        try require(a.rope == nil || w.rows <= maxRowsPerDispatch, name,
                    "the fused RoPE needs '\(w.label)' in one dispatch (\(w.rows) rows, at most \(maxRowsPerDispatch))")
        let dispatches = try forEachRowRange(of: w, maxRows: maxRowsPerDispatch) { chunk, first, rows in
            var p = linearParams(a, for: program, chunk: chunk, first: first, rows: rows)
            p.f32("eps", a.normalize?.eps ?? 0); p.u32("pad1", 0); p.u32("pad2", 0)
            p.u32("position", a.rope?.position ?? 0); p.u32("head_dim", a.rope?.table.headDim ?? 2); p.u32("q_heads", a.rope?.qHeads ?? 0)
            p.u32("kv_heads", a.rope?.cache.kvHeads ?? 1); p.u32("capacity", a.rope?.cache.capacity ?? 1); p.u32("kv_row_floats", a.rope?.cache.rowFloats ?? 0)
            p.f32("concentration", a.rope?.table.concentration ?? 1); p.u32("pad3", 0)
            try run(program, params: p,
                    storage: [use(1, chunk.scales), use(2, chunk.data), use(3, bias),
                              use(4, a.input, floats: inputFloats), use(5, a.output, floats: outputFloats), norm]
                             + ropeBindings,
                    groups: ((rows + rowsPerGroup - 1) / rowsPerGroup, tokenGroups, 1))
        }
        return program.report(dispatches: dispatches, format: w.format)
    }

    /// Calls `body` for every bound row range of `w`: each chunk, cut into ranges of at most
    /// `maxRows` rows (the workgroup-count limit); returns how many ranges there were.
    func forEachRowRange(of w: GPUWeights, maxRows: Int,
                         _ body: (_ chunk: GPUWeights.Chunk, _ first: Int, _ rows: Int) throws -> Void) throws -> Int {
        var ranges = 0
        for chunk in w.chunks {
            var first = 0
            while first < chunk.rowCount {
                let rows = min(maxRows, chunk.rowCount - first)
                try body(chunk, first, rows)
                ranges += 1
                first += rows
            }
        }
        return ranges
    }

    /// The params both linear kernels open with (f32_linear.wgsl, f32_linear_tiled.wgsl), for
    /// the `rows` rows from `first` of `chunk`, up to and including the input offset.
    func linearParams(_ a: LinearArgs, for kernel: CompiledKernel, chunk: GPUWeights.Chunk, first: Int, rows: Int) -> UniformWriter {
        let w = a.weights
        var p = UniformWriter(for: kernel)
        p.u32("rows", rows); p.u32("cols", w.cols); p.u32("weight_row_offset", first); p.u32("row_base", chunk.rowStart + first)
        p.u32("n_tokens", a.tokens); p.u32("x_stride", a.inputStride); p.u32("y_stride", a.outputStride); p.u32("accumulate", a.accumulate ? 1 : 0)
        p.u32("has_bias", a.bias == nil ? 0 : 1); p.u32("scale_words_per_row", w.scaleWordsPerRow); p.u32("data_vec4_per_row", w.dataVec4PerRow); p.u32("out_offset", a.outputOffset)
        p.u32("x_offset", a.inputOffset)
        return p
    }
}
