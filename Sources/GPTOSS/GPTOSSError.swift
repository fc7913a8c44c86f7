import Foundation

/// Everything that can go wrong while loading or running a GPT-OSS model. Each message names
/// what was wrong, where, and ends with a hint.
public enum GPTOSSError: LocalizedError, Equatable {
    /// The file's `general.architecture` is not `gpt-oss`.
    case wrongArchitecture(found: String?)
    /// A required metadata key is absent or has a value the engine cannot use.
    case badMetadata(key: String, problem: String)
    /// A tensor the model needs is not in the file.
    case missingTensor(name: String)
    /// A tensor's shape differs from the one the hyperparameters imply.
    case wrongTensorShape(name: String, expected: [Int], found: [Int])
    /// A tensor is stored in a type the engine does not read for that tensor.
    case unsupportedTensorType(name: String, found: String, supported: [String])
    /// A token id is outside the vocabulary.
    case tokenOutOfRange(token: Int, vocabularySize: Int)
    /// The caller asked for an empty sequence or more positions than the KV cache holds.
    case badSequence(String)
    /// The KV cache and scratch buffers cannot fit in the GPU memory the device reports.
    case contextTooLarge(context: Int, neededBytes: Int, availableBytes: Int)
    /// `--gpu-memory-budget` cannot hold the resident weights, the KV cache, scratch and one expert slot per layer.
    case budgetTooSmall(budgetBytes: Int, minimumBytes: Int, detail: String)
    /// `--dump` named an intermediate that the forward pass does not produce.
    case unknownIntermediate(name: String, known: [String])
    /// A sampling parameter is out of range.
    case badSamplingParameter(String)
    /// The attention telemetry was asked for a layer, head count or column count the model lacks.
    case badAttentionProbe(String)
    /// The logits of a step hold no finite value to choose (NaN or infinity from the forward pass).
    case nonFiniteLogits(position: Int)

    public var errorDescription: String? {
        switch self {
        case .wrongArchitecture(let found):
            return "the file's general.architecture is \(found.map { "'\($0)'" } ?? "missing"), not 'gpt-oss'. "
                + "Hint: this engine runs GPT-OSS GGUF files only (e.g. ggml-org/gpt-oss-20b-GGUF)."
        case .badMetadata(let key, let problem):
            return "metadata key '\(key)': \(problem). Hint: re-convert the model with a current llama.cpp/gguf-py."
        case .missingTensor(let name):
            return "tensor '\(name)' is missing from the file. Hint: the file is truncated or not a GPT-OSS model."
        case .wrongTensorShape(let name, let expected, let found):
            return "tensor '\(name)' has shape \(found), expected \(expected) (ggml order, ne0 first) "
                + "from the file's hyperparameters. Hint: the metadata and the weights disagree; re-convert the file."
        case .unsupportedTensorType(let name, let found, let supported):
            return "tensor '\(name)' is stored as \(found); supported for it: \(supported.joined(separator: ", ")). "
                + "Hint: use a GGUF quantised to one of those types."
        case .tokenOutOfRange(let token, let vocabularySize):
            return "token id \(token) is outside the vocabulary 0..<\(vocabularySize). Hint: check the --tokens list."
        case .badSequence(let message):
            return message
        case .contextTooLarge(let context, let needed, let available):
            return "a context of \(context) tokens needs \(needed / (1 << 20)) MiB of GPU memory for the KV cache "
                + "and scratch buffers, but the device reports \(available / (1 << 20)) MiB free. "
                + "Hint: pass a smaller --context."
        case .budgetTooSmall(let budget, let minimum, let detail):
            return "a GPU memory budget of \(ByteSize.format(budget)) is too small for this model: it needs at least "
                + "\(ByteSize.format(minimum)) (\(detail)). Hint: pass --gpu-memory-budget \(ByteSize.format(minimum, roundingUp: true)) "
                + "or more, or a smaller --context / --batch."
        case .unknownIntermediate(let name, let known):
            return "no intermediate named '\(name)'. Known names: \(known.prefix(12).joined(separator: ", "))"
                + (known.count > 12 ? ", …" : "") + ". Hint: blk.N.<name> with N a layer index."
        case .badSamplingParameter(let message):
            return message
        case .badAttentionProbe(let message):
            return "attention telemetry: \(message). Hint: leave --attention-layer out for the last full-attention layer."
        case .nonFiniteLogits(let position):
            return "the logits after position \(position) are not finite (NaN or infinity): the forward pass overflowed or "
                + "read bad data. Hint: `gptoss-gl logits --dump` shows the first layer where it happens; report it with the model file."
        }
    }
}
