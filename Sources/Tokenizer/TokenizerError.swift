import Foundation

/// Everything that can go wrong in the Tokenizer module: building a vocabulary, reading one
/// from GGUF metadata, decoding ids, reading a conversation file.
public enum TokenizerError: LocalizedError, Equatable {
    /// The GGUF's `tokenizer.ggml.model` is not byte-level BPE.
    case unsupportedModel(String)
    /// The GGUF's `tokenizer.ggml.pre` names a pre-tokenizer other than o200k's.
    case unsupportedPreTokenizer(String)
    /// A metadata key the tokenizer needs is missing.
    case missingMetadata(String)
    /// Tokens, types or merges disagree with each other.
    case inconsistentVocabulary(String)
    /// A token string holds a character outside the GPT-2 byte alphabet.
    case notByteLevel(tokenID: Int, token: String)
    /// A merge line is not "left right" or names tokens that do not exist.
    case badMerge(index: Int, merge: String, reason: String)
    /// The tiktoken ranks file could not be read or parsed.
    case badRanksFile(path: String, line: Int, reason: String)
    /// The bundled vocabulary could not be found.
    case assetNotFound(String)
    /// A token id outside the vocabulary.
    case tokenOutOfRange(id: Int, vocabularySize: Int)
    /// A control token the Harmony format needs is not in the vocabulary.
    case missingSpecialToken(String)
    /// The conversation JSON is malformed.
    case badConversation(String)
    /// A list of token ids (CLI input) could not be read.
    case badTokenIDs(String)

    public var errorDescription: String? {
        switch self {
        case .unsupportedModel(let model):
            return "tokenizer model '\(model)' is not supported: only byte-level BPE ('gpt2' in tokenizer.ggml.model) is. "
                + "Hint: this engine reads GPT-OSS GGUF files, whose tokenizer is o200k_harmony."
        case .unsupportedPreTokenizer(let pre):
            return "pre-tokenizer '\(pre)' (tokenizer.ggml.pre) is not supported: only o200k's ('gpt-4o') is implemented, so this model's text would be split wrongly."
        case .missingMetadata(let key):
            return "GGUF metadata key '\(key)' is missing. Hint: the file needs the tokenizer arrays a llama.cpp-style converter writes."
        case .inconsistentVocabulary(let detail):
            return "inconsistent tokenizer vocabulary: \(detail)"
        case .notByteLevel(let id, let token):
            return "token \(id) '\(token)' has a character outside the GPT-2 byte alphabet, so it is not a byte-level BPE token."
        case .badMerge(let index, let merge, let reason):
            return "merge \(index) '\(merge)': \(reason)"
        case .badRanksFile(let path, let line, let reason):
            return "\(path):\(line): \(reason). Hint: the file should be tiktoken's o200k_base.tiktoken (one 'base64 rank' per line)."
        case .assetNotFound(let what):
            return "\(what) not found. Hint: set GPTOSS_GL_HOME to the gptoss-gl checkout (it holds Assets/tokenizer/o200k_base.tiktoken)."
        case .tokenOutOfRange(let id, let size):
            return "token id \(id) is outside the vocabulary (0..<\(size))."
        case .missingSpecialToken(let name):
            return "the vocabulary has no '\(name)' token, which the Harmony chat format needs. Hint: use a GPT-OSS (o200k_harmony) model."
        case .badConversation(let detail):
            return "bad conversation: \(detail)"
        case .badTokenIDs(let detail):
            return "bad token ids: \(detail)"
        }
    }
}
