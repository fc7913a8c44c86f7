/// The GGUF layout of a GPT-OSS model (docs/gpt-oss.md §2–3): metadata keys and the tensor list
/// with names, ggml-order shapes and the types of the common MXFP4 release — Q8_0 embeddings,
/// attention and head, F32 norms, biases, sinks and router, MXFP4 experts.
public struct GPTOSSSyntheticSpec: Sendable, Equatable {
    public var name: String
    public var layers: Int
    public var embedding: Int
    public var headCount: Int
    public var headCountKV: Int
    public var headDim: Int
    public var expertCount: Int
    public var expertsUsed: Int
    public var expertFeedForward: Int
    public var vocabularySize: Int
    public var contextLength = 131_072
    public var slidingWindow = 128
    public var ropeTheta: Float = 150_000
    public var yarnFactor: Float = 32
    public var yarnOriginalContext = 4096
    public var rmsEpsilon: Float = 1e-5

    public enum Preset: String, CaseIterable, Sendable { case tiny, gptOSS20b = "20b", gptOSS120b = "120b" }

    public static func preset(_ preset: Preset) -> GPTOSSSyntheticSpec {
        switch preset {
        case .gptOSS20b:
            return GPTOSSSyntheticSpec(name: "gpt-oss-20b (synthetic)", layers: 24, embedding: 2880, headCount: 64, headCountKV: 8,
                                       headDim: 64, expertCount: 32, expertsUsed: 4, expertFeedForward: 2880, vocabularySize: 201_088)
        case .gptOSS120b:
            return GPTOSSSyntheticSpec(name: "gpt-oss-120b (synthetic)", layers: 36, embedding: 2880, headCount: 64, headCountKV: 8,
                                       headDim: 64, expertCount: 128, expertsUsed: 4, expertFeedForward: 2880, vocabularySize: 201_088)
        case .tiny:
            // The smallest shapes that keep every GPT-OSS structure: GQA (4 query heads per KV
            // head pair), several experts with top-2, rows of whole Q8_0/MXFP4 blocks.
            return GPTOSSSyntheticSpec(name: "gpt-oss-tiny (synthetic)", layers: 2, embedding: 64, headCount: 4, headCountKV: 2,
                                       headDim: 16, expertCount: 4, expertsUsed: 2, expertFeedForward: 64, vocabularySize: 201_088)
        }
    }

    public var queryWidth: Int { headCount * headDim }
    public var kvWidth: Int { headCountKV * headDim }

    /// One tensor of the layout.
    public struct Tensor: Sendable, Equatable {
        public let name: String
        public let dimensions: [UInt64]
        public let fill: SyntheticFill
        public var type: GGMLType { fill.type }
    }

    /// Checks the shapes can be written (whole blocks, GQA divisibility).
    public func validate() throws {
        func fail(_ why: String) -> GGUFError { .writer(detail: "synthetic GPT-OSS spec: \(why)") }
        guard layers > 0, embedding > 0, headCount > 0, headCountKV > 0, headDim > 0, expertCount > 0, expertFeedForward > 0,
              vocabularySize > 0 else { throw fail("every size must be positive") }
        guard headCount % headCountKV == 0 else { throw fail("\(headCountKV) KV heads do not divide \(headCount) query heads") }
        guard (1...expertCount).contains(expertsUsed) else { throw fail("\(expertsUsed) experts used of \(expertCount)") }
        for (what, n) in [("embedding", embedding), ("query width", queryWidth), ("expert width", expertFeedForward)] where n % 32 != 0 {
            throw fail("\(what) \(n) is not a multiple of 32 (Q8_0/MXFP4 blocks)")
        }
        guard headDim % 2 == 0 else { throw fail("head width \(headDim) must be even") }
    }

    /// Tensors in file order: the globals, then each layer.
    public var tensors: [Tensor] {
        let h = UInt64(embedding), v = UInt64(vocabularySize), q = UInt64(queryWidth), kv = UInt64(kvWidth)
        let e = UInt64(expertCount), f = UInt64(expertFeedForward)
        // Scales chosen so values look like trained weights (|w| mostly below ~0.1).
        let matrix = SyntheticFill.q8_0(scale: 0.0006)
        let experts = SyntheticFill.mxfp4(exponents: 119...121)
        let norm = SyntheticFill.f32(center: 1, spread: 0.2)
        let bias = SyntheticFill.f32(center: 0, spread: 0.02)
        var list: [Tensor] = [
            Tensor(name: "token_embd.weight", dimensions: [h, v], fill: .q8_0(scale: 0.0008)),
            Tensor(name: "output_norm.weight", dimensions: [h], fill: norm),
            Tensor(name: "output.weight", dimensions: [h, v], fill: matrix),
        ]
        for n in 0..<layers {
            let b = "blk.\(n)."
            list += [
                Tensor(name: b + "attn_norm.weight", dimensions: [h], fill: norm),
                Tensor(name: b + "attn_q.weight", dimensions: [h, q], fill: matrix),
                Tensor(name: b + "attn_q.bias", dimensions: [q], fill: bias),
                Tensor(name: b + "attn_k.weight", dimensions: [h, kv], fill: matrix),
                Tensor(name: b + "attn_k.bias", dimensions: [kv], fill: bias),
                Tensor(name: b + "attn_v.weight", dimensions: [h, kv], fill: matrix),
                Tensor(name: b + "attn_v.bias", dimensions: [kv], fill: bias),
                Tensor(name: b + "attn_output.weight", dimensions: [q, h], fill: matrix),
                Tensor(name: b + "attn_output.bias", dimensions: [h], fill: bias),
                Tensor(name: b + "attn_sinks.weight", dimensions: [UInt64(headCount)], fill: .f32(center: 0, spread: 2)),
                Tensor(name: b + "post_attention_norm.weight", dimensions: [h], fill: norm),
                Tensor(name: b + "ffn_gate_inp.weight", dimensions: [h, e], fill: .f32(center: 0, spread: 0.05)),
                Tensor(name: b + "ffn_gate_inp.bias", dimensions: [e], fill: bias),
                Tensor(name: b + "ffn_gate_exps.weight", dimensions: [h, f, e], fill: experts),
                Tensor(name: b + "ffn_gate_exps.bias", dimensions: [f, e], fill: bias),
                Tensor(name: b + "ffn_up_exps.weight", dimensions: [h, f, e], fill: experts),
                Tensor(name: b + "ffn_up_exps.bias", dimensions: [f, e], fill: bias),
                Tensor(name: b + "ffn_down_exps.weight", dimensions: [f, h, e], fill: experts),
                Tensor(name: b + "ffn_down_exps.bias", dimensions: [h, e], fill: bias),
            ]
        }
        return list
    }

    /// The `general.*` and `gpt-oss.*` keys with the types llama.cpp's converter writes.
    public var metadata: [(String, GGUFValue)] {
        let a = "gpt-oss."
        return [
            ("general.architecture", .string("gpt-oss")),
            ("general.name", .string(name)),
            ("general.file_type", .uint32(38)),  // LLAMA_FTYPE_MOSTLY_MXFP4_MOE
            (a + "block_count", .uint32(UInt32(layers))),
            (a + "context_length", .uint32(UInt32(contextLength))),
            (a + "embedding_length", .uint32(UInt32(embedding))),
            (a + "feed_forward_length", .uint32(UInt32(expertFeedForward))),
            (a + "attention.head_count", .uint32(UInt32(headCount))),
            (a + "attention.head_count_kv", .uint32(UInt32(headCountKV))),
            (a + "rope.freq_base", .float32(ropeTheta)),
            (a + "attention.layer_norm_rms_epsilon", .float32(rmsEpsilon)),
            (a + "expert_count", .uint32(UInt32(expertCount))),
            (a + "expert_used_count", .uint32(UInt32(expertsUsed))),
            (a + "attention.key_length", .uint32(UInt32(headDim))),
            (a + "attention.value_length", .uint32(UInt32(headDim))),
            (a + "attention.sliding_window", .uint32(UInt32(slidingWindow))),
            (a + "expert_feed_forward_length", .uint32(UInt32(expertFeedForward))),
            (a + "rope.scaling.type", .string("yarn")),
            (a + "rope.scaling.factor", .float32(yarnFactor)),
            (a + "rope.scaling.original_context_length", .uint32(UInt32(yarnOriginalContext))),
        ]
    }

    /// Bytes of tensor data the file will hold.
    public var dataBytes: UInt64 {
        tensors.reduce(0) { $0 + ($1.type.bytes(forElements: $1.dimensions.reduce(1, *)) ?? 0) }
    }
}
