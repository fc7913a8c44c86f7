import GLES

/// `x[t] = table[ids[t]]`, ids read from a GPU buffer (the sampler's output in decode).
public struct EmbeddingArgs {
    public var table: GPUWeights
    /// u32 token ids, `tokens` of them.
    public var tokenIDs: GPUBuffer
    public var output: GPUBuffer
    public var tokens: Int
    /// Floats between consecutive output tokens (default: table.cols).
    public var outputStride: Int

    public init(table: GPUWeights, tokenIDs: GPUBuffer, output: GPUBuffer, tokens: Int, outputStride: Int? = nil) {
        self.table = table
        self.tokenIDs = tokenIDs
        self.output = output
        self.tokens = tokens
        self.outputStride = outputStride ?? table.cols
    }
}

extension KernelLibrary {
    /// Ids outside the table leave their output row untouched: the caller validates prompt ids.
    @discardableResult
    public func embedding(_ a: EmbeddingArgs) throws -> KernelReport {
        let kernel = Kernel.embedding, name = kernel.shader
        let t = a.table
        try require(a.tokens > 0, name, "tokens must be positive, got \(a.tokens)")
        try require(a.outputStride >= t.cols, name, "output stride \(a.outputStride) is below the \(t.cols) columns of '\(t.label)'")
        try requireFloats(a.tokenIDs, a.tokens, name)
        let outputFloats = (a.tokens - 1) * a.outputStride + t.cols
        try requireFloats(a.output, outputFloats, name)
        let groupsX = (t.cols + tuning.elementWorkgroup - 1) / tuning.elementWorkgroup
        try groupsFit(groupsX, a.tokens, name)
        let program = try program(kernel, ["WEIGHT_FORMAT": t.format.rawValue, "WG_SIZE": UInt32(tuning.elementWorkgroup)])
        for chunk in t.chunks {
            var p = UniformWriter(for: program)
            p.u32("n_tokens", a.tokens); p.u32("cols", t.cols); p.u32("row_begin", chunk.rowStart); p.u32("row_end", chunk.rowStart + chunk.rowCount)
            p.u32("x_stride", a.outputStride); p.u32("scale_words_per_row", t.scaleWordsPerRow); p.u32("data_vec4_per_row", t.dataVec4PerRow); p.u32("pad0", 0)
            try run(program, params: p, storage: [use(1, a.tokenIDs, floats: a.tokens), use(2, chunk.scales), use(3, chunk.data),
                                                       use(4, a.output, floats: outputFloats)],
                    groups: (groupsX, a.tokens, 1))
        }
        return program.report(dispatches: t.chunks.count, format: t.format)
    }
}
