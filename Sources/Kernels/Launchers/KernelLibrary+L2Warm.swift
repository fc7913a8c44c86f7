import GLES

extension KernelLibrary {
    /// Threads of the warm kernel's workgroups, and the loads each keeps in flight.
    static let l2WarmWorkgroup = 256
    static let l2WarmLoads = 8

    /// Queues loads of every plane of `weights` into the GPU's L2 cache (`f32_l2_warm.wgsl`),
    /// with no barrier before or after: the launches run beside whatever is queued next and
    /// order nothing. Queue them just before a launch that reads few bytes (decode attention) to
    /// hide the weights' memory latency from the launch that reads them after it. They read only
    /// weights, which no launch writes, and write a word nobody reads, so skipping the barriers
    /// is safe; the launch after them orders everything with its own barrier (or chain) as usual.
    @discardableResult
    public func warmL2(_ weights: GPUWeights) throws -> KernelReport {
        let program = try l2WarmProgram(workgroup: Self.l2WarmWorkgroup)
        let sink = try scratchBuffer("l2_warm_sink", bytes: 16)
        var dispatches = 0
        for chunk in weights.chunks {
            for plane in [chunk.scales, chunk.data] where plane.byteCount >= 32 {
                try warmPlane(plane, sink: sink, zeroMask: 0, program: program, maxGroups: tuning.l2WarmWorkgroups)
                dispatches += 1
            }
        }
        return program.report(dispatches: dispatches, format: weights.format)
    }

    /// The warm kernel with `workgroup` threads a workgroup.
    func l2WarmProgram(workgroup: Int) throws -> CompiledKernel {
        try program(.l2Warm, ["WG_SIZE": UInt32(workgroup), "LOADS": UInt32(Self.l2WarmLoads)])
    }

    /// One warm launch of `program` over `plane`: one word of each whole 32-byte sector (the sector comes into
    /// L2 with it). A `zeroMask` other than 0 makes each thread store the XOR of its words into
    /// `sink[0]` (tests use one thread to check that every sector is read exactly once).
    func warmPlane(_ plane: GPUBuffer, sink: GPUBuffer, zeroMask: UInt32, program: CompiledKernel, maxGroups: Int) throws {
        let workgroup = program.program.invocationsPerWorkgroup
        let sectors = plane.byteCount / 32
        let groups = max(1, min(maxGroups, (sectors + workgroup - 1) / workgroup))
        var p = UniformWriter(for: program)
        p.u32("sectors", sectors); p.u32("threads", groups * workgroup); p.u32("zero_mask", Int(zeroMask)); p.u32("pad0", 0)
        try runBeside(program, params: p, storage: [use(1, plane), use(2, sink)], groups: (groups, 1, 1))
    }
}
