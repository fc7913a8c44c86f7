import Foundation
import GLES

/// Workgroup and tile sizes, chosen from the probed limits (all specialisation constants).
public struct KernelTuning: Sendable, Equatable {
    /// Threads per workgroup of the row-reduction kernels (linear, MoE), and threads sharing a row.
    public var linearWorkgroup: Int
    public var linearThreadsPerRow: Int
    /// Tokens a linear workgroup processes at once (≤ 16).
    public var linearTokenTile: Int
    /// Threads of the element-wise and norm kernels.
    public var elementWorkgroup: Int
    /// Keys per split of the decode attention, and its workgroup.
    public var decodeSplitKeys: Int
    public var decodeWorkgroup: Int
    /// Query and key tiles of the prefill attention (query tile = workgroup).
    public var prefillQueryTile: Int
    public var prefillKeyTile: Int
    /// 1: the prefill attention keeps each query's row and output in registers and reads the
    /// key/value tiles as vec4 broadcasts (head size ≤ 64); 0: rows in shared memory.
    public var prefillRegisterRows: Int = 0
    /// Logits per workgroup of the sampler reduction, and its workgroup.
    public var samplerSlice: Int
    public var samplerWorkgroup: Int
    /// Grouped MoE of prefill (`KernelLibrary+GroupedExperts.swift`, `GroupedShape`):
    /// - `groupedRowGroups`: threads along the rows of a tile, each with two quads of 4 weight
    ///   rows (a tile holds 8× as many weight rows: 4× gate/up outputs, 8× down outputs); a
    ///   multiple of 4, at least 8 (16 with `groupedTokenVecs` 2).
    /// - `groupedMaxTokenTile`, `groupedMinTokenTile`: the largest and smallest token tile (8,
    ///   16, 32 or 64) a step may pick (see `KernelLibrary.groupedTokenTile`).
    /// - `groupedTokenVecs`: 1 or 2 vec4s of tokens per thread for 32-token tiles (8 threads ×
    ///   4 tokens, or 4 threads × 8 tokens: fewer threads, more sums per shared load); 64-token
    ///   tiles always use 2, smaller ones 1.
    /// - `groupedMinTokens`: the fewest tokens a step needs for the forward pass to group.
    /// - `groupingWorkgroup`: the grouping (counting sort) kernel's workgroup.
    public var groupedRowGroups: Int = 16
    public var groupedMaxTokenTile: Int = 32
    public var groupedMinTokenTile: Int = 8
    public var groupedTokenVecs: Int = 2
    public var groupedMinTokens: Int = 8
    /// The fewest slots per expert (tokens × k / experts) a step needs to group: fewer leave
    /// the token tiles so empty that decoding each weight for a tile costs more than the
    /// per-slot kernels' re-reads.
    public var groupedMinSlotsPerExpert: Int = 1
    public var groupingWorkgroup: Int = 256
    /// Tiled linear of prefill (`KernelLibrary+TiledLinear.swift`, `f32_linear_tiled.wgsl`):
    /// batches of at least `tiledMinTokens` tokens go through the register-tiled kernel
    /// (`tiledRowGroups` threads along the rows, 8 rows each; token tiles of `tiledTokenTile`
    /// = 8, 16, 32 or 64 tokens; `tiledTokenVecs` as `groupedTokenVecs`), smaller ones and the
    /// fused RMSNorm through `f32_linear`. Portable: 64 threads, ~12.7 KiB of shared memory.
    public var tiledMinTokens: Int = 16
    public var tiledRowGroups: Int = 8
    public var tiledTokenTile: Int = 32
    public var tiledTokenVecs: Int = 1

    /// Tokens a prefill step takes when the caller does not say (`--batch`): enough to fill a
    /// discrete GPU's tiles, few enough to keep a CPU renderer's steps (and their scratch) short.
    public var prefillBatch: Int = 32

    /// 1: the decode row reductions (f32_linear for one token, f32_moe_gate_up_swiglu,
    /// f32_moe_down_sum) use subgroupAdd where the device allows it (KernelTuning+Subgroups.swift);
    /// 0: always shared memory (`GPTOSS_GL_TUNE=useSubgroups=0` times that fallback).
    public var useSubgroups: Int = 1

    /// Workgroup and threads per row of the per-slot MoE kernels (f32_moe_gate_up_swiglu,
    /// f32_moe_down_sum); 0 (the default): the linear kernels' sizes. Separate because the two
    /// see very different row counts in a decode step (4 × 2880 gate/up pairs against 2880
    /// down rows for 20b), so the thread count that fills the GPU differs.
    public var moeWorkgroup: Int = 0
    public var moeGateUpThreadsPerRow: Int = 0
    public var moeDownThreadsPerRow: Int = 0

    /// 1: a decode step runs the attention output projection and the router in one launch
    /// (`outRouterDecode`) where the shapes allow; 0: two launches (to time the difference).
    public var fuseOutputRouter: Int = 1

    /// Conservative sizes every GLES 3.1 device runs (128 invocations, 16 KiB shared memory).
    public static let portable = KernelTuning(linearWorkgroup: 64, linearThreadsPerRow: 16, linearTokenTile: 4,
                                              elementWorkgroup: 64, decodeSplitKeys: 256, decodeWorkgroup: 64,
                                              prefillQueryTile: 16, prefillKeyTile: 16,
                                              samplerSlice: 2048, samplerWorkgroup: 128)

    /// Sizes for discrete GPUs (1024 invocations, 48 KiB shared memory): two warps per row,
    /// 8-token tiles, 64-query prefill tiles. Grouped MoE as timed on the H200 (2026-11-27,
    /// synthetic 20b, BENCHMARKS.md): 16 row threads and 32-token tiles of 8 × 4 tokens gave
    /// 1612 tok/s for a 512-token prefill against 665 for the per-slot kernels, and 918 against
    /// 699 at 256 tokens, but 297 against 667 at 128 tokens (too few slots per expert to fill a
    /// tile; 120b's 128 experts at 512 tokens: 219 grouped), so a step groups from 32 slots per
    /// expert (256 tokens of 20b, 1024 of 120b). Tiled linear (16 row threads,
    /// 32-token tiles): 1905 against 1504 tok/s for the 512-token prefill. Prefill attention with
    /// rows in registers and 128-query tiles: 2164 against 1957 tok/s (64-query tiles: 2146).
    /// Decode attention with 256-thread GQA workgroups: 203.4 tok/s at depth 4096 with 256-key
    /// splits, 207.4 with 128 (128 threads: 182.9; the per-query-head kernel before: 169.9).
    /// Decode linears with 64 threads a row in 256-thread workgroups: 238.6–240.4 against
    /// 226.6–231.7 tok/s with 32 in 128 (more threads in flight on the 2880- and 5120-row QKV
    /// and output projections; 128 a row: 234.4, 32 in 256: 233.1). The per-slot MoE kernels
    /// keep 32 in 128, a warp a row (their subgroup reduction): 16, 64 and 128 a row, 64- to
    /// 512-thread workgroups were within noise or slower (2026-11-27, H200, synthetic 20b).
    public static let wide = KernelTuning(linearWorkgroup: 256, linearThreadsPerRow: 64, linearTokenTile: 8,
                                          elementWorkgroup: 128, decodeSplitKeys: 128, decodeWorkgroup: 256,
                                          prefillQueryTile: 128, prefillKeyTile: 16, prefillRegisterRows: 1,
                                          samplerSlice: 4096, samplerWorkgroup: 256,
                                          groupedRowGroups: 16, groupedMaxTokenTile: 32, groupedMinTokenTile: 8, groupedTokenVecs: 1,
                                          groupedMinTokens: 8, groupedMinSlotsPerExpert: 32,
                                          groupingWorkgroup: 1024,
                                          tiledMinTokens: 32, tiledRowGroups: 16, tiledTokenTile: 32, tiledTokenVecs: 1,
                                          prefillBatch: 512,
                                          moeWorkgroup: 128, moeGateUpThreadsPerRow: 32, moeDownThreadsPerRow: 32)

    /// `wide` where the device allows it and is not a CPU renderer, else `portable`.
    public static func forLimits(_ limits: GPULimits) -> KernelTuning {
        if !limits.isSoftwareRenderer && limits.maxComputeWorkGroupInvocations >= 1024 && limits.maxComputeSharedMemorySize >= 48 * 1024 {
            return wide
        }
        return portable
    }
}

/// The kernel library: programs compiled on first use from the translated GLSL, specialised by
/// `KernelTuning`, and one typed launcher per kernel family (see the `KernelLibrary+*.swift`
/// files). Every launcher checks its arguments and throws before dispatching anything.
/// Launchers queue work and put a storage barrier after it; nothing waits for the GPU except
/// explicit readbacks.
public final class KernelLibrary {
    public let context: GLContext
    public let tuning: KernelTuning
    let cache: ProgramCache
    var scratch: [String: GPUBuffer] = [:]
    /// The barrier after every launch: `.storage` (the default, and what the kernels need).
    /// `bench-kernels --barrier` changes it, or leaves it out, to time what it costs.
    public var launchBarrier: MemoryBarrier? = .storage

    public init(context: GLContext, shaders: ShaderLibrary? = nil, tuning: KernelTuning? = nil) throws {
        self.context = context
        self.tuning = try tuning ?? .forLimits(context.limits, environment: ProcessInfo.processInfo.environment)
        self.cache = ProgramCache(context: context, library: try shaders ?? .located())
    }

    func program(_ kernel: Kernel, _ overrides: [String: UInt32]) throws -> CompiledKernel {
        try cache.program(kernel, overrides.mapValues { .u32($0) })
    }

    /// A scratch buffer of at least `bytes`, kept and grown across calls (one per purpose).
    func scratchBuffer(_ purpose: String, bytes: Int) throws -> GPUBuffer {
        if let existing = scratch[purpose], existing.byteCount >= bytes { return existing }
        let buffer = try context.makeBuffer(byteCount: max(bytes, 16), label: "kernels.scratch.\(purpose)")
        scratch[purpose] = buffer
        return buffer
    }

    /// Binding `index` to `buffer`, limited to its first `floats` 32-bit values when given: a
    /// buffer sized for a large batch (or over the binding limit) still binds for a small step.
    func use(_ index: Int, _ buffer: GPUBuffer, floats: Int? = nil) -> StorageBinding {
        guard let floats else { return StorageBinding(index: index, buffer: buffer) }
        return StorageBinding(index: index, buffer: buffer, offset: 0, size: min(buffer.byteCount, max(4, floats * 4)))
    }

    /// Dispatches `kernel`; its first launch also checks the params' field names and types
    /// against the shader's reflection (`ParamsLayout`).
    func run(_ kernel: CompiledKernel, params: UniformWriter, storage: [StorageBinding], groups: (Int, Int, Int)) throws {
        if !kernel.paramsChecked {
            try kernel.params.check(written: params.fields ?? [])
            kernel.paramsChecked = true
        }
        try context.dispatch(kernel.program, storage: storage, uniforms: [UniformBinding(index: 0, bytes: params.padded)], groups: groups)
        if let launchBarrier { context.barrier(launchBarrier) }
    }

    // MARK: - Checks shared by the launchers

    func require(_ condition: Bool, _ kernel: String, _ message: @autoclosure () -> String) throws {
        if !condition { throw KernelsError.invalidArgument(kernel: kernel, message: message()) }
    }

    func requireFloats(_ buffer: GPUBuffer, _ count: Int, _ kernel: String) throws {
        if count * 4 > buffer.byteCount {
            throw KernelsError.bufferTooSmall(kernel: kernel, buffer: buffer.label, needed: count * 4, available: buffer.byteCount)
        }
    }

    func groupsFit(_ x: Int, _ y: Int, _ kernel: String) throws {
        let limit = context.limits.maxComputeWorkGroupCount
        try require(x <= limit[0] && y <= limit[1], kernel,
                    "needs \(x) × \(y) workgroups, over the device's \(limit[0]) × \(limit[1]); use a smaller batch")
    }
}
