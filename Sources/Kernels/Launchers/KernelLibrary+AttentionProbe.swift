import Foundation
import GLES

/// What the attention probe measures: the softmax weights a token at `position` (already
/// appended to `cache`) puts on its last `columns` visible positions, for query heads
/// 0 ..< `probeHeads` of a layer with `heads` query heads. For telemetry (the HUD's heatmap),
/// not for the forward pass.
public struct AttentionProbeArgs {
    public var query: GPUBuffer
    /// Head h of the query starts at `query[queryOffset + h·headDim]`.
    public var queryOffset: Int
    public var cache: KVCacheLayer
    /// One logit per query head (all `heads` of them; the probe reads the first `probeHeads`).
    public var sinks: GPUBuffer
    /// The layer's query heads (for the GQA mapping).
    public var heads: Int
    /// Heads probed, from head 0.
    public var probeHeads: Int
    public var position: Int
    /// Columns asked for (≤ `AttentionProbeArgs.maxColumns`); clipped to the visible positions.
    public var columns: Int
    /// [probeHeads][clipped columns] floats.
    public var output: GPUBuffer
    /// Default 1/sqrt(headDim).
    public var scale: Float?

    /// The kernel's fixed column buffer.
    public static let maxColumns = 64

    public init(query: GPUBuffer, queryOffset: Int = 0, cache: KVCacheLayer, sinks: GPUBuffer, heads: Int,
                probeHeads: Int? = nil, position: Int, columns: Int, output: GPUBuffer, scale: Float? = nil) {
        self.query = query
        self.queryOffset = queryOffset
        self.cache = cache
        self.sinks = sinks
        self.heads = heads
        self.probeHeads = probeHeads ?? heads
        self.position = position
        self.columns = columns
        self.output = output
        self.scale = scale
    }

    /// Positions the query sees (the window on sliding layers).
    public var visiblePositions: Int {
        cache.window > 0 ? min(cache.window, position + 1) : position + 1
    }

    /// The columns the probe writes: the asked number clipped to the visible positions.
    public var clippedColumns: Int { min(columns, visiblePositions) }

    /// The absolute position of each written column, oldest first.
    public var columnPositions: [Int] {
        Array(position + 1 - clippedColumns ... position)
    }
}

extension KernelLibrary {
    /// Queues the probe (one dispatch, one workgroup per probed head); the weights stay on the GPU
    /// until the caller reads `output`. Cost: one pass over the layer's visible keys for the
    /// probed heads, like one layer's decode attention without the values.
    @discardableResult
    public func attentionProbe(_ a: AttentionProbeArgs) throws -> KernelReport {
        let kernel = Kernel.attentionProbe, name = kernel.shader
        let c = a.cache
        let d = c.headDim
        let wg = tuning.decodeAttention.workgroup
        try require(a.heads > 0 && a.heads % c.kvHeads == 0, name, "\(a.heads) query heads are not a multiple of \(c.kvHeads) KV heads")
        try require(a.probeHeads > 0 && a.probeHeads <= a.heads, name, "probe heads must be in 1...\(a.heads), got \(a.probeHeads)")
        try require(a.position >= 0, name, "position must be ≥ 0")
        try require(a.columns > 0 && a.columns <= AttentionProbeArgs.maxColumns, name,
                    "columns must be in 1...\(AttentionProbeArgs.maxColumns), got \(a.columns)")
        try require(c.holdsKeys(forQueryAt: a.position), name,
                    "a cache of \(c.capacity) positions cannot hold the keys of position \(a.position); use a larger --context")
        try require((d + AttentionProbeArgs.maxColumns + 2 * wg) * 4 <= context.limits.maxComputeSharedMemorySize, name,
                    "head size \(d) needs more shared memory than the device's \(context.limits.maxComputeSharedMemorySize) bytes")
        let columns = a.clippedColumns
        try requireFloats(a.query, a.queryOffset + a.heads * d, name)
        try requireFloats(a.sinks, a.heads, name)
        try requireFloats(a.output, a.probeHeads * columns, name)
        try groupsFit(a.probeHeads, 1, name)

        let program = try program(kernel, ["WG_SIZE": UInt32(wg), "HEAD_DIM": UInt32(d), "KV_HALF": c.storage == .f16 ? 1 : 0])
        var p = UniformWriter(for: program)
        p.u32("n_heads", a.heads); p.u32("n_kv_heads", c.kvHeads); p.u32("position", a.position); p.u32("capacity", c.capacity)
        p.u32("window", c.window); p.u32("columns", columns); p.u32("q_offset", a.queryOffset); p.f32("scale", a.scale ?? 1 / Float(d).squareRoot())
        try run(program, params: p, storage: [use(1, a.query, floats: a.queryOffset + a.heads * d), use(2, c.keys),
                                              use(3, a.sinks, floats: a.heads), use(4, a.output, floats: a.probeHeads * columns)],
                groups: (a.probeHeads, 1, 1))
        return program.report(dispatches: 1)
    }
}
