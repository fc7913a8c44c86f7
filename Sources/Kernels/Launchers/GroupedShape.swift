import GLES

/// Work split of `f32_moe_gate_up_grouped` / `f32_moe_down_grouped` (their headers explain it).
struct GroupedShape {
    let rowThreads: Int
    let tokenTile: Int
    /// Threads along the tokens and 4-token vectors each: 64 → 8 × 2, 32 → 8 × 1 or 4 × 2,
    /// 16 → 4 × 1, 8 → 2 × 1.
    let tokenThreads: Int
    let tokenVecs: Int
    /// Columns a step takes through shared memory: 32 (a block) or 16 (half steps, half the
    /// shared memory; lib/tiles.wesl).
    let stepColumns: Int
    var overrides: [String: UInt32] = [:]

    init(rowThreads: Int, tokenTile: Int, tokenVecs preferred: Int, stepColumns: Int = 32) {
        self.rowThreads = rowThreads
        self.tokenTile = tokenTile
        self.stepColumns = stepColumns
        tokenVecs = tokenTile >= 64 ? 2 : (tokenTile == 32 && preferred == 2 ? 2 : 1)
        tokenThreads = max(1, tokenTile / (4 * tokenVecs))
    }

    var threads: Int { rowThreads * tokenThreads }
    /// w_tile and x_tile (2·RT and TILE/4 rows of stepColumns + 1 vec4), two u32 per token.
    var sharedBytes: Int { tileBytes + 2 * tokenTile * 4 }
    /// w_tile and x_tile alone (the tiled linear kernel has no per-token words).
    var tileBytes: Int { (2 * rowThreads + tokenTile / 4) * (stepColumns + 1) * 16 }

    /// Why the step width is not one the kernels take, or nil.
    func stepProblem(_ knob: String) -> String? {
        [16, 32].contains(stepColumns) ? nil : "\(knob) \(stepColumns) must be 16 or 32"
    }

    /// Why the device cannot run this shape, or nil.
    func problem(limits: GPULimits) -> String? {
        if ![8, 16, 32, 64].contains(tokenTile) { return "the token tile \(tokenTile) must be 8, 16, 32 or 64" }
        if let problem = stepProblem("groupedStepColumns") { return problem }
        if rowThreads < 8 || rowThreads % 4 != 0 || rowThreads < 8 * tokenVecs {
            return "groupedRowGroups \(rowThreads) must be a multiple of 4, at least 8 (16 with 8 tokens a thread)"
        }
        if threads > limits.maxComputeWorkGroupInvocations {
            return "\(threads) threads (row groups \(rowThreads) × \(tokenThreads) token threads) are over the device's \(limits.maxComputeWorkGroupInvocations)"
        }
        if sharedBytes > limits.maxComputeSharedMemorySize {
            return "tiles of \(8 * rowThreads) rows × \(tokenTile) tokens need \(sharedBytes) bytes of shared memory, over the device's \(limits.maxComputeSharedMemorySize); lower groupedRowGroups"
        }
        return nil
    }

    func with(format: WeightFormat) -> GroupedShape {
        var shape = self
        shape.overrides = ["WEIGHT_FORMAT": format.rawValue, "ROW_THREADS": UInt32(rowThreads), "TOKEN_THREADS": UInt32(tokenThreads),
                           "TOKEN_VECS": UInt32(tokenVecs), "WG_SIZE": UInt32(threads), "TOKEN_TILE": UInt32(tokenTile),
                           "W_PARTS": UInt32(8 / tokenThreads), "STEP_COLS": UInt32(stepColumns)]
        return shape
    }
}
