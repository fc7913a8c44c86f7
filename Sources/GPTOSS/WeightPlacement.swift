import Foundation
import GGUF
import GLES
import Kernels
import Telemetry

/// The model's weights on the GPU, in the layouts the kernels read.
///
/// Placement streams the file tensor by tensor: read the raw ggml bytes, repack the blocks into
/// aligned planes (scales apart from quants), upload, drop the CPU copy. Small vectors (norms,
/// biases, sinks) become F32 whatever their stored type. Per layer, Q, K and V are fused into one
/// matrix (one dispatch instead of three) when they share a type, and each expert's gate and up
/// rows are fused for the gate/up kernel.
public final class GPUModelWeights {
    public let config: ModelConfig
    /// [vocab][hidden], read one row per token.
    public let tokenEmbedding: GPUWeights
    public let outputNorm: GPUBuffer
    /// [vocab][hidden].
    public let output: GPUWeights
    public let layers: [Layer]
    public let rope: RopeTable

    public final class Layer {
        public let attentionNorm: GPUBuffer
        /// Q, K and V projections: one fused matrix whose output is [q | k | v], or three.
        public let qkv: QKVProjection
        public let attentionOutput: GPUWeights
        public let attentionOutputBias: GPUBuffer
        public let sinks: GPUBuffer
        public let postAttentionNorm: GPUBuffer
        public let router: GPUWeights
        public let routerBias: GPUBuffer
        /// Per expert: ff gate rows then ff up rows, each of hidden columns.
        public let gateUp: GPUExperts
        /// Per expert: gate bias then up bias.
        public let gateUpBias: GPUBuffer
        /// Per expert: hidden rows of ff columns.
        public let down: GPUExperts
        public let downBias: GPUBuffer

        init(attentionNorm: GPUBuffer, qkv: QKVProjection, attentionOutput: GPUWeights, attentionOutputBias: GPUBuffer,
             sinks: GPUBuffer, postAttentionNorm: GPUBuffer, router: GPUWeights, routerBias: GPUBuffer,
             gateUp: GPUExperts, gateUpBias: GPUBuffer, down: GPUExperts, downBias: GPUBuffer) {
            self.attentionNorm = attentionNorm; self.qkv = qkv
            self.attentionOutput = attentionOutput; self.attentionOutputBias = attentionOutputBias
            self.sinks = sinks; self.postAttentionNorm = postAttentionNorm
            self.router = router; self.routerBias = routerBias
            self.gateUp = gateUp; self.gateUpBias = gateUpBias; self.down = down; self.downBias = downBias
        }
    }

    /// The Q, K, V projections writing one [q | k | v] row per token.
    public enum QKVProjection {
        case fused(GPUWeights, bias: GPUBuffer)
        case separate([(GPUWeights, bias: GPUBuffer)])
    }

    /// Bytes of weights on the GPU.
    public let byteCount: Int
    /// With a GPU memory budget: every layer's experts in host memory and a GPU pool of slots
    /// per layer (the layers' `gateUp`/`down` tensors are then those pools). Nil: all resident.
    public let expertCache: ExpertCache?
    /// Where the placement's time went (see docs/residency.md).
    public let loadTimings: LoadTimings

    /// Reads, repacks and uploads every tensor of `model`. `progress` sees (bytes done, bytes total)
    /// after each tensor; telemetry gets one fetch and one upload event per tensor.
    /// `experts`: all resident (default) or cached in `slots` GPU slots per layer.
    /// `uploadMethod`: nil for the device's default (`WeightUploadMethod.current`);
    /// `printsTimings`: where the time went, to stderr (GPTOSS_GL_LOAD_TIMING).
    public init(model: ModelFile, context: GLContext, experts residency: ExpertResidency = .resident,
                uploadMethod: WeightUploadMethod? = nil, printsTimings: Bool = false,
                telemetry: TelemetryBus? = nil, progress: ((Int, Int) -> Void)? = nil) throws {
        let c = model.config
        let placer = Placer(model: model, context: context, uploadMethod: uploadMethod, telemetry: telemetry, progress: progress)
        placer.start(order: Self.placementOrder(c))
        defer { placer.stop() }
        let placementStart = Date()
        config = c
        let rotary = RotaryEmbedding(config: c)
        rope = try RopeTable(context: context, inverseFrequencies: rotary.inverseFrequencies.map { Float($0) },
                             concentration: Float(rotary.attentionScale))
        tokenEmbedding = try placer.matrix("token_embd.weight")
        var hostExperts: [ExpertCache.HostLayer] = []
        layers = try (0 ..< c.blockCount).map { n in
            let b = "blk.\(n)."
            let qkv = try placer.qkv(layer: b)
            let experts = c.expertCount
            let gateUpBias = fusedGateUpBias(gate: try placer.floats(b + "ffn_gate_exps.bias"),
                                             up: try placer.floats(b + "ffn_up_exps.bias"), experts: experts)
            let downBias = try placer.floats(b + "ffn_down_exps.bias")
            let gateUp: GPUExperts, down: GPUExperts, gateUpBiasBuffer: GPUBuffer, downBiasBuffer: GPUBuffer
            switch residency {
            case .resident:
                gateUp = try placer.gateUpExperts(layer: b, experts: experts)
                down = try placer.downExperts(layer: b, experts: experts)
                gateUpBiasBuffer = try placer.vector(gateUpBias, label: b + "ffn_gate_up_exps.bias")
                downBiasBuffer = try placer.vector(downBias, label: b + "ffn_down_exps.bias")
            case .cached(let slots):
                let host = ExpertCache.HostLayer(gateUp: try placer.hostGateUpExperts(layer: b, experts: experts),
                                                 down: try placer.hostDownExperts(layer: b, experts: experts),
                                                 gateUpBias: gateUpBias, downBias: downBias)
                hostExperts.append(host)
                let pool = try ExpertCache.makePool(context: context, host: host, slots: slots, layer: b)
                gateUp = pool.gateUp; down = pool.down
                gateUpBiasBuffer = pool.gateUpBias; downBiasBuffer = pool.downBias
                placer.uploaded(b + "expert pool", bytes: pool.byteCount, format: host.gateUp.format,
                                shape: [slots], since: Date())
            }
            return Layer(
                attentionNorm: try placer.vector(b + "attn_norm.weight"),
                qkv: qkv,
                attentionOutput: try placer.matrix(b + "attn_output.weight"),
                attentionOutputBias: try placer.vector(b + "attn_output.bias"),
                sinks: try placer.vector(b + "attn_sinks.weight"),
                postAttentionNorm: try placer.vector(b + "post_attention_norm.weight"),
                router: try placer.matrix(b + "ffn_gate_inp.weight"),
                routerBias: try placer.vector(b + "ffn_gate_inp.bias"),
                gateUp: gateUp, gateUpBias: gateUpBiasBuffer, down: down, downBias: downBiasBuffer)
        }
        outputNorm = try placer.vector("output_norm.weight")
        output = try placer.matrix("output.weight")
        byteCount = placer.uploadedBytes
        if case .cached(let slots) = residency {
            expertCache = ExpertCache(context: context, layers: hostExperts, pools: layers.map { ($0.gateUp, $0.gateUpBias, $0.down, $0.downBias) },
                                      slots: slots)
        } else {
            expertCache = nil
        }
        var timings = placer.timings
        timings.totalSeconds = Date().timeIntervalSince(placementStart)
        timings.bytes = placer.readBytes
        timings.unplannedReads = placer.unplannedReads
        loadTimings = timings
        if printsTimings {
            FileHandle.standardError.write((timings.summary + "\n").data(using: .utf8)!)
        }
    }

    /// The order in which `init` asks for tensors: the prefetcher reads them in this order.
    static func placementOrder(_ c: ModelConfig) -> [String] {
        var names = ["token_embd.weight"]
        for n in 0 ..< c.blockCount {
            let b = "blk.\(n)."
            names += ["attn_q.weight", "attn_k.weight", "attn_v.weight", "attn_q.bias", "attn_k.bias", "attn_v.bias",
                      "ffn_gate_exps.bias", "ffn_up_exps.bias", "ffn_down_exps.bias",
                      "ffn_gate_exps.weight", "ffn_up_exps.weight", "ffn_down_exps.weight",
                      "attn_norm.weight", "attn_output.weight", "attn_output.bias", "attn_sinks.weight",
                      "post_attention_norm.weight", "ffn_gate_inp.weight", "ffn_gate_inp.bias"].map { b + $0 }
        }
        return names + ["output_norm.weight", "output.weight"]
    }
}

/// Where a model's experts live.
public enum ExpertResidency: Equatable, Sendable {
    /// Every expert on the GPU (the default).
    case resident
    /// Experts in host memory, `slots` of each layer's on the GPU at a time (LRU).
    case cached(slots: Int)
}

/// Seconds spent in each stage of placement. Reading runs on a background thread, overlapped
/// with the rest; `waitSeconds` is the time placement stood still waiting for it.
public struct LoadTimings: Sendable, Equatable {
    public var bytes = 0
    /// How the planes reached the driver (`WeightUploadMethod`).
    public var uploadMethod = WeightUploadMethod.staged
    public var totalSeconds = 0.0
    /// Sum of the reads' durations (background, several threads per large local tensor).
    public var readSeconds = 0.0
    /// Placement waiting for the next tensor's bytes.
    public var waitSeconds = 0.0
    /// Repacking into the upload memory (several threads).
    public var repackSeconds = 0.0
    /// Moving the planes to the driver: map/unmap or glBufferSubData, and buffer creation.
    public var transferSeconds = 0.0
    /// Small vectors: dequantise to F32 and upload.
    public var vectorSeconds = 0.0
    /// Tensors read outside the planned order (on the placing thread, not overlapped).
    public var unplannedReads = 0

    public var gigabytesPerSecond: Double { totalSeconds > 0 ? Double(bytes) / totalSeconds / 1e9 : 0 }

    public var summary: String {
        func f(_ x: Double) -> String { String(format: "%.3f", x) }
        return "load stages: \(bytes) bytes in \(f(totalSeconds)) s (\(f(gigabytesPerSecond)) GB/s); read \(f(readSeconds)) s "
            + "(background), waited \(f(waitSeconds)) s, repack \(f(repackSeconds)) s, transfer \(f(transferSeconds)) s, "
            + "vectors \(f(vectorSeconds)) s, \(uploadMethod.rawValue) upload, \(RowRepacker.defaultThreads) threads"
    }
}

extension GPUModelWeights {
    /// Runs layer `n`'s MoE: once with `routed` (the router's [tokens][k] expert ids) when every
    /// expert is resident, else once per `ExpertCache` pass with slot ids. `body` gets the ids
    /// buffer for the MoE kernels and whether it is the step's first pass.
    func forEachExpertPass(layer n: Int, routed: GPUBuffer, tokens: Int, k: Int,
                           body: (GPUBuffer, Bool) throws -> Void) throws {
        guard let expertCache else { return try body(routed, true) }
        try expertCache.forEachPass(layer: n, routed: routed, tokens: tokens, k: k, body: body)
    }
}
