/// The ids of the control tokens Harmony uses, looked up by name in the model's vocabulary
/// (never hard-coded: a GGUF's token list is the authority).
public struct HarmonyControlTokens: Sendable, Equatable {
    public let start: Int       // <|start|>
    public let end: Int         // <|end|>
    public let message: Int     // <|message|>
    public let channel: Int     // <|channel|>
    public let constrain: Int   // <|constrain|>
    public let returnToken: Int // <|return|>
    public let call: Int        // <|call|>

    public init(tokenizer: BPETokenizer) throws {
        start = try tokenizer.requireTokenID(named: "<|start|>")
        end = try tokenizer.requireTokenID(named: "<|end|>")
        message = try tokenizer.requireTokenID(named: "<|message|>")
        channel = try tokenizer.requireTokenID(named: "<|channel|>")
        constrain = try tokenizer.requireTokenID(named: "<|constrain|>")
        returnToken = try tokenizer.requireTokenID(named: "<|return|>")
        call = try tokenizer.requireTokenID(named: "<|call|>")
    }

    /// The tokens that end generation: the answer is complete (<|return|>) or a tool is called (<|call|>).
    public var stopTokens: Set<Int> { [returnToken, call] }
}
