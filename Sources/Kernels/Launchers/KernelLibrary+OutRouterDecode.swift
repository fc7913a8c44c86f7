import GLES

/// The attention output projection of one decoded token, its residual add and the MoE router
/// that follows, in one launch (f32_out_router_decode.wgsl): the projection's workgroups each
/// add their rows to the residual, and the last one to finish runs the router (post-attention
/// RMSNorm, router logits, top-k softmax) over the updated row. One launch and one storage
/// barrier fewer per layer than `linear` + `routerDecode`.
public struct OutRouterDecodeArgs {
    /// The output projection ([hidden][attention width]) and its bias, or nil.
    public var projection: GPUWeights
    public var projectionBias: GPUBuffer?
    /// The attention output of the token ([attention width] floats).
    public var input: GPUBuffer
    /// The token's residual row, updated in place ([hidden] floats).
    public var residual: GPUBuffer
    /// The router, as in `RouterDecodeArgs`.
    public var router: RouterDecodeArgs

    public init(projection: GPUWeights, projectionBias: GPUBuffer?, input: GPUBuffer, residual: GPUBuffer, router: RouterDecodeArgs) {
        self.projection = projection; self.projectionBias = projectionBias
        self.input = input; self.residual = residual; self.router = router
    }
}

extension KernelLibrary {
    /// The storage bindings f32_out_router_decode declares.
    static let outRouterStorageBindings = 12

    /// The workgroup `outRouterDecode` would use, or nil when it does not apply: then run
    /// `linear` (accumulating) and `routerDecode` as two launches. It needs the fused router
    /// (`routerDecodeWorkgroup`), a projection in one binding whose rows are the router's
    /// columns, twelve storage blocks, and `fuseOutputRouter` on.
    public func outRouterDecodeWorkgroup(projection: GPUWeights, router: GPUWeights, k: Int) -> Int? {
        guard tuning.fuseOutputRouter, let wg = routerDecodeWorkgroup(for: router, k: k),
              projection.chunks.count == 1, projection.rows == router.cols, projection.cols % 32 == 0,
              context.limits.maxComputeShaderStorageBlocks >= Self.outRouterStorageBindings,
              tuning.linear.threadsPerRow.nonzeroBitCount == 1, wg % tuning.linear.threadsPerRow == 0 else { return nil }
        return wg
    }

    @discardableResult
    public func outRouterDecode(_ a: OutRouterDecodeArgs) throws -> KernelReport {
        let kernel = Kernel.outRouterDecode, name = kernel.shader
        let w = a.projection, r = a.router.router
        guard let wg = outRouterDecodeWorkgroup(projection: w, router: r, k: a.router.k) else {
            throw KernelsError.invalidArgument(kernel: name, message: "projection '\(w.label)' (\(w.format), \(w.rows)×\(w.cols), "
                + "\(w.chunks.count) binding(s)) with router '\(r.label)' (\(r.format), \(r.rows)×\(r.cols)) does not fit the fused "
                + "kernel; use linear + routerDecode")
        }
        try require(a.router.inputOffset == 0 && a.router.input === a.residual, name,
                    "the router must read the residual row the projection updates")
        try requireFloats(a.input, w.cols, name)
        try requireFloats(a.residual, w.rows, name)
        try requireFloats(a.router.norm, r.cols, name)
        try requireFloats(a.router.normed, r.cols, name)
        try requireFloats(a.router.ids, a.router.k, name)
        try requireFloats(a.router.weights, a.router.k, name)
        if let bias = a.projectionBias { try requireFloats(bias, w.rows, name) }
        if let bias = a.router.bias { try requireFloats(bias, r.rows, name) }
        var experts = 32
        while experts < r.rows { experts *= 2 }
        let threadsPerRow = tuning.linear.threadsPerRow
        let shape = RowReductionShape(workgroup: wg, threadsPerRow: threadsPerRow)
        let groups = ((w.rows + 1) / 2 + shape.rowsPerGroup - 1) / shape.rowsPerGroup
        try groupsFit(groups, 1, name)
        let program = try program(kernel, ["WEIGHT_FORMAT": w.format.rawValue, "WG_SIZE": UInt32(wg),
                                                "THREADS_PER_ROW": UInt32(threadsPerRow), "SUBGROUPS": rowReductionSubgroups(shape),
                                                "COLS": UInt32(r.cols), "EXPERTS": UInt32(experts)])
        let placeholder = try scratchBuffer("placeholder", bytes: 16)
        var p = UniformWriter(for: program)
        p.u32("rows", w.rows); p.u32("cols", w.cols); p.u32("has_bias", a.projectionBias == nil ? 0 : 1); p.u32("scale_words_per_row", w.scaleWordsPerRow)
        p.u32("data_vec4_per_row", w.dataVec4PerRow); p.u32("y_offset", 0); p.u32("n_groups", groups); p.u32("n_experts", r.rows)
        p.u32("k", a.router.k); p.u32("router_row_vec4", r.dataVec4PerRow); p.u32("router_has_bias", a.router.bias == nil ? 0 : 1); p.f32("eps", a.router.eps)
        p.u32("warm_mask", 0); p.u32("pad0", 0); p.u32("pad1", 0); p.u32("pad2", 0)
        let chunk = w.chunks[0]
        try run(program, params: p, storage: [
            use(1, chunk.scales), use(2, chunk.data), use(3, a.projectionBias ?? placeholder), use(4, a.input, floats: w.cols),
            use(5, a.residual, floats: w.rows), use(6, a.router.norm, floats: r.cols), use(7, r.chunks[0].data),
            use(8, a.router.bias ?? placeholder), use(9, a.router.normed, floats: r.cols), use(10, a.router.ids, floats: a.router.k),
            use(11, a.router.weights, floats: a.router.k), use(12, try finishedCounter()),
        ], groups: (groups, 1, 1))
        return program.report(dispatches: 1, format: w.format)
    }

    /// The counter of f32_out_router_decode's finished workgroups: zero when made, and zero
    /// again after every launch (its last workgroup resets it).
    private func finishedCounter() throws -> GPUBuffer {
        let purpose = "out_router.counter"
        if let existing = scratch[purpose] { return existing }
        let buffer = try context.makeBuffer(array: [UInt32](repeating: 0, count: 4), label: "kernels.scratch.\(purpose)")
        scratch[purpose] = buffer
        return buffer
    }
}
