/// The names of the forward pass's intermediates, shared by the GPU dispatch list and the CPU
/// reference so that `--dump blk.3.attn_out` means the same tensor in both. Names follow
/// llama.cpp's graph (`attn_norm`, `kqv_out`, `ffn_inp`, `l_out`, …), prefixed by the layer.
public enum Intermediate: Hashable, Sendable, CustomStringConvertible {
    /// The token's embedding row: [hidden].
    case embedding
    /// A per-layer tensor, e.g. `.layer(3, .attentionOutput)` is `blk.3.attn_out`.
    case layer(Int, LayerTensor)
    /// rmsnorm(x) · output_norm after the last layer: [hidden].
    case outputNorm
    /// The logits: [vocab].
    case logits

    public enum LayerTensor: String, CaseIterable, Sendable {
        /// rmsnorm(x) · attn_norm: [hidden].
        case attentionNorm = "attn_norm"
        /// Queries after bias and RoPE: [heads · headDim].
        case query = "q"
        /// Keys after bias and RoPE: [kvHeads · headDim].
        case key = "k"
        /// Values after bias: [kvHeads · headDim].
        case value = "v"
        /// The attention mix of the values, before the output projection: [heads · headDim].
        case attentionMix = "kqv_out"
        /// Wo · mix + bo: [hidden].
        case attentionOutput = "attn_out"
        /// The residual after attention, x + attn_out: [hidden].
        case feedForwardInput = "ffn_inp"
        /// rmsnorm(ffn_inp) · post_attention_norm: [hidden].
        case feedForwardNorm = "ffn_norm"
        /// Router logits before top-k: [experts].
        case routerLogits = "ffn_moe_logits"
        /// Σ w_e · expert_e(h2): [hidden].
        case feedForwardOutput = "ffn_out"
        /// The residual stream leaving the layer: [hidden].
        case layerOutput = "l_out"
    }

    public var description: String {
        switch self {
        case .embedding: return "inp_embd"
        case .layer(let n, let t): return "blk.\(n).\(t.rawValue)"
        case .outputNorm: return "result_norm"
        case .logits: return "result_output"
        }
    }

    /// Parses a name such as `blk.3.attn_out`, checking the layer against `layerCount`.
    public init(name: String, layerCount: Int) throws {
        switch name {
        case "inp_embd": self = .embedding; return
        case "result_norm": self = .outputNorm; return
        case "result_output": self = .logits; return
        default: break
        }
        let parts = name.split(separator: ".", maxSplits: 2).map(String.init)
        if parts.count == 3, parts[0] == "blk", let n = Int(parts[1]), (0 ..< layerCount).contains(n),
           let tensor = LayerTensor(rawValue: parts[2]) {
            self = .layer(n, tensor)
            return
        }
        throw GPTOSSError.unknownIntermediate(name: name, known: Self.allNames(layerCount: layerCount))
    }

    public static func allNames(layerCount: Int) -> [String] {
        var names = ["inp_embd"]
        for n in 0 ..< layerCount { names += LayerTensor.allCases.map { "blk.\(n).\($0.rawValue)" } }
        return names + ["result_norm", "result_output"]
    }

    /// The number of floats this intermediate holds per token position.
    public func width(_ config: ModelConfig) -> Int {
        switch self {
        case .embedding, .outputNorm: return config.embeddingLength
        case .logits: return config.vocabularySize
        case .layer(_, let t):
            switch t {
            case .attentionNorm, .attentionOutput, .feedForwardInput, .feedForwardNorm, .feedForwardOutput, .layerOutput:
                return config.embeddingLength
            case .query, .attentionMix: return config.qWidth
            case .key, .value: return config.kvWidth
            case .routerLogits: return config.expertCount
            }
        }
    }
}
