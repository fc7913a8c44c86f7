/// Token types as GGUF's `tokenizer.ggml.token_type` stores them (llama.cpp's numbering).
public enum TokenType: Int32, Sendable {
    case normal = 1
    case unknown = 2
    case control = 3
    case userDefined = 4
    case unused = 5
    case byte = 6
}
