import GLES

/// Which slots of a batch go to which expert: what the grouped MoE kernels of prefill read.
///
/// Slot s = t·k + j is token t's j-th chosen expert. `sortedSlots` lists the slots by expert
/// (inside an expert by slot index), and `tiles` cuts each expert's run into tiles of at most
/// `tokenTile` slots: word 0..3 = (tile count, slot count, 0, 0), then per tile (expert, first
/// sorted position, slots, 0). Both live in scratch buffers of the `KernelLibrary` that made
/// them and stay valid until its next `groupExperts` call. A slot whose id is not below
/// `experts` (the expert cache's mark for "another pass") is in no tile: the grouped kernels
/// leave it out, as the per-slot kernels do.
public struct MoEGroups {
    public let tokens: Int
    public let k: Int
    public let experts: Int
    public let tokenTile: Int
    /// The most tiles the grouping can produce: the y size the grouped kernels dispatch.
    public let maxTiles: Int
    /// [tokens·k] u32.
    public let sortedSlots: GPUBuffer
    /// [1 + maxTiles] × 4 u32.
    public let tiles: GPUBuffer
    /// The grouping dispatch, for telemetry.
    public let report: KernelReport

    public var slots: Int { tokens * k }

    /// Upper bound of Σ_e ⌈n_e / tile⌉ over experts with n_e > 0 and Σ n_e = slots.
    public static func maxTiles(slots: Int, experts: Int, tokenTile: Int) -> Int {
        (slots + min(experts, slots) * (tokenTile - 1)) / tokenTile
    }
}

/// Router output to group: `ids` [tokens][k] u32 from `routerTopK`.
public struct MoEGroupArgs {
    public var ids: GPUBuffer
    public var experts: Int
    public var k: Int
    public var tokens: Int
    /// Slots per tile (a multiple of 8, at most 64); nil lets the tuning choose from the batch.
    public var tokenTile: Int?

    public init(ids: GPUBuffer, experts: Int, k: Int, tokens: Int, tokenTile: Int? = nil) {
        self.ids = ids
        self.experts = experts
        self.k = k
        self.tokens = tokens
        self.tokenTile = tokenTile
    }
}

extension KernelLibrary {
    /// The token tile the tuning picks for a batch: the largest of 8, 16, 32, 64 (at most
    /// `groupedMaxTokenTile`) not above half the average slots per expert, so the partly filled
    /// last tile of each expert wastes little, but at least `groupedMinTokenTile` (so a timing
    /// run can pin the tile: min = max).
    public func groupedTokenTile(tokens: Int, k: Int, experts: Int) -> Int {
        let average = tokens * k / max(experts, 1)
        var tile = 8
        while tile * 2 <= min(tuning.grouped.maxTokenTile, 64) && (tile * 2 <= average / 2 || tile < tuning.grouped.minTokenTile) {
            tile *= 2
        }
        return tile
    }

    /// Groups the batch's slots by expert on the GPU (one dispatch, nothing read back).
    public func groupExperts(_ a: MoEGroupArgs) throws -> MoEGroups {
        let kernel = Kernel.moeGroup, name = kernel.shader
        let tile = a.tokenTile ?? groupedTokenTile(tokens: a.tokens, k: a.k, experts: a.experts)
        try require(a.tokens > 0 && a.k > 0, name, "tokens (\(a.tokens)) and k (\(a.k)) must be positive")
        try require([8, 16, 32, 64].contains(tile), name, "token tile \(tile) must be 8, 16, 32 or 64")
        let limit = context.limits.maxComputeWorkGroupInvocations
        var wg = min(tuning.grouped.groupingWorkgroup, limit)
        while wg < a.experts && wg * 2 <= limit { wg *= 2 }
        try require(a.experts >= 1 && a.experts <= wg, name,
                    "\(a.experts) experts need a workgroup of at least that many threads; the device allows \(limit)")
        let slots = a.tokens * a.k
        try requireFloats(a.ids, slots, name)
        let maxTiles = MoEGroups.maxTiles(slots: slots, experts: a.experts, tokenTile: tile)
        try require(maxTiles <= context.limits.maxComputeWorkGroupCount[1], name,
                    "\(maxTiles) tiles are over the device's \(context.limits.maxComputeWorkGroupCount[1]) workgroups in y; use a smaller batch")
        let sorted = try scratchBuffer("moe.sorted_slots", bytes: slots * 4)
        let tiles = try scratchBuffer("moe.tiles", bytes: (1 + maxTiles) * 16)
        let program = try program(kernel, ["WG_SIZE": UInt32(wg)])
        var p = UniformWriter(for: program)
        p.u32("n_slots", slots); p.u32("n_experts", a.experts); p.u32("token_tile", tile); p.u32("pad0", 0)
        try run(program, params: p, storage: [use(1, a.ids, floats: slots), use(2, sorted, floats: slots),
                                              use(3, tiles, floats: (1 + maxTiles) * 4)], groups: (1, 1, 1))
        return MoEGroups(tokens: a.tokens, k: a.k, experts: a.experts, tokenTile: tile, maxTiles: maxTiles,
                         sortedSlots: sorted, tiles: tiles, report: program.report(dispatches: 1))
    }

    /// Groups the batch when the grouped kernels pay off (at least `groupedMinTokens` tokens and
    /// `groupedMinSlotsPerExpert` slots per expert on average)
    /// and fit (the per-slot down outputs within one binding, the tiles within the device's
    /// threads and shared memory); nil means: use the per-slot
    /// kernels (`moeGateUp(_:groups:)` and `moeDown(_:groups:)` take the nil as it is).
    public func groupExpertsIfWorthwhile(ids: GPUBuffer, down: GPUExperts, k: Int, tokens: Int) throws -> MoEGroups? {
        guard groupedExpertsWorthwhile(down: down, k: k, tokens: tokens) else { return nil }
        return try groupExperts(MoEGroupArgs(ids: ids, experts: down.count, k: k, tokens: tokens))
    }

    /// Whether a step of `tokens` rows runs its MoE grouped by expert: enough slots per expert
    /// for each expert's weights to be worth reading once per tile, and a shape this GPU runs.
    /// Depends on sizes only, so a step plan decides it before any launch.
    public func groupedExpertsWorthwhile(down: GPUExperts, k: Int, tokens: Int) -> Bool {
        guard tokens >= max(2, tuning.grouped.minTokens),
              tokens * k >= tuning.grouped.minSlotsPerExpert * down.count else { return false }
        guard tokens * k * down.rowsPerExpert * 4 <= context.limits.maxShaderStorageBlockSize else { return false }
        let tile = groupedTokenTile(tokens: tokens, k: k, experts: down.count)
        let shape = GroupedShape(rowThreads: tuning.grouped.rowGroups, tokenTile: tile, tokenVecs: tuning.grouped.tokenVecs,
                                 stepColumns: tuning.grouped.stepColumns)
        return shape.problem(limits: context.limits) == nil
    }

    /// Gate/up + SwiGLU-OAI grouped by expert when `groups` is given (same output as the
    /// per-slot `moeGateUp`, which runs when it is nil).
    @discardableResult
    public func moeGateUp(_ a: MoEGateUpArgs, groups: MoEGroups?) throws -> KernelReport {
        guard let groups else { return try moeGateUp(a) }
        let kernel = Kernel.moeGateUpGrouped, name = kernel.shader
        let w = a.experts.weights
        let ff = a.experts.rowsPerExpert / 2
        try require(a.experts.rowsPerExpert % 2 == 0, name, "a fused gate/up expert needs an even row count")
        try requireMatching(groups, tokens: a.tokens, k: a.k, experts: a.experts.count, name)
        try require(a.inputStride >= w.cols, name, "input stride \(a.inputStride) is below the \(w.cols) columns")
        let slots = groups.slots
        let inputFloats = (a.tokens - 1) * a.inputStride + w.cols
        try requireFloats(a.input, inputFloats, name)
        try requireFloats(a.output, slots * ff, name)
        if let bias = a.bias { try requireFloats(bias, a.experts.count * 2 * ff, name) }
        try require(a.inputStride % 4 == 0, name, "input stride \(a.inputStride) must be a multiple of 4")
        let shape = try groupedShape(name, tokenTile: groups.tokenTile, format: w.format)
        let rowsPerGroup = 4 * shape.rowThreads
        let groupsX = (ff + rowsPerGroup - 1) / rowsPerGroup
        try groupsFit(groupsX, groups.maxTiles, name)
        let program = try program(kernel, shape.overrides)
        let bias = try a.bias ?? scratchBuffer("placeholder", bytes: 16)
        for chunk in w.chunks {
            var p = UniformWriter(for: program)
            p.u32("n_slots", slots); p.u32("k", a.k); p.u32("rows", ff); p.u32("cols", w.cols)
            p.u32("expert_begin", chunk.rowStart / a.experts.rowsPerExpert); p.u32("expert_end", (chunk.rowStart + chunk.rowCount) / a.experts.rowsPerExpert)
            p.u32("x_stride", a.inputStride); p.u32("has_bias", a.bias == nil ? 0 : 1)
            p.u32("scale_words_per_row", w.scaleWordsPerRow); p.u32("data_vec4_per_row", w.dataVec4PerRow); p.u32("pad0", 0); p.u32("pad1", 0)
            try run(program, params: p,
                    storage: [use(1, chunk.scales), use(2, chunk.data), use(3, bias), use(4, a.input, floats: inputFloats),
                              use(5, groups.sortedSlots, floats: slots), use(6, groups.tiles, floats: (1 + groups.maxTiles) * 4),
                              use(7, a.output, floats: slots * ff)],
                    groups: (groupsX, groups.maxTiles, 1))
        }
        return program.report(dispatches: w.chunks.count, format: w.format)
    }

    /// Down projection grouped by expert when `groups` is given: each slot's weighted output
    /// into a scratch row, then one pass adds a token's k rows to the residual in order j = 0…k−1
    /// (same result as the per-slot `moeDown`, which runs when it is nil).
    @discardableResult
    public func moeDown(_ a: MoEDownArgs, groups: MoEGroups?) throws -> KernelReport {
        guard let groups else { return try moeDown(a) }
        let kernel = Kernel.moeDownGrouped, name = kernel.shader
        let w = a.experts.weights
        let rows = a.experts.rowsPerExpert
        try requireMatching(groups, tokens: a.tokens, k: a.k, experts: a.experts.count, name)
        try require(a.residualStride >= rows, name, "residual stride \(a.residualStride) is below the \(rows) outputs")
        try require(a.input !== a.residual, name, "input and residual must be different buffers")
        let slots = groups.slots
        try requireFloats(a.input, slots * w.cols, name)
        try requireFloats(a.ids, slots, name)
        try requireFloats(a.routeWeights, slots, name)
        let residualFloats = (a.tokens - 1) * a.residualStride + rows
        try requireFloats(a.residual, residualFloats, name)
        if let bias = a.bias { try requireFloats(bias, a.experts.count * rows, name) }
        let slotOutBytes = slots * rows * 4
        try require(slotOutBytes <= context.limits.maxShaderStorageBlockSize, name,
                    "the per-slot outputs (\(slots) slots × \(rows)) take \(slotOutBytes) bytes, over the device's binding limit of \(context.limits.maxShaderStorageBlockSize); use a smaller batch")
        let shape = try groupedShape(name, tokenTile: groups.tokenTile, format: w.format)
        let rowsPerGroup = 8 * shape.rowThreads
        let groupsX = (rows + rowsPerGroup - 1) / rowsPerGroup
        try groupsFit(groupsX, groups.maxTiles, name)
        let sumGroupsX = (rows + tuning.elementWorkgroup - 1) / tuning.elementWorkgroup
        try groupsFit(sumGroupsX, a.tokens, "f32_moe_slot_sum")
        let sum = try program(Kernel.moeSlotSum, ["WG_SIZE": UInt32(tuning.elementWorkgroup)])
        let program = try program(kernel, shape.overrides)
        let bias = try a.bias ?? scratchBuffer("placeholder", bytes: 16)
        let slotOut = try scratchBuffer("moe.slot_out", bytes: slotOutBytes)
        for chunk in w.chunks {
            var p = UniformWriter(for: program)
            p.u32("n_slots", slots); p.u32("k", a.k); p.u32("rows", rows); p.u32("cols", w.cols)
            p.u32("expert_begin", chunk.rowStart / rows); p.u32("expert_end", (chunk.rowStart + chunk.rowCount) / rows)
            p.u32("x_stride", w.cols); p.u32("has_bias", a.bias == nil ? 0 : 1)
            p.u32("scale_words_per_row", w.scaleWordsPerRow); p.u32("data_vec4_per_row", w.dataVec4PerRow); p.u32("pad0", 0); p.u32("pad1", 0)
            try run(program, params: p,
                    storage: [use(1, chunk.scales), use(2, chunk.data), use(3, bias), use(4, a.input, floats: slots * w.cols),
                              use(5, groups.sortedSlots, floats: slots), use(6, groups.tiles, floats: (1 + groups.maxTiles) * 4),
                              use(7, a.routeWeights, floats: slots), use(8, slotOut, floats: slots * rows)],
                    groups: (groupsX, groups.maxTiles, 1))
        }
        var p = UniformWriter(for: sum)
        p.u32("n_tokens", a.tokens); p.u32("k", a.k); p.u32("rows", rows); p.u32("y_stride", a.residualStride)
        p.u32("n_experts", a.experts.count); p.u32("pad0", 0); p.u32("pad1", 0); p.u32("pad2", 0)
        try run(sum, params: p, storage: [use(1, slotOut, floats: slots * rows), use(2, a.ids, floats: slots),
                                          use(3, a.residual, floats: residualFloats)],
                groups: (sumGroupsX, a.tokens, 1))
        return program.report(dispatches: w.chunks.count + 1, format: w.format)
    }

    // MARK: - Shared checks

    private func requireMatching(_ groups: MoEGroups, tokens: Int, k: Int, experts: Int, _ name: String) throws {
        try require(groups.tokens == tokens && groups.k == k && groups.experts == experts, name,
                    "the groups were made for \(groups.tokens) tokens × k \(groups.k) over \(groups.experts) experts, "
                        + "not \(tokens) × \(k) over \(experts); group the same router output")
    }

    /// The shape of a grouped matrix kernel for a token tile, after checking the device runs it:
    /// `groupedRowGroups` threads along the rows (8 weight rows each), and along the tokens 2, 4
    /// or 8 threads of 4 or 8 tokens (`groupedTokenVecs` picks for 32-token tiles).
    func groupedShape(_ name: String, tokenTile: Int, format: WeightFormat) throws -> GroupedShape {
        let shape = GroupedShape(rowThreads: tuning.grouped.rowGroups, tokenTile: tokenTile, tokenVecs: tuning.grouped.tokenVecs,
                                 stepColumns: tuning.grouped.stepColumns)
        if let problem = shape.problem(limits: context.limits) { throw KernelsError.invalidArgument(kernel: name, message: problem) }
        return shape.with(format: format)
    }
}
