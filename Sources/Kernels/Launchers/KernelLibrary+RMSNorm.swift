import GLES

/// `y[t] = x[t] / sqrt(mean(x[t]²) + eps) · weight`, one workgroup a token.
public struct RMSNormArgs {
    public var input: GPUBuffer
    public var weight: GPUBuffer
    public var output: GPUBuffer
    /// Values per token.
    public var width: Int
    public var tokens: Int
    public var eps: Float
    /// Index of token 0's first input value (e.g. the last token of a batch).
    public var inputOffset: Int
    /// Floats between consecutive tokens (default: width).
    public var inputStride: Int
    public var outputStride: Int

    public init(input: GPUBuffer, weight: GPUBuffer, output: GPUBuffer, width: Int, tokens: Int, eps: Float,
                inputOffset: Int = 0, inputStride: Int? = nil, outputStride: Int? = nil) {
        self.inputOffset = inputOffset
        self.input = input
        self.weight = weight
        self.output = output
        self.width = width
        self.tokens = tokens
        self.eps = eps
        self.inputStride = inputStride ?? width
        self.outputStride = outputStride ?? width
    }
}

extension KernelLibrary {
    @discardableResult
    public func rmsNorm(_ a: RMSNormArgs) throws -> KernelReport {
        let kernel = Kernel.rmsNorm, name = kernel.shader
        try require(a.width > 0 && a.tokens > 0, name, "width and tokens must be positive (got \(a.width), \(a.tokens))")
        try require(a.inputStride >= a.width && a.outputStride >= a.width, name, "strides must be at least the width \(a.width)")
        try require(a.input !== a.output, name, "input and output must be different buffers")
        try require(a.inputOffset >= 0, name, "input offset must be ≥ 0")
        let inputFloats = a.inputOffset + (a.tokens - 1) * a.inputStride + a.width
        let outputFloats = (a.tokens - 1) * a.outputStride + a.width
        try requireFloats(a.input, inputFloats, name)
        try requireFloats(a.output, outputFloats, name)
        try requireFloats(a.weight, a.width, name)
        try groupsFit(a.tokens, 1, name)
        // One workgroup a token: in decode it is the only one, so its length is the latency of
        // the step. Give it about one thread per 4 values (up to 8× the element workgroup).
        let cap = min(8 * tuning.elementWorkgroup, context.limits.maxComputeWorkGroupInvocations)
        var wg = tuning.elementWorkgroup
        while wg < cap && wg * 4 < a.width { wg *= 2 }
        let program = try program(kernel, ["WG_SIZE": UInt32(wg)])
        var p = UniformWriter(for: program)
        p.u32("n", a.width); p.u32("n_tokens", a.tokens); p.u32("x_stride", a.inputStride); p.u32("y_stride", a.outputStride)
        p.f32("eps", a.eps); p.u32("x_offset", a.inputOffset); p.u32("pad1", 0); p.u32("pad2", 0)
        try run(program, params: p, storage: [use(1, a.input, floats: inputFloats), use(2, a.weight), use(3, a.output, floats: outputFloats)], groups: (a.tokens, 1, 1))
        return program.report(dispatches: 1)
    }
}
