import GLES

/// Work split of `f32_linear_tiled` (its header explains it): `rowThreads` threads along the
/// rows, each with two quads of 4 rows (a workgroup covers 8·rowThreads rows), and the token
/// tile (8, 16, 32 or 64 consecutive tokens) split as in `GroupedShape`.
struct TiledLinearShape {
    let grouped: GroupedShape

    init(rowThreads: Int, tokenTile: Int, tokenVecs: Int, stepColumns: Int = 32) {
        grouped = GroupedShape(rowThreads: rowThreads, tokenTile: tokenTile, tokenVecs: tokenVecs, stepColumns: stepColumns)
    }

    var rowsPerGroup: Int { 8 * grouped.rowThreads }
    var tokenTile: Int { grouped.tokenTile }
    var threads: Int { grouped.threads }
    /// w_tile and x_tile (2·RT and TILE/4 rows of stepColumns + 1 vec4).
    var sharedBytes: Int { grouped.tileBytes }

    /// Why the device cannot run this shape, or nil.
    func problem(limits: GPULimits) -> String? {
        let rt = grouped.rowThreads
        if ![8, 16, 32, 64].contains(tokenTile) { return "tiledTokenTile \(tokenTile) must be 8, 16, 32 or 64" }
        if let problem = grouped.stepProblem("tiledStepColumns") { return problem }
        if rt < 8 || rt % 4 != 0 || rt < 8 * grouped.tokenVecs {
            return "tiledRowGroups \(rt) must be a multiple of 4, at least 8 (16 with 8 tokens a thread)"
        }
        if threads > limits.maxComputeWorkGroupInvocations || threads > (limits.maxComputeWorkGroupSize.first ?? 0) {
            return "\(threads) threads (tiledRowGroups \(rt) × \(grouped.tokenThreads) token threads) are over the device's "
                + "\(limits.maxComputeWorkGroupInvocations) (x size \(limits.maxComputeWorkGroupSize.first ?? 0))"
        }
        if sharedBytes > limits.maxComputeSharedMemorySize {
            return "tiles of \(rowsPerGroup) rows × \(tokenTile) tokens need \(sharedBytes) bytes of shared memory, over the device's "
                + "\(limits.maxComputeSharedMemorySize); lower tiledRowGroups or tiledTokenTile"
        }
        return nil
    }

    func overrides(format: WeightFormat) -> [String: UInt32] {
        grouped.with(format: format).overrides
    }
}

extension KernelLibrary {
    /// The tiled shape the tuning asks for (`tiledRowGroups`, `tiledTokenTile`, `tiledTokenVecs`).
    var tiledLinearShape: TiledLinearShape {
        TiledLinearShape(rowThreads: tuning.tiled.rowGroups, tokenTile: tuning.tiled.tokenTile, tokenVecs: tuning.tiled.tokenVecs,
                         stepColumns: tuning.tiled.stepColumns)
    }

    /// Whether `linear(_:)` runs `a` through the tiled kernel: a batch of at least
    /// `tiledMinTokens` (and 2) tokens, no fused RMSNorm or RoPE (one-token decode paths), a
    /// matrix of at least one row tile (the router's 32 rows would leave most of a 128-row tile
    /// empty and make a handful of workgroups), and a shape the device runs. Everything else
    /// goes through the row-reduction `f32_linear`.
    public func usesTiledLinear(_ a: LinearArgs) -> Bool {
        let shape = tiledLinearShape
        return a.normalize == nil && a.rope == nil && a.tokens >= max(2, tuning.tiled.minTokens)
            && a.weights.rows >= shape.rowsPerGroup && shape.problem(limits: context.limits) == nil
    }

    /// `linear(_:)` for a batch through `f32_linear_tiled`, a register-tiled matrix product
    /// (same arguments and result; `linear` calls it when `usesTiledLinear` says so). Throws
    /// for a fused RMSNorm or a shape the device cannot run.
    @discardableResult
    public func tiledLinear(_ a: LinearArgs) throws -> KernelReport {
        let kernel = Kernel.linearTiled, name = kernel.shader
        let w = a.weights
        try require(a.normalize == nil && a.rope == nil, name, "the fused RMSNorm and RoPE are one-token paths of f32_linear; call linear(_:)")
        try require(a.tokens > 0, name, "tokens must be positive, got \(a.tokens)")
        try require(a.inputStride % 4 == 0 && a.inputStride >= w.cols, name,
                    "input stride \(a.inputStride) must be a multiple of 4 and at least the \(w.cols) columns of '\(w.label)'")
        try require(a.inputOffset >= 0 && a.inputOffset % 4 == 0, name, "input offset \(a.inputOffset) must be a non-negative multiple of 4")
        try require(a.outputOffset >= 0 && a.outputStride >= a.outputOffset + w.rows, name,
                    "output stride \(a.outputStride) cannot hold \(w.rows) rows at offset \(a.outputOffset)")
        try require(a.input !== a.output, name, "input and output must be different buffers")
        let inputFloats = a.inputOffset + (a.tokens - 1) * a.inputStride + w.cols
        let outputFloats = (a.tokens - 1) * a.outputStride + a.outputOffset + w.rows
        try requireFloats(a.input, inputFloats, name)
        try requireFloats(a.output, outputFloats, name)
        if let bias = a.bias { try requireFloats(bias, w.rows, name) }

        let shape = tiledLinearShape
        if let problem = shape.problem(limits: context.limits) { throw KernelsError.invalidArgument(kernel: name, message: problem) }
        let tokenGroups = (a.tokens + shape.tokenTile - 1) / shape.tokenTile
        try groupsFit(1, tokenGroups, name)
        let program = try program(kernel, shape.overrides(format: w.format))
        let bias = try a.bias ?? scratchBuffer("placeholder", bytes: 16)
        let maxRowsPerDispatch = context.limits.maxComputeWorkGroupCount[0] * shape.rowsPerGroup
        let dispatches = try forEachRowRange(of: w, maxRows: maxRowsPerDispatch) { chunk, first, rows in
            var p = linearParams(a, for: program, chunk: chunk, first: first, rows: rows)
            p.u32("pad0", 0); p.u32("pad1", 0); p.u32("pad2", 0)
            try run(program, params: p,
                    storage: [use(1, chunk.scales), use(2, chunk.data), use(3, bias),
                              use(4, a.input, floats: inputFloats), use(5, a.output, floats: outputFloats)],
                    groups: ((rows + shape.rowsPerGroup - 1) / shape.rowsPerGroup, tokenGroups, 1))
        }
        return program.report(dispatches: dispatches, format: w.format)
    }
}
