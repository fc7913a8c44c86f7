import GLES

/// Workgroup and tile sizes, chosen from the probed limits (all specialisation constants), one
/// nested value per kernel family. Switches are `Bool`s; a size that may fall back to another
/// family's is an optional (nil: that family's). `GPTOSS_GL_TUNE` overrides fields by their flat
/// names (`KernelTuning+Overrides.swift`); the measurements behind the `wide` values are in
/// BENCHMARKS.md ("Kernel tuning").
public struct KernelTuning: Sendable, Equatable {
    /// The row-reduction kernels (`f32_linear`, and the per-slot MoE kernels unless `moe` says
    /// otherwise): threads per workgroup, threads sharing a row, tokens a workgroup takes at once
    /// (≤ 16).
    public struct Linear: Sendable, Equatable {
        public var workgroup: Int
        public var threadsPerRow: Int
        public var tokenTile: Int
        public init(workgroup: Int, threadsPerRow: Int, tokenTile: Int) {
            self.workgroup = workgroup; self.threadsPerRow = threadsPerRow; self.tokenTile = tokenTile
        }
    }

    /// Decode attention: keys per split, and the workgroup.
    public struct DecodeAttention: Sendable, Equatable {
        public var splitKeys: Int
        public var workgroup: Int
        public init(splitKeys: Int, workgroup: Int) { self.splitKeys = splitKeys; self.workgroup = workgroup }
    }

    /// Prefill attention: query tile (= workgroup) and key tile; `registerRows`: each query's row
    /// and output stay in registers and the key/value tiles are read as vec4 broadcasts (head
    /// size ≤ 64), else rows in shared memory.
    public struct PrefillAttention: Sendable, Equatable {
        public var queryTile: Int
        public var keyTile: Int
        public var registerRows: Bool
        public init(queryTile: Int, keyTile: Int, registerRows: Bool = false) {
            self.queryTile = queryTile; self.keyTile = keyTile; self.registerRows = registerRows
        }
    }

    /// The sampler reduction: logits per workgroup, and the workgroup.
    public struct Sampler: Sendable, Equatable {
        public var slice: Int
        public var workgroup: Int
        public init(slice: Int, workgroup: Int) { self.slice = slice; self.workgroup = workgroup }
    }

    /// Grouped MoE of prefill (`KernelLibrary+GroupedExperts.swift`, `GroupedShape`):
    /// - `rowGroups`: threads along the rows of a tile, each with two quads of 4 weight rows (a
    ///   tile holds 8× as many weight rows: 4× gate/up outputs, 8× down outputs); a multiple of
    ///   4, at least 8 (16 with `tokenVecs` 2).
    /// - `maxTokenTile`, `minTokenTile`: the largest and smallest token tile (8, 16, 32 or 64) a
    ///   step may pick (see `KernelLibrary.groupedTokenTile`).
    /// - `tokenVecs`: 1 or 2 vec4s of tokens per thread for 32-token tiles (8 threads × 4
    ///   tokens, or 4 threads × 8 tokens: fewer threads, more sums per shared load); 64-token
    ///   tiles always use 2, smaller ones 1.
    /// - `minTokens`: the fewest tokens a step needs for the forward pass to group.
    /// - `minSlotsPerExpert`: the fewest slots per expert (tokens × k / experts) a step needs to
    ///   group: fewer leave the token tiles so empty that decoding each weight for a tile costs
    ///   more than the per-slot kernels' re-reads.
    /// - `groupingWorkgroup`: the grouping (counting sort) kernel's workgroup.
    public struct GroupedMoE: Sendable, Equatable {
        public var rowGroups = 16
        public var maxTokenTile = 32
        public var minTokenTile = 8
        public var tokenVecs = 2
        public var minTokens = 8
        public var minSlotsPerExpert = 1
        public var groupingWorkgroup = 256
        public var stepColumns = 32
        public init() {}
    }

    /// Tiled linear of prefill (`KernelLibrary+TiledLinear.swift`, `f32_linear_tiled.wgsl`):
    /// batches of at least `minTokens` tokens go through the register-tiled kernel (`rowGroups`
    /// threads along the rows, 8 rows each; token tiles of `tokenTile` = 8, 16, 32 or 64 tokens;
    /// `tokenVecs` as the grouped MoE's), smaller ones and the fused RMSNorm through `f32_linear`.
    /// `stepColumns` as the grouped MoE's. Portable: 64 threads, ~12.7 KiB of shared memory.
    public struct TiledLinear: Sendable, Equatable {
        public var minTokens = 16
        public var rowGroups = 8
        public var tokenTile = 32
        public var tokenVecs = 1
        public var stepColumns = 32
        public init() {}
    }

    /// The per-slot MoE kernels (f32_moe_gate_up_swiglu, f32_moe_down_sum): their workgroup and
    /// threads per row; nil: the linear kernels' sizes. Separate because the two see very
    /// different row counts in a decode step (4 × 2880 gate/up pairs against 2880 down rows for
    /// 20b), so the thread count that fills the GPU differs.
    public struct MoE: Sendable, Equatable {
        public var workgroup: Int?
        public var gateUpThreadsPerRow: Int?
        public var downThreadsPerRow: Int?
        public init(workgroup: Int? = nil, gateUpThreadsPerRow: Int? = nil, downThreadsPerRow: Int? = nil) {
            self.workgroup = workgroup; self.gateUpThreadsPerRow = gateUpThreadsPerRow; self.downThreadsPerRow = downThreadsPerRow
        }
    }

    public var linear: Linear
    /// Threads of the element-wise and norm kernels.
    public var elementWorkgroup: Int
    public var decodeAttention: DecodeAttention
    public var prefillAttention: PrefillAttention
    public var sampler: Sampler
    public var grouped = GroupedMoE()
    public var tiled = TiledLinear()
    public var moe = MoE()

    /// Tokens a prefill step takes when the caller does not say (`--batch`): enough to fill a
    /// discrete GPU's tiles, few enough to keep a CPU renderer's steps (and their scratch) short.
    public var prefillBatch = 32

    /// The decode row reductions (f32_linear for one token, f32_moe_gate_up_swiglu,
    /// f32_moe_down_sum, the fused routers) use subgroupAdd where the device allows it
    /// (KernelTuning+Subgroups.swift); off: always shared memory (`GPTOSS_GL_TUNE=useSubgroups=0`
    /// times that fallback).
    public var useSubgroups = true

    /// A decode step runs the attention output projection and the router in one launch
    /// (`outRouterDecode`) where the shapes allow; off: two launches (to time the difference).
    public var fuseOutputRouter = true

    /// A decode step's fused QKV projection also applies RoPE and appends K and V to an f32
    /// cache (`LinearRope`); off: a RoPE launch follows (to time the difference, and so the
    /// tests run that plan on fused weights too).
    public var fuseRope = true

    /// Launches follow each other without a storage barrier, each workgroup first waiting on
    /// the GPU for the launch before it (`ChainedLaunch`); on only after a probe at load passes.
    /// Off in both presets for now: on the H100 the probe fails (BENCHMARKS.md, session 9), so
    /// asking for it there only costs the probe. `GPTOSS_GL_TUNE=chainedLaunches=1` runs it.
    public var chainedLaunches = false

    /// Decode steps warm weights in the GPU's L2 cache ahead of the launch that reads them
    /// (`KernelLibrary.warmL2`, queued without a barrier beside a launch that reads few bytes):
    /// `warmAttentionOutput` loads the attention output projection beside the attention launch;
    /// `warmNextProjection` loads the next layer's QKV projection beside the MoE down launch.
    /// `l2WarmWorkgroups` (of 256 threads) bounds how much of the GPU a warm takes from the
    /// launch beside it.
    public var warmAttentionOutput = false
    public var warmNextProjection = false
    public var l2WarmWorkgroups = 128

    public init(linear: Linear, elementWorkgroup: Int, decodeAttention: DecodeAttention, prefillAttention: PrefillAttention,
                sampler: Sampler) {
        self.linear = linear; self.elementWorkgroup = elementWorkgroup; self.decodeAttention = decodeAttention
        self.prefillAttention = prefillAttention; self.sampler = sampler
    }

    /// Conservative sizes every GLES 3.1 device runs (128 invocations, 16 KiB shared memory).
    public static let portable = KernelTuning(linear: Linear(workgroup: 64, threadsPerRow: 16, tokenTile: 4), elementWorkgroup: 64,
                                              decodeAttention: DecodeAttention(splitKeys: 256, workgroup: 64),
                                              prefillAttention: PrefillAttention(queryTile: 16, keyTile: 16),
                                              sampler: Sampler(slice: 2048, workgroup: 128))

    /// Sizes for discrete GPUs (1024 invocations, 48 KiB shared memory): two warps per row,
    /// 8-token tiles, 128-query prefill tiles with rows in registers, grouped MoE from 32 slots
    /// per expert, tiled prefill kernels in half steps, per-slot MoE kernels a warp a row. Why each value: BENCHMARKS.md, "Kernel
    /// tuning" (H200, synthetic 20b).
    public static let wide: KernelTuning = {
        var t = KernelTuning(linear: Linear(workgroup: 256, threadsPerRow: 64, tokenTile: 8), elementWorkgroup: 128,
                             decodeAttention: DecodeAttention(splitKeys: 128, workgroup: 256),
                             prefillAttention: PrefillAttention(queryTile: 128, keyTile: 16, registerRows: true),
                             sampler: Sampler(slice: 4096, workgroup: 256))
        t.grouped.tokenVecs = 1
        t.grouped.minSlotsPerExpert = 32
        t.grouped.groupingWorkgroup = 1024
        t.tiled.minTokens = 32
        t.tiled.rowGroups = 16
        // Half steps: 2525 → 2997 tok/s for a 512-token prefill of synthetic 20b on the H100
        // (BENCHMARKS.md, session 11).
        t.grouped.stepColumns = 16
        t.tiled.stepColumns = 16
        t.prefillBatch = 512
        t.moe = MoE(workgroup: 128, gateUpThreadsPerRow: 32, downThreadsPerRow: 32)
        return t
    }()

    /// Sizes for CPU renderers (Mesa's llvmpipe and softpipe, SwiftShader): `portable` with two
    /// threads a row in the decode row kernels (f32_linear, the per-slot MoE kernels, the fused
    /// output projection) instead of 16. A CPU renderer runs a workgroup on one core, its
    /// invocations as SIMD lanes, and each barrier of a 16-thread shared-memory reduction is a
    /// switch between the workgroup's lane groups: the reduction cost more than the row. llvmpipe
    /// on the 2-core development machine, bundled model: decode 15.6–16.6 → 32–39 tok/s, prefill
    /// unchanged within noise (BENCHMARKS.md, session 12). One thread a row was about as fast but
    /// halves the workgroups a small matrix gives a many-core CPU.
    public static let cpu: KernelTuning = {
        var t = portable
        t.linear.threadsPerRow = 2
        return t
    }()

    /// `cpu` on a CPU renderer; `wide` where the device allows it; else `portable`.
    public static func forLimits(_ limits: GPULimits) -> KernelTuning {
        if limits.isSoftwareRenderer {
            return cpu
        }
        if limits.maxComputeWorkGroupInvocations >= 1024 && limits.maxComputeSharedMemorySize >= 48 * 1024 {
            return wide
        }
        return portable
    }
}
