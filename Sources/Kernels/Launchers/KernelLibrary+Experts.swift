import GLES

/// Router: top-k of each token's expert logits, softmax over the k chosen.
public struct RouterTopKArgs {
    /// [tokens][experts] f32 router logits (bias included).
    public var logits: GPUBuffer
    public var experts: Int
    public var k: Int
    public var tokens: Int
    /// Written: [tokens][k] u32 expert ids and f32 weights, best first.
    public var ids: GPUBuffer
    public var weights: GPUBuffer

    public init(logits: GPUBuffer, experts: Int, k: Int, tokens: Int, ids: GPUBuffer, weights: GPUBuffer) {
        self.logits = logits
        self.experts = experts
        self.k = k
        self.tokens = tokens
        self.ids = ids
        self.weights = weights
    }
}

/// Gate/up projection and SwiGLU-OAI for each token's chosen experts, ids read on the GPU.
public struct MoEGateUpArgs {
    /// Fused gate/up stack (`PackedWeights.fusedGateUp`): 2·ff rows an expert.
    public var experts: GPUExperts
    /// [experts][2·ff] f32: gate bias then up bias per expert (`fusedGateUpBias`), or nil.
    public var bias: GPUBuffer?
    public var input: GPUBuffer
    public var inputStride: Int
    public var ids: GPUBuffer
    public var k: Int
    public var tokens: Int
    /// Written: [tokens·k][ff].
    public var output: GPUBuffer

    public init(experts: GPUExperts, bias: GPUBuffer?, input: GPUBuffer, inputStride: Int? = nil, ids: GPUBuffer,
                k: Int, tokens: Int, output: GPUBuffer) {
        self.experts = experts
        self.bias = bias
        self.input = input
        self.inputStride = inputStride ?? experts.weights.cols
        self.ids = ids
        self.k = k
        self.tokens = tokens
        self.output = output
    }
}

/// Down projection of each chosen expert, weighted by the router and added to the residual:
/// `residual[t] += Σ_j w[t][j] · (Wdown_e · a[t][j] + bdown_e)`.
public struct MoEDownArgs {
    public var experts: GPUExperts
    /// [experts][hidden] f32, or nil.
    public var bias: GPUBuffer?
    /// [tokens·k][ff] activations from `moeGateUp`.
    public var input: GPUBuffer
    public var ids: GPUBuffer
    public var routeWeights: GPUBuffer
    public var k: Int
    public var tokens: Int
    public var residual: GPUBuffer
    public var residualStride: Int

    public init(experts: GPUExperts, bias: GPUBuffer?, input: GPUBuffer, ids: GPUBuffer, routeWeights: GPUBuffer,
                k: Int, tokens: Int, residual: GPUBuffer, residualStride: Int? = nil) {
        self.experts = experts
        self.bias = bias
        self.input = input
        self.ids = ids
        self.routeWeights = routeWeights
        self.k = k
        self.tokens = tokens
        self.residual = residual
        self.residualStride = residualStride ?? experts.rowsPerExpert
    }
}

/// The gate and up biases ([experts][ff] each) in the fused order the gate/up kernel reads.
public func fusedGateUpBias(gate: [Float], up: [Float], experts: Int) -> [Float] {
    let ff = gate.count / experts
    var out: [Float] = []
    out.reserveCapacity(gate.count * 2)
    for e in 0 ..< experts {
        out += gate[e * ff ..< (e + 1) * ff]
        out += up[e * ff ..< (e + 1) * ff]
    }
    return out
}

extension KernelLibrary {
    @discardableResult
    public func routerTopK(_ a: RouterTopKArgs) throws -> KernelReport {
        let kernel = Kernel.routerTopK, name = kernel.shader
        try require(a.tokens > 0, name, "tokens must be positive")
        try require(a.k >= 1 && a.k <= min(32, a.experts), name, "k = \(a.k) must be in 1...min(32, experts = \(a.experts))")
        var wg = 32
        while wg < a.experts { wg *= 2 }
        try require(wg <= context.limits.maxComputeWorkGroupInvocations, name,
                    "\(a.experts) experts need a workgroup of \(wg), over the device's \(context.limits.maxComputeWorkGroupInvocations)")
        try requireFloats(a.logits, a.tokens * a.experts, name)
        try requireFloats(a.ids, a.tokens * a.k, name)
        try requireFloats(a.weights, a.tokens * a.k, name)
        try groupsFit(a.tokens, 1, name)
        let program = try program(kernel, ["WG_SIZE": UInt32(wg)])
        var p = UniformWriter(for: program)
        p.u32("n_tokens", a.tokens); p.u32("n_experts", a.experts); p.u32("k", a.k); p.u32("pad0", 0)
        try run(program, params: p, storage: [use(1, a.logits, floats: a.tokens * a.experts), use(2, a.ids, floats: a.tokens * a.k),
                                                  use(3, a.weights, floats: a.tokens * a.k)], groups: (a.tokens, 1, 1))
        return program.report(dispatches: 1)
    }

    @discardableResult
    public func moeGateUp(_ a: MoEGateUpArgs) throws -> KernelReport {
        let kernel = Kernel.moeGateUp, name = kernel.shader
        let w = a.experts.weights
        let ff = a.experts.rowsPerExpert / 2
        try require(a.experts.rowsPerExpert % 2 == 0, name, "a fused gate/up expert needs an even row count")
        try require(a.tokens > 0 && a.k > 0, name, "tokens and k must be positive")
        try require(a.inputStride % 4 == 0 && a.inputStride >= w.cols, name, "input stride \(a.inputStride) must be a multiple of 4, at least \(w.cols)")
        let inputFloats = (a.tokens - 1) * a.inputStride + w.cols
        try requireFloats(a.input, inputFloats, name)
        try requireFloats(a.ids, a.tokens * a.k, name)
        try requireFloats(a.output, a.tokens * a.k * ff, name)
        if let bias = a.bias { try requireFloats(bias, a.experts.count * 2 * ff, name) }
        let shape = tuning.moeGateUpShape
        try requireRowShape(shape, name)
        let groupsX = (ff + shape.rowsPerGroup - 1) / shape.rowsPerGroup
        try groupsFit(groupsX, a.tokens * a.k, name)
        let program = try program(kernel, ["WEIGHT_FORMAT": w.format.rawValue, "WG_SIZE": UInt32(shape.workgroup),
                                                "THREADS_PER_ROW": UInt32(shape.threadsPerRow),
                                                "SUBGROUPS": rowReductionSubgroups(shape)])
        let bias = try a.bias ?? scratchBuffer("placeholder", bytes: 16)
        for chunk in w.chunks {
            var p = UniformWriter(for: program)
            p.u32("n_tokens", a.tokens); p.u32("k", a.k); p.u32("rows", ff); p.u32("cols", w.cols)
            p.u32("expert_begin", chunk.rowStart / a.experts.rowsPerExpert); p.u32("expert_end", (chunk.rowStart + chunk.rowCount) / a.experts.rowsPerExpert)
            p.u32("x_stride", a.inputStride); p.u32("has_bias", a.bias == nil ? 0 : 1)
            p.u32("scale_words_per_row", w.scaleWordsPerRow); p.u32("data_vec4_per_row", w.dataVec4PerRow); p.u32("pad0", 0); p.u32("pad1", 0)
            try run(program, params: p,
                    storage: [use(1, chunk.scales), use(2, chunk.data), use(3, bias), use(4, a.input, floats: inputFloats),
                              use(5, a.ids, floats: a.tokens * a.k), use(6, a.output, floats: a.tokens * a.k * ff)],
                    groups: (groupsX, a.tokens * a.k, 1))
        }
        return program.report(dispatches: w.chunks.count, format: w.format)
    }

    /// Row groups of f32_moe_down_sum that share one output row, one a slot (its SLOT_LANES),
    /// where the workgroup has that many.
    static let downExpertLanes = 4

    @discardableResult
    public func moeDown(_ a: MoEDownArgs) throws -> KernelReport {
        let kernel = Kernel.moeDown, name = kernel.shader
        let w = a.experts.weights
        let rows = a.experts.rowsPerExpert
        try require(a.tokens > 0 && a.k > 0, name, "tokens and k must be positive")
        try require(a.residualStride >= rows, name, "residual stride \(a.residualStride) is below the \(rows) outputs")
        try require(a.input !== a.residual, name, "input and residual must be different buffers")
        try requireFloats(a.input, a.tokens * a.k * w.cols, name)
        try requireFloats(a.ids, a.tokens * a.k, name)
        try requireFloats(a.routeWeights, a.tokens * a.k, name)
        let residualFloats = (a.tokens - 1) * a.residualStride + rows
        try requireFloats(a.residual, residualFloats, name)
        if let bias = a.bias { try requireFloats(bias, a.experts.count * rows, name) }
        let shape = tuning.moeDownShape
        try requireRowShape(shape, name)
        // Up to four row groups (expert lanes) share each output row (f32_moe_down_sum.wgsl);
        let lanes = min(Self.downExpertLanes, shape.rowsPerGroup)
        try require(shape.rowsPerGroup % lanes == 0, name,
                    "\(shape.rowsPerGroup) row groups a workgroup do not split into \(lanes) expert lanes a row (GPTOSS_GL_TUNE)")
        let rowsPerWorkgroup = shape.rowsPerGroup / lanes
        let groupsX = (rows + rowsPerWorkgroup - 1) / rowsPerWorkgroup
        try groupsFit(groupsX, a.tokens, name)
        let program = try program(kernel, ["WEIGHT_FORMAT": w.format.rawValue, "WG_SIZE": UInt32(shape.workgroup),
                                                "THREADS_PER_ROW": UInt32(shape.threadsPerRow),
                                                "SUBGROUPS": rowReductionSubgroups(shape), "SLOT_LANES": UInt32(lanes)])
        let bias = try a.bias ?? scratchBuffer("placeholder", bytes: 16)
        for chunk in w.chunks {
            var p = UniformWriter(for: program)
            p.u32("n_tokens", a.tokens); p.u32("k", a.k); p.u32("rows", rows); p.u32("cols", w.cols)
            p.u32("expert_begin", chunk.rowStart / rows); p.u32("expert_end", (chunk.rowStart + chunk.rowCount) / rows)
            p.u32("y_stride", a.residualStride); p.u32("has_bias", a.bias == nil ? 0 : 1)
            p.u32("scale_words_per_row", w.scaleWordsPerRow); p.u32("data_vec4_per_row", w.dataVec4PerRow); p.u32("pad0", 0); p.u32("pad1", 0)
            try run(program, params: p,
                    storage: [use(1, chunk.scales), use(2, chunk.data), use(3, bias), use(4, a.input, floats: a.tokens * a.k * w.cols),
                              use(5, a.ids, floats: a.tokens * a.k), use(6, a.routeWeights, floats: a.tokens * a.k),
                              use(7, a.residual, floats: residualFloats)],
                    groups: (groupsX, a.tokens, 1))
        }
        return program.report(dispatches: w.chunks.count, format: w.format)
    }
}
