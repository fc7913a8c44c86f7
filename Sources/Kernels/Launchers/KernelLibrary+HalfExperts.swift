import GLES

/// When the per-slot MoE launchers take the packed-f16 twins of their kernels
/// (f16_moe_gate_up_swiglu, f16_moe_down_sum; why in Shaders/wgsl/lib/fp4_half.wesl): MXFP4
/// experts, the tuning's switch on, a device whose GLSL has f16 arithmetic through an extension
/// the translator's output names (GL_NV_gpu_shader5 or GL_EXT_shader_explicit_arithmetic_types_float16),
/// and the staged activations fitting in shared memory. Anything else (llvmpipe, which has no
/// 16-bit types; other formats) keeps the f32 kernels, so the choice is made from the probed
/// limits and never fails a launch.
public struct HalfExpertsPlan: Sendable, Equatable {
    public let shape: RowReductionShape
    /// cols / 32: the BLOCKS override.
    public let blocks: Int

    /// The extensions through which the translated f16 kernels compile.
    public static let extensions = ["GL_NV_gpu_shader5", "GL_EXT_shader_explicit_arithmetic_types_float16"]

    /// The plan for experts of `format` × `cols` whose kernel stages `slots` activation rows
    /// (1 for gate/up, 4 for down) plus `reductionFloats` f32 per thread, or nil.
    public static func make(tuning: KernelTuning, limits: GPULimits, format: WeightFormat, cols: Int, slots: Int,
                            reductionFloats: Int) -> HalfExpertsPlan? {
        guard tuning.moe.halfArithmetic, format == .mxfp4, cols % 32 == 0, cols > 0,
              limits.float16.extensions.contains(where: extensions.contains) else { return nil }
        let shape = RowReductionShape(workgroup: tuning.moe.halfWorkgroup, threadsPerRow: 32)
        guard shape.workgroup % 32 == 0, shape.workgroup <= limits.maxComputeWorkGroupInvocations else { return nil }
        let blocks = cols / 32
        let sharedBytes = slots * 4 * blocks * 16 + reductionFloats * shape.workgroup * 4
        guard sharedBytes <= limits.maxComputeSharedMemorySize else { return nil }
        return HalfExpertsPlan(shape: shape, blocks: blocks)
    }
}

extension KernelLibrary {
    /// The f16 gate/up twin's plan for these experts, or nil (f32 kernel).
    func halfGateUpPlan(_ w: GPUWeights) -> HalfExpertsPlan? {
        HalfExpertsPlan.make(tuning: tuning, limits: context.limits, format: w.format, cols: w.cols, slots: 1, reductionFloats: 2)
    }

    /// The f16 down twin's plan, or nil: it stages the activations of at most four experts a token.
    func halfDownPlan(_ w: GPUWeights, k: Int) -> HalfExpertsPlan? {
        guard k <= 4 else { return nil }
        return HalfExpertsPlan.make(tuning: tuning, limits: context.limits, format: w.format, cols: w.cols, slots: 4, reductionFloats: 1)
    }
}
