import Foundation
import GLES

/// YaRN settings of a model (docs/gpt-oss.md §5.3).
public struct YarnParameters: Sendable, Equatable {
    public var headDim: Int
    public var theta: Double
    /// 1 (or less) disables YaRN: plain RoPE, concentration 1.
    public var factor: Double
    public var originalContext: Int
    public var betaFast: Double
    public var betaSlow: Double

    public init(headDim: Int, theta: Double, factor: Double = 1, originalContext: Int = 4096,
                betaFast: Double = 32, betaSlow: Double = 1) {
        self.headDim = headDim
        self.theta = theta
        self.factor = factor
        self.originalContext = originalContext
        self.betaFast = betaFast
        self.betaSlow = betaSlow
    }

    /// inv_freq'_j for 0 ≤ j < headDim/2, with the un-rounded ramp (ends clamped to
    /// [0, headDim − 1] as transformers does).
    public var inverseFrequencies: [Double] {
        let dim = Double(headDim)
        let plain = (0 ..< headDim / 2).map { j in 1 / pow(theta, Double(2 * j) / dim) }
        guard factor > 1 else { return plain }
        func correction(_ rotations: Double) -> Double {
            dim * log(Double(originalContext) / (rotations * 2 * Double.pi)) / (2 * log(theta))
        }
        let low = max(correction(betaFast), 0)
        var high = min(correction(betaSlow), dim - 1)
        if low == high { high += 0.001 }
        return plain.enumerated().map { j, f in
            let ramp = min(max((Double(j) - low) / (high - low), 0), 1)
            return (f / factor) * ramp + f * (1 - ramp)
        }
    }

    /// 0.1·ln(factor) + 1 (1 without YaRN): multiplies cos and sin.
    public var concentration: Double { factor > 1 ? 0.1 * log(factor) + 1 : 1 }
}

/// The inverse frequencies on the GPU, with the concentration factor.
public final class RopeTable {
    public let headDim: Int
    public let concentration: Float
    public let inverseFrequencies: [Float]
    let buffer: GPUBuffer

    public init(context: GLContext, inverseFrequencies: [Float], concentration: Float) throws {
        guard !inverseFrequencies.isEmpty else {
            throw KernelsError.invalidArgument(kernel: "RopeTable", message: "no frequencies")
        }
        self.headDim = inverseFrequencies.count * 2
        self.concentration = concentration
        self.inverseFrequencies = inverseFrequencies
        buffer = try context.makeBuffer(array: inverseFrequencies, label: "rope.inv_freq", usage: .staticData)
    }

    public convenience init(context: GLContext, yarn: YarnParameters) throws {
        try self.init(context: context, inverseFrequencies: yarn.inverseFrequencies.map { Float($0) },
                      concentration: Float(yarn.concentration))
    }
}

/// Rotates `heads` heads of `tokens` tokens in place; token t is at position `position0 + t`,
/// head h of token t starts at `buffer[t·stride + offset + h·headDim]`.
public struct RopeArgs {
    public var table: RopeTable
    public var buffer: GPUBuffer
    public var tokens: Int
    public var heads: Int
    public var position0: Int
    public var stride: Int
    public var offset: Int

    /// When set, heads from `fromHead` on are K heads whose rotated values (and the V values
    /// `valueDelta` floats after them) are also written to `cache` (f32 storage): the KV append
    /// of a decode step without a launch of its own.
    public var append: (cache: KVCacheLayer, fromHead: Int, valueDelta: Int)?

    public init(table: RopeTable, buffer: GPUBuffer, tokens: Int, heads: Int, position0: Int,
                stride: Int? = nil, offset: Int = 0) {
        self.table = table
        self.buffer = buffer
        self.tokens = tokens
        self.heads = heads
        self.position0 = position0
        self.stride = stride ?? heads * table.headDim
        self.offset = offset
    }
}

extension KernelLibrary {
    @discardableResult
    public func rope(_ a: RopeArgs) throws -> KernelReport {
        let kernel = Kernel.ropeYarn, name = kernel.shader
        let d = a.table.headDim
        try require(a.tokens > 0 && a.heads > 0 && a.position0 >= 0, name, "tokens and heads must be positive and position0 ≥ 0")
        // `offset` is where token 0's first head starts (a column in a row, or a row further in a
        // batch of several sequences); tokens after it are `stride` apart and must not overlap.
        try require(a.offset >= 0 && (a.tokens == 1 || a.stride >= a.heads * d), name,
                    "stride \(a.stride) cannot hold \(a.heads) heads of \(d)")
        var floats = (a.tokens - 1) * a.stride + a.offset + a.heads * d
        if let append = a.append {
            let c = append.cache
            try require(c.storage == .f32, name, "the fused KV append writes f32 caches only ('\(c.keys.label)' is \(c.storage))")
            try require(c.headDim == d && append.fromHead >= 0 && a.heads - append.fromHead == c.kvHeads, name,
                        "heads \(append.fromHead)..<\(a.heads) must be the cache's \(c.kvHeads) KV heads of \(c.headDim)")
            try require(a.tokens <= c.capacity, name, "\(a.tokens) tokens do not fit a cache ring of \(c.capacity)")
            try require(append.valueDelta >= c.rowFloats, name, "values must follow the keys (delta \(append.valueDelta))")
            floats += append.valueDelta
        }
        try requireFloats(a.buffer, floats, name)
        let groupsX = (a.heads * d / 2 + tuning.elementWorkgroup - 1) / tuning.elementWorkgroup
        try groupsFit(groupsX, a.tokens, name)
        let program = try program(kernel, ["WG_SIZE": UInt32(tuning.elementWorkgroup)])
        var p = UniformWriter(for: program)
        p.u32("n_tokens", a.tokens); p.u32("n_heads", a.heads); p.u32("head_dim", d); p.u32("position0", a.position0)
        p.u32("stride", a.stride); p.u32("offset", a.offset); p.f32("concentration", a.table.concentration)
        let placeholder = try scratchBuffer("placeholder", bytes: 16)
        if let append = a.append {
            p.u32("append_from_head", append.fromHead); p.u32("capacity", append.cache.capacity); p.u32("kv_row_floats", append.cache.rowFloats); p.u32("value_delta", append.valueDelta)
        } else {
            p.u32("append_from_head", Int(UInt32.max)); p.u32("capacity", 1); p.u32("kv_row_floats", 0); p.u32("value_delta", 0)
        }
        p.u32("pad0", 0)
        try run(program, params: p, storage: [use(1, a.table.buffer), use(2, a.buffer, floats: floats),
                                              use(3, a.append?.cache.keys ?? placeholder), use(4, a.append?.cache.values ?? placeholder)],
                groups: (groupsX, a.tokens, 1))
        return program.report(dispatches: 1)
    }
}
