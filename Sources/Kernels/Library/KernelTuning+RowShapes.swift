import GLES

/// The threads of a row-reduction launch (f32_linear, f32_moe_gate_up_swiglu, f32_moe_down_sum):
/// a workgroup of `workgroup` threads, `threadsPerRow` neighbouring ones sharing each row.
public struct RowReductionShape: Sendable, Equatable {
    public let workgroup: Int
    public let threadsPerRow: Int
    public var rowsPerGroup: Int { workgroup / threadsPerRow }
}

extension KernelTuning {
    /// The linear kernels' shape.
    public var linearShape: RowReductionShape {
        RowReductionShape(workgroup: linear.workgroup, threadsPerRow: linear.threadsPerRow)
    }

    /// The per-slot MoE kernels' shapes: `moe`'s sizes where set, else the linear kernels'.
    public var moeGateUpShape: RowReductionShape {
        RowReductionShape(workgroup: moe.workgroup ?? linear.workgroup, threadsPerRow: moe.gateUpThreadsPerRow ?? linear.threadsPerRow)
    }

    public var moeDownShape: RowReductionShape {
        RowReductionShape(workgroup: moe.workgroup ?? linear.workgroup, threadsPerRow: moe.downThreadsPerRow ?? linear.threadsPerRow)
    }
}

extension KernelLibrary {
    /// Checks that `shape` is one the row-reduction kernels can run on this device: whole rows
    /// per workgroup, a power-of-two row (the shared-memory reduction halves it), a workgroup the
    /// device allows.
    func requireRowShape(_ shape: RowReductionShape, _ kernel: String) throws {
        let t = shape.threadsPerRow, wg = shape.workgroup
        try require(t > 0 && t.nonzeroBitCount == 1 && wg % t == 0, kernel,
                    "\(t) threads a row must be a power of two dividing the \(wg)-thread workgroup (GPTOSS_GL_TUNE)")
        try require(wg <= context.limits.maxComputeWorkGroupInvocations, kernel,
                    "a \(wg)-thread workgroup is over the device's \(context.limits.maxComputeWorkGroupInvocations) (GPTOSS_GL_TUNE)")
    }
}
