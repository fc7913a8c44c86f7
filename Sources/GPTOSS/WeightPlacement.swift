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

    /// Reads, repacks and uploads every tensor of `model`. `progress` sees (bytes done, bytes total)
    /// after each tensor; telemetry gets one fetch and one upload event per tensor.
    public init(model: ModelFile, context: GLContext, telemetry: TelemetryBus? = nil,
                progress: ((Int, Int) -> Void)? = nil) throws {
        let placer = Placer(model: model, context: context, telemetry: telemetry, progress: progress)
        let c = model.config
        config = c
        let rotary = RotaryEmbedding(config: c)
        rope = try RopeTable(context: context, inverseFrequencies: rotary.inverseFrequencies.map { Float($0) },
                             concentration: Float(rotary.attentionScale))
        tokenEmbedding = try placer.matrix("token_embd.weight")
        layers = try (0 ..< c.blockCount).map { n in
            let b = "blk.\(n)."
            let qkv: QKVProjection
            let parts = try ["attn_q", "attn_k", "attn_v"].map { try placer.packed(b + $0 + ".weight") }
            let biases = try ["attn_q", "attn_k", "attn_v"].map { try placer.floats(b + $0 + ".bias") }
            if Set(parts.map(\.format)).count == 1 {
                qkv = .fused(try placer.upload(PackedWeights.concatenatingRows(parts), label: b + "attn_qkv"),
                             bias: try placer.vector(biases.flatMap { $0 }, label: b + "attn_qkv.bias"))
            } else {
                qkv = .separate(try zip(["attn_q", "attn_k", "attn_v"], zip(parts, biases)).map { name, pair in
                    (try placer.upload(pair.0, label: b + name + ".weight"),
                     bias: try placer.vector(pair.1, label: b + name + ".bias"))
                })
            }
            let experts = c.expertCount
            let gate = try placer.packed(b + "ffn_gate_exps.weight")
            let up = try placer.packed(b + "ffn_up_exps.weight")
            guard gate.format == up.format else {
                throw GPTOSSError.unsupportedTensorType(name: b + "ffn_up_exps.weight", found: up.format.description.uppercased(),
                                                        supported: [gate.format.description.uppercased() + " (the type of ffn_gate_exps)"])
            }
            let gateUp = try placer.experts(PackedWeights.fusedGateUp(gate: gate, up: up, experts: experts),
                                            experts: experts, label: b + "ffn_gate_up_exps")
            let down = try placer.experts(placer.packed(b + "ffn_down_exps.weight"), experts: experts,
                                          label: b + "ffn_down_exps")
            return Layer(
                attentionNorm: try placer.vector(b + "attn_norm.weight"),
                qkv: qkv,
                attentionOutput: try placer.matrix(b + "attn_output.weight"),
                attentionOutputBias: try placer.vector(b + "attn_output.bias"),
                sinks: try placer.vector(b + "attn_sinks.weight"),
                postAttentionNorm: try placer.vector(b + "post_attention_norm.weight"),
                router: try placer.matrix(b + "ffn_gate_inp.weight"),
                routerBias: try placer.vector(b + "ffn_gate_inp.bias"),
                gateUp: gateUp,
                gateUpBias: try placer.vector(fusedGateUpBias(gate: placer.floats(b + "ffn_gate_exps.bias"),
                                                              up: placer.floats(b + "ffn_up_exps.bias"), experts: experts),
                                              label: b + "ffn_gate_up_exps.bias"),
                down: down,
                downBias: try placer.vector(b + "ffn_down_exps.bias"))
        }
        outputNorm = try placer.vector("output_norm.weight")
        output = try placer.matrix("output.weight")
        byteCount = placer.uploadedBytes
    }
}

/// Moves tensors from the file to the GPU one at a time, reporting each move.
private final class Placer {
    let model: ModelFile
    let context: GLContext
    let telemetry: TelemetryBus?
    let progress: ((Int, Int) -> Void)?
    let totalBytes: Int
    var readBytes = 0
    var uploadedBytes = 0

    init(model: ModelFile, context: GLContext, telemetry: TelemetryBus?, progress: ((Int, Int) -> Void)?) {
        self.model = model; self.context = context; self.telemetry = telemetry; self.progress = progress
        totalBytes = model.table.entries.reduce(0) { total, entry in
            total + Int(model.file.tensor(named: entry.name)?.byteCount ?? 0)
        }
    }

    /// The tensor's raw bytes and its rows × cols view (ggml: cols = ne0, rows = the rest).
    func raw(_ name: String) throws -> (info: GGUFTensorInfo, format: WeightFormat, rows: Int, cols: Int, bytes: [UInt8]) {
        let info = try model.info(name)
        guard let format = WeightFormat(ggml: info.type) else {
            throw GPTOSSError.unsupportedTensorType(name: name, found: info.type.name,
                                                    supported: TensorTable.supportedTypes.map(\.name))
        }
        let start = Date()
        let bytes = try model.file.tensorData(info)
        readBytes += bytes.count
        telemetry?.emit(.tensorFetched(TensorTransfer(
            name: name, type: info.type.name.lowercased(), shape: info.dimensions.map { Int($0) },
            bytes: bytes.count, ms: Date().timeIntervalSince(start) * 1000)))
        progress?(readBytes, totalBytes)
        let cols = Int(info.dimensions[0])
        return (info, format, Int(info.elementCount) / cols, cols, bytes)
    }

    func packed(_ name: String) throws -> PackedWeights {
        let r = try raw(name)
        return try PackedWeights.repack(raw: r.bytes, format: r.format, rows: r.rows, cols: r.cols, tensor: name)
    }

    func floats(_ name: String) throws -> [Float] {
        let r = try raw(name)
        return try GGMLBlocks.dequantize(raw: r.bytes, format: r.format, rows: r.rows, cols: r.cols, tensor: name)
    }

    func matrix(_ name: String) throws -> GPUWeights {
        try upload(packed(name), label: name)
    }

    func upload(_ packed: PackedWeights, label: String) throws -> GPUWeights {
        let start = Date()
        let weights = try GPUWeights(context: context, packed: packed, label: label)
        uploaded(label, bytes: weights.byteCount, format: packed.format, shape: [packed.cols, packed.rows], since: start)
        return weights
    }

    func experts(_ packed: PackedWeights, experts: Int, label: String) throws -> GPUExperts {
        let start = Date()
        let stack = try GPUExperts(context: context, packed: packed, experts: experts, label: label)
        uploaded(label, bytes: stack.weights.byteCount, format: packed.format,
                 shape: [packed.cols, packed.rows / experts, experts], since: start)
        return stack
    }

    func vector(_ name: String) throws -> GPUBuffer {
        try vector(floats(name), label: name)
    }

    func vector(_ values: [Float], label: String) throws -> GPUBuffer {
        let start = Date()
        let buffer = try context.makeBuffer(array: values, label: label, usage: .staticData)
        uploaded(label, bytes: buffer.byteCount, format: .f32, shape: [values.count], since: start)
        return buffer
    }

    func uploaded(_ label: String, bytes: Int, format: WeightFormat, shape: [Int], since start: Date) {
        uploadedBytes += bytes
        telemetry?.emit(.tensorUploaded(TensorTransfer(name: label, type: format.description, shape: shape, bytes: bytes,
                                                       ms: Date().timeIntervalSince(start) * 1000)))
        telemetry?.emit(.gpuMemory(GPUMemory(inUseBytes: context.memory.allocatedBytes,
                                             budgetBytes: context.limits.maxBufferSize,
                                             residentTensors: context.memory.bufferCount)))
    }
}
