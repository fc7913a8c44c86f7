import GLES

/// When the decode row reductions may use subgroupAdd (the SUBGROUPS override of f32_linear,
/// f32_moe_gate_up_swiglu and f32_moe_down_sum).
///
/// Those kernels give each row THREADS_PER_ROW neighbouring threads and replace the shared-memory
/// reduction of a row group by one subgroupAdd, which is right only if the row group is exactly
/// one subgroup: the device must have subgroup arithmetic in compute shaders, a subgroup size
/// equal to the threads per row, and a workgroup that is a whole number of subgroups. (That the
/// driver maps local_invocation_index [k·size, (k+1)·size) to subgroup k, as NVIDIA, AMD and
/// Intel do for a one-dimensional workgroup, is assumed: GL_KHR_shader_subgroup leaves it open.)
extension KernelTuning {
    /// Whether a row group of `threadsPerRow` threads in a workgroup of `workgroup` is exactly one
    /// subgroup of a device with `subgroups` (nil: no GL_KHR_shader_subgroup).
    public static func rowGroupIsSubgroup(_ subgroups: SubgroupSupport?, threadsPerRow: Int, workgroup: Int) -> Bool {
        guard let subgroups, subgroups.computeSupported, subgroups.features.contains("arithmetic"),
              subgroups.size > 0 else { return false }
        return subgroups.size == threadsPerRow && workgroup % subgroups.size == 0
    }

    /// The SUBGROUPS value (0 or 1) for the row-reduction kernels of this tuning on a device
    /// with `subgroups`: 1 only when `useSubgroups` is on and a row group is one subgroup.
    public func subgroupReduction(on subgroups: SubgroupSupport?) -> UInt32 {
        subgroupReduction(on: subgroups, shape: linearShape)
    }

    /// The same for a launch of `shape` (the MoE kernels may have their own, KernelTuning+RowShapes).
    public func subgroupReduction(on subgroups: SubgroupSupport?, shape: RowReductionShape) -> UInt32 {
        useSubgroups && Self.rowGroupIsSubgroup(subgroups, threadsPerRow: shape.threadsPerRow, workgroup: shape.workgroup) ? 1 : 0
    }
}

extension KernelLibrary {
    /// The SUBGROUPS override of the row-reduction kernels on this library's device and tuning.
    var rowReductionSubgroups: UInt32 { tuning.subgroupReduction(on: context.limits.subgroups) }

    /// The same for a launch of `shape`.
    func rowReductionSubgroups(_ shape: RowReductionShape) -> UInt32 {
        tuning.subgroupReduction(on: context.limits.subgroups, shape: shape)
    }
}
