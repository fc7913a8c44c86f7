/// What a kernel computes: the op family the HUD's kernel panel, the kernel-mode telemetry and
/// `bench --profile` group launches by. The raw values are the telemetry's op names.
public enum KernelOperation: String, CaseIterable, Sendable {
    case embedding
    case rmsnorm
    case matmul
    case rope
    case kvAppend = "kv_append"
    case attentionDecode = "attention_decode"
    case attentionPrefill = "attention_prefill"
    /// The HUD's attention heatmap (not part of the forward pass).
    case attentionProbe = "attention_probe"
    /// Router logits and the top-k softmax over them (alone, or fused with the norm and the
    /// attention output projection in decode).
    case router
    case moe
    case sampling
}

/// Every kernel the library launches, one case per translated shader (`Shaders/glsl/<raw
/// value>.comp`), with the operation it computes: the one table that names kernels. Launchers
/// refer to kernels by case, never by a string, and KernelsTests checks this list against the
/// shader folder both ways.
public enum Kernel: String, CaseIterable, Sendable {
    case embedding = "f32_embedding"
    case rmsNorm = "f32_rmsnorm"
    case linear = "f32_linear"
    case linearTiled = "f32_linear_tiled"
    case ropeYarn = "f32_rope_yarn"
    case kvAppend = "f32_kv_append"
    case attentionDecode = "f32_sdpa_sinks_decode"
    case attentionCombine = "f32_sdpa_combine"
    case attentionPrefill = "f32_sdpa_sinks_prefill"
    case attentionProbe = "f32_attention_probe"
    case routerTopK = "f32_topk_softmax"
    case routerDecode = "f32_router_decode"
    case outRouterDecode = "f32_out_router_decode"
    case moeGateUp = "f32_moe_gate_up_swiglu"
    case moeDown = "f32_moe_down_sum"
    case moeGroup = "f32_moe_group"
    case moeGateUpGrouped = "f32_moe_gate_up_grouped"
    case moeDownGrouped = "f32_moe_down_grouped"
    case moeSlotSum = "f32_moe_slot_sum"
    case logitsReduce = "f32_logits_reduce"
    case logitsSelect = "f32_logits_select"
    case l2Warm = "f32_l2_warm"
    case phaseHandoff = "f32_phase_handoff"

    /// The translated shader's file name, without `.comp`.
    public var shader: String { rawValue }

    public var operation: KernelOperation {
        switch self {
        case .embedding: return .embedding
        case .rmsNorm: return .rmsnorm
        // The warm loads a later matrix kernel's weights into L2 (and computes nothing).
        // The hand-off probe (`probe --phases`) times what the matrix launches of decode would
        // save by running as phases of one launch; it is not part of the forward pass.
        case .linear, .linearTiled, .l2Warm, .phaseHandoff: return .matmul
        case .ropeYarn: return .rope
        case .kvAppend: return .kvAppend
        case .attentionDecode, .attentionCombine: return .attentionDecode
        case .attentionPrefill: return .attentionPrefill
        case .attentionProbe: return .attentionProbe
        // The fused decode launch projects the attention output too; what it ends in (and the
        // reason it exists) is the router.
        case .routerTopK, .routerDecode, .outRouterDecode: return .router
        case .moeGateUp, .moeDown, .moeGroup, .moeGateUpGrouped, .moeDownGrouped, .moeSlotSum: return .moe
        case .logitsReduce, .logitsSelect: return .sampling
        }
    }
}

/// What a launcher did: which kernel (and so which operation), the weight format it read where
/// it reads one, the compiled program's name (shader and specialisation, for logs) and how many
/// dispatches it took (a tensor split over several bindings takes one per range).
public struct KernelReport: Sendable, Equatable {
    public let kernel: Kernel
    public let format: WeightFormat?
    public let program: String
    public let dispatches: Int

    public init(kernel: Kernel, format: WeightFormat?, program: String, dispatches: Int) {
        self.kernel = kernel; self.format = format; self.program = program; self.dispatches = dispatches
    }

    public var operation: KernelOperation { kernel.operation }

    /// The kernel and its format, e.g. `f32_linear mxfp4`: what a profile row is keyed by (Q8_0
    /// and MXFP4 matrix kernels cost differently).
    public var identity: KernelIdentity { KernelIdentity(kernel: kernel, format: format) }
}

/// A kernel as a profile counts it: the kernel and the weight format it read.
public struct KernelIdentity: Hashable, Sendable {
    public let kernel: Kernel
    public let format: WeightFormat?

    public init(kernel: Kernel, format: WeightFormat?) {
        self.kernel = kernel; self.format = format
    }

    public var operation: KernelOperation { kernel.operation }

    /// e.g. `f32_linear mxfp4`, or `f32_rmsnorm`.
    public var label: String { format.map { "\(kernel.shader) \($0)" } ?? kernel.shader }
}
