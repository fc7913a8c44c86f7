import GLES
import Kernels

/// Which kernels a forward step runs, decided once per step from its shape, the weights and what
/// the kernel library can do on this GPU. The forward pass only follows it: no capability checks
/// sit inside the layer loop.
struct StepPlan {
    /// How a layer computes [q | k | v] and gets k and v into the cache.
    enum Projection: Equatable {
        /// One launch: rmsnorm, the fused QKV matrix, RoPE on q and k, and the f32 cache append
        /// (one token of one sequence).
        case normRopeAppendInProjection
        /// The norm rides in the projection; a RoPE launch follows (appending to an f32 cache).
        case normInProjection
        /// A norm launch, the projection(s), then RoPE (per sequence when several share the step).
        case separate
    }

    /// How a layer turns the attention mix into the residual and picks experts.
    enum Router: Equatable {
        /// Output projection + residual, rmsnorm, router and top-k in one launch.
        case withOutputProjection
        /// The projection, then norm + router + top-k in one launch.
        case fused
        /// Projection, norm, router matrix, top-k: four launches (any number of rows).
        case separate
    }

    struct Layer {
        let projection: Projection
        let router: Router
    }

    let shape: StepShape
    let layers: [Layer]
    /// The MoE groups each expert's tokens before its matrices (prefill-sized steps).
    let groupedExperts: Bool
    /// The output head folds the final norm into its launch (one row, no dump of the norm).
    let normInHead: Bool
    /// Decode steps (one token a sequence) warm the attention output projection in L2 beside
    /// attention, and the next layer's QKV projection beside the MoE down launch, as the tuning
    /// asks (`KernelLibrary.warmL2`). Prefill-sized steps read each weight many times and are
    /// bound by arithmetic, not latency: no warming.
    let warmsAttentionOutput: Bool
    let warmsNextProjection: Bool

    init(shape: StepShape, weights: GPUModelWeights, kernels: KernelLibrary, config c: ModelConfig) {
        self.shape = shape
        let single = shape.isSingleTokenDecode
        func wants(_ n: Int, _ t: Intermediate.LayerTensor) -> Bool { shape.wanted.contains(.layer(n, t)) }
        layers = weights.layers.enumerated().map { n, layer in
            let cache = shape.sequences[0].cache.layers[n]
            let projection: Projection
            if !single || wants(n, .attentionNorm) {
                projection = .separate
            } else if case .fused(let w, _) = layer.qkv, kernels.canFuseRope(into: w, cache: cache) {
                projection = .normRopeAppendInProjection
            } else {
                projection = .normInProjection
            }
            let router: Router
            if !single || wants(n, .routerLogits) || kernels.routerDecodeWorkgroup(for: layer.router, k: c.expertUsedCount) == nil {
                router = .separate
            } else if !wants(n, .feedForwardInput),
                      kernels.outRouterDecodeWorkgroup(projection: layer.attentionOutput, router: layer.router,
                                                       k: c.expertUsedCount) != nil {
                router = .withOutputProjection
            } else {
                router = .fused
            }
            return Layer(projection: projection, router: router)
        }
        groupedExperts = weights.layers.first.map {
            kernels.groupedExpertsWorthwhile(down: $0.down, k: c.expertUsedCount, tokens: shape.rows)
        } ?? false
        normInHead = shape.headRows?.count == 1 && !shape.wanted.contains(.outputNorm)
        let decodeShaped = shape.sequences.allSatisfy { $0.tokens == 1 }
        warmsAttentionOutput = decodeShaped && kernels.tuning.warmAttentionOutput
        warmsNextProjection = decodeShaped && kernels.tuning.warmNextProjection
    }
}
