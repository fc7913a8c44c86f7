import GGUF

/// The tensors a GPT-OSS file must hold, with the shapes its hyperparameters imply (ggml order,
/// ne0 first: the row length comes first) and the types the engine reads for each.
///
/// One table for the whole model, as in docs/gpt-oss.md §3: the loader checks every entry before
/// it reads a byte of weights, so a wrong file fails at once, naming the tensor, the expected and
/// the found shape or type.
public struct TensorTable: Sendable {
    public struct Entry: Sendable, Equatable {
        public let name: String
        /// ggml order: [row length, rows, matrices].
        public let shape: [Int]
        public let role: Role
    }

    /// What a tensor is used for: it decides the GPU layout it gets at placement.
    public enum Role: Sendable, Equatable {
        /// A small vector (norm, bias, sinks): converted to F32 at load whatever its type.
        case vector
        /// A matrix read by matrix × vector kernels, kept in its stored type.
        case matrix
        /// A stack of per-expert matrices [in, out, experts].
        case expertMatrices
        /// The embedding table, read one row per token.
        case embeddingRows
    }

    /// The element types the kernels read for any tensor (docs/gpt-oss.md §3).
    public static let supportedTypes: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .mxfp4]

    public let entries: [Entry]

    public init(config c: ModelConfig) {
        let h = c.embeddingLength, v = c.vocabularySize, e = c.expertCount, f = c.expertFeedForwardLength
        var list: [Entry] = [
            Entry(name: "token_embd.weight", shape: [h, v], role: .embeddingRows),
            Entry(name: "output_norm.weight", shape: [h], role: .vector),
            Entry(name: "output.weight", shape: [h, v], role: .matrix),
        ]
        for n in 0 ..< c.blockCount {
            let b = "blk.\(n)."
            list += [
                Entry(name: b + "attn_norm.weight", shape: [h], role: .vector),
                Entry(name: b + "attn_q.weight", shape: [h, c.qWidth], role: .matrix),
                Entry(name: b + "attn_q.bias", shape: [c.qWidth], role: .vector),
                Entry(name: b + "attn_k.weight", shape: [h, c.kvWidth], role: .matrix),
                Entry(name: b + "attn_k.bias", shape: [c.kvWidth], role: .vector),
                Entry(name: b + "attn_v.weight", shape: [h, c.kvWidth], role: .matrix),
                Entry(name: b + "attn_v.bias", shape: [c.kvWidth], role: .vector),
                Entry(name: b + "attn_output.weight", shape: [c.qWidth, h], role: .matrix),
                Entry(name: b + "attn_output.bias", shape: [h], role: .vector),
                Entry(name: b + "attn_sinks.weight", shape: [c.headCount], role: .vector),
                Entry(name: b + "post_attention_norm.weight", shape: [h], role: .vector),
                Entry(name: b + "ffn_gate_inp.weight", shape: [h, e], role: .matrix),
                Entry(name: b + "ffn_gate_inp.bias", shape: [e], role: .vector),
                Entry(name: b + "ffn_gate_exps.weight", shape: [h, f, e], role: .expertMatrices),
                Entry(name: b + "ffn_gate_exps.bias", shape: [f, e], role: .vector),
                Entry(name: b + "ffn_up_exps.weight", shape: [h, f, e], role: .expertMatrices),
                Entry(name: b + "ffn_up_exps.bias", shape: [f, e], role: .vector),
                Entry(name: b + "ffn_down_exps.weight", shape: [f, h, e], role: .expertMatrices),
                Entry(name: b + "ffn_down_exps.bias", shape: [h, e], role: .vector),
            ]
        }
        entries = list
    }

    /// Tensors each layer has (the `blk.N.` entries of `init(config:)`).
    public static let tensorsPerLayer = 19

    /// N for a tensor named `blk.N.…` (N in decimal without a sign), nil for any other name.
    public static func layerIndex(of name: String) -> Int? {
        guard name.hasPrefix("blk.") else { return nil }
        let rest = name.dropFirst(4)
        guard let dot = rest.firstIndex(of: "."), dot > rest.startIndex,
              rest[..<dot].allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(rest[..<dot]) ?? Int.max
    }

    /// Checks every entry against what the file holds; `lookup` gives a tensor's ggml dimensions
    /// and type, or nil when the file has no tensor of that name.
    public func verify(_ lookup: (String) -> (dimensions: [Int], type: GGMLType)?) throws {
        for entry in entries {
            guard let found = lookup(entry.name) else { throw GPTOSSError.missingTensor(name: entry.name) }
            // ggml drops trailing 1s from shapes; compare with them trimmed on both sides.
            guard trimmed(found.dimensions) == trimmed(entry.shape) else {
                throw GPTOSSError.wrongTensorShape(name: entry.name, expected: entry.shape, found: found.dimensions)
            }
            guard Self.supportedTypes.contains(found.type) else {
                throw GPTOSSError.unsupportedTensorType(
                    name: entry.name, found: found.type.name, supported: Self.supportedTypes.map(\.name))
            }
            if found.type.isQuantized, entry.shape[0] % found.type.blockSize != 0 {
                throw GPTOSSError.wrongTensorShape(name: entry.name, expected: entry.shape, found: found.dimensions)
            }
        }
    }

    private func trimmed(_ shape: [Int]) -> [Int] {
        var s = shape
        while s.count > 1, s.last == 1 { s.removeLast() }
        return s
    }
}
