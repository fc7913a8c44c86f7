import GGUF

/// Reading and writing the tokenizer as GGUF metadata (llama.cpp's keys).
public enum TokenizerMetadataKey {
    public static let model = "tokenizer.ggml.model"
    public static let preTokenizer = "tokenizer.ggml.pre"
    public static let tokens = "tokenizer.ggml.tokens"
    public static let merges = "tokenizer.ggml.merges"
    public static let tokenTypes = "tokenizer.ggml.token_type"
}

extension BPETokenizer {
    /// Values of `tokenizer.ggml.pre` that mean o200k's split regex (llama.cpp maps all four to
    /// the same pre-tokenizer; GPT-OSS files say "gpt-4o").
    public static let o200kPreTokenizerNames: Set<String> = ["gpt-4o", "llama4", "kanana2", "talkie"]

    /// The tokenizer a GGUF file describes. Only byte-level BPE ("gpt2") with o200k's
    /// pre-tokenizer (`o200kPreTokenizerNames`, or none stated) is accepted.
    public convenience init(gguf file: GGUFFile) throws {
        guard let model = file.string(TokenizerMetadataKey.model) else {
            throw TokenizerError.missingMetadata(TokenizerMetadataKey.model)
        }
        guard model == O200kVocabulary.ggufModel else { throw TokenizerError.unsupportedModel(model) }
        if let pre = file.string(TokenizerMetadataKey.preTokenizer), !Self.o200kPreTokenizerNames.contains(pre) {
            throw TokenizerError.unsupportedPreTokenizer(pre)
        }
        guard let tokens = file.stringArray(TokenizerMetadataKey.tokens) else {
            throw TokenizerError.missingMetadata(TokenizerMetadataKey.tokens)
        }
        guard let merges = file.stringArray(TokenizerMetadataKey.merges) else {
            throw TokenizerError.missingMetadata(TokenizerMetadataKey.merges)
        }
        let types = file.int32Array(TokenizerMetadataKey.tokenTypes) ?? []
        try self.init(tokens: tokens, merges: merges, tokenTypes: types)
    }
}

extension O200kVocabulary {
    /// Writes the o200k_harmony tokenizer metadata (model, pre-tokenizer, tokens, merges, token
    /// types) into a GGUF being written, as llama.cpp's converter does for gpt-oss.
    public func writeTokenizerMetadata(into writer: GGUFWriter) {
        writer.set(TokenizerMetadataKey.model, .string(Self.ggufModel))
        writer.set(TokenizerMetadataKey.preTokenizer, .string(Self.ggufPreTokenizer))
        writer.set(TokenizerMetadataKey.tokens, .array(GGUFArray(.string(tokens))))
        writer.set(TokenizerMetadataKey.merges, .array(GGUFArray(.string(merges))))
        writer.set(TokenizerMetadataKey.tokenTypes, .array(GGUFArray(.int32(tokenTypes))))
    }
}
