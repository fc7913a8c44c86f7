import GLES

/// The router of one decoded token in one launch: the post-attention RMSNorm (its output is
/// written for the expert kernels), the router logits and the top-k softmax.
public struct RouterDecodeArgs {
    /// The token's residual row starts at `input[inputOffset]` (a multiple of 4).
    public var input: GPUBuffer
    public var inputOffset: Int
    public var norm: GPUBuffer
    public var eps: Float
    /// F32 router weights, [experts][hidden], in one binding.
    public var router: GPUWeights
    public var bias: GPUBuffer?
    public var k: Int
    /// Written: the normalised row [hidden], the k expert ids (u32) and their softmax weights.
    public var normed: GPUBuffer
    public var ids: GPUBuffer
    public var weights: GPUBuffer

    public init(input: GPUBuffer, inputOffset: Int = 0, norm: GPUBuffer, eps: Float, router: GPUWeights, bias: GPUBuffer?,
                k: Int, normed: GPUBuffer, ids: GPUBuffer, weights: GPUBuffer) {
        self.input = input; self.inputOffset = inputOffset; self.norm = norm; self.eps = eps
        self.router = router; self.bias = bias; self.k = k
        self.normed = normed; self.ids = ids; self.weights = weights
    }
}

extension KernelLibrary {
    /// The workgroup `routerDecode` would use for `router`, or nil when the fused kernel does not
    /// apply (router not F32 in one binding, a hidden width whose row does not fit in shared
    /// memory, more experts than a workgroup has threads): then run rmsNorm, linear and
    /// routerTopK separately.
    public func routerDecodeWorkgroup(for router: GPUWeights, k: Int) -> Int? {
        let limits = context.limits
        let wg = min(tuning.linear.workgroup * 8, limits.maxComputeWorkGroupInvocations, 1024)
        var experts = 32
        while experts < router.rows { experts *= 2 }
        let sharedBytes = router.cols * 4 + wg * 4 + experts * 8 + 2 * 32 * 4
        guard router.format == .f32, router.chunks.count == 1, router.cols % 4 == 0, k >= 1, k <= min(32, router.rows),
              experts <= wg, sharedBytes <= limits.maxComputeSharedMemorySize else { return nil }
        return wg
    }

    @discardableResult
    public func routerDecode(_ a: RouterDecodeArgs) throws -> KernelReport {
        let kernel = Kernel.routerDecode, name = kernel.shader
        let r = a.router
        guard let wg = routerDecodeWorkgroup(for: r, k: a.k) else {
            throw KernelsError.invalidArgument(kernel: name, message: "router '\(r.label)' (\(r.format), \(r.rows)×\(r.cols), "
                + "\(r.chunks.count) binding(s), k = \(a.k)) does not fit the fused router; use rmsNorm + linear + routerTopK")
        }
        try require(a.inputOffset >= 0 && a.inputOffset % 4 == 0, name, "input offset \(a.inputOffset) must be a non-negative multiple of 4")
        try requireFloats(a.input, a.inputOffset + r.cols, name)
        try requireFloats(a.norm, r.cols, name)
        try requireFloats(a.normed, r.cols, name)
        try requireFloats(a.ids, a.k, name)
        try requireFloats(a.weights, a.k, name)
        if let bias = a.bias { try requireFloats(bias, r.rows, name) }
        var experts = 32
        while experts < r.rows { experts *= 2 }
        let program = try program(kernel, ["WG_SIZE": UInt32(wg), "COLS": UInt32(r.cols), "EXPERTS": UInt32(experts)])
        let bias = try a.bias ?? scratchBuffer("placeholder", bytes: 16)
        var p = UniformWriter(for: program)
        p.u32("n_experts", r.rows); p.u32("k", a.k); p.u32("router_row_vec4", r.dataVec4PerRow); p.u32("has_bias", a.bias == nil ? 0 : 1)
        p.u32("x_vec4_offset", a.inputOffset / 4); p.f32("eps", a.eps); p.u32("pad0", 0); p.u32("pad1", 0)
        try run(program, params: p, storage: [use(1, a.input, floats: a.inputOffset + r.cols), use(2, a.norm, floats: r.cols),
                                              use(3, r.chunks[0].data), use(4, bias), use(5, a.normed, floats: r.cols),
                                              use(6, a.ids, floats: a.k), use(7, a.weights, floats: a.k)], groups: (1, 1, 1))
        return program.report(dispatches: 1, format: r.format)
    }
}
