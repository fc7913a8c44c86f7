import ArgumentParser
import Foundation
import Tokenizer

/// The text-level half of `generate`: what the user says and how the Harmony prompt is built.
/// Either `--prompt` (one user message) or `--conversation FILE.json` (a whole history).
struct ChatOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "The user's message; rendered as a Harmony conversation ending in <|start|>assistant.")
    var prompt: String?

    @Option(help: "A conversation JSON file ({\"system\": {...}, \"developer\": \"...\", \"messages\": [...]}).")
    var conversation: String?

    @Option(parsing: .unconditional, help: "Replace the model identity line of the system message.")
    var system: String?

    @Option(parsing: .unconditional, help: "Developer instructions (rendered as '# Instructions').")
    var developer: String?

    @Option(parsing: .unconditional, help: "Reasoning effort in the system message: low, medium or high.")
    var reasoning: String?

    @Option(parsing: .unconditional, help: "Current date for the system message (YYYY-MM-DD).")
    var date: String?

    @Flag(help: "Print the analysis channel (chain of thought) to stderr, dimmed.")
    var showAnalysis = false

    /// True when the user asked for text-level generation.
    var isChat: Bool { prompt != nil || conversation != nil }

    func validate() throws {
        if prompt != nil && conversation != nil {
            throw ValidationError("Give either --prompt or --conversation, not both.")
        }
        if let reasoning, ReasoningEffort(rawValue: reasoning) == nil {
            throw ValidationError("--reasoning is '\(reasoning)'; use low, medium or high.")
        }
        if let date, date.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression) == nil {
            throw ValidationError("--date is '\(date)'; use YYYY-MM-DD.")
        }
    }

    /// The conversation to render: the file's, or one user message; command-line system and
    /// developer options override what the file says.
    func makeConversation() throws -> HarmonyConversation {
        var result: HarmonyConversation
        if let conversation {
            result = try HarmonyConversation(contentsOfFile: conversation)
        } else {
            result = HarmonyConversation(system: HarmonySystem(reasoning: .low), messages: [.user(prompt ?? "")])
        }
        if let system { result.system.identity = system }
        if let reasoning, let effort = ReasoningEffort(rawValue: reasoning) { result.system.reasoning = effort }
        if let date { result.system.date = date }
        if let developer { result.developer = developer }
        return result
    }
}
