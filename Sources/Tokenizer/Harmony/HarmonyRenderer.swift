/// Renders a conversation into prompt token ids the way openai-harmony's
/// `render_conversation_for_completion(…, assistant)` does for gpt-oss:
///
///     <|start|>system<|message|>{identity}\nKnowledge cutoff: …\n[Current date: …\n]\nReasoning: …\n\n# Valid channels: …<|end|>
///     <|start|>developer<|message|># Instructions\n\n{text}[\n\n# Tools\n\n## functions …]<|end|>
///     <|start|>{role}[ to={recipient}][<|channel|>{channel}][ {content type}]<|message|>{content}<|end|>   (… <|call|> for a tool call)
///     <|start|>assistant
///
/// Control tokens come only from here; every text part (including user text that looks like a
/// control token) is encoded as ordinary text.
public struct HarmonyRenderer {
    public let tokenizer: BPETokenizer
    public let control: HarmonyControlTokens

    public init(tokenizer: BPETokenizer) throws {
        self.tokenizer = tokenizer
        self.control = try HarmonyControlTokens(tokenizer: tokenizer)
    }

    /// The prompt for the assistant's next turn: the conversation, then `<|start|>assistant`.
    public func renderForCompletion(_ conversation: HarmonyConversation) -> [Int] {
        var ids: [Int] = []
        appendMessage(HarmonyMessage(role: "system", content: systemText(conversation.system, hasFunctionTools: !conversation.tools.isEmpty)),
                      to: &ids)
        if let developer = developerText(instructions: conversation.developer, tools: conversation.tools) {
            appendMessage(HarmonyMessage(role: "developer", content: developer), to: &ids)
        }
        for message in messagesToRender(conversation.messages) { appendMessage(message, to: &ids) }
        ids.append(control.start)
        ids += tokenizer.encode("assistant")
        return ids
    }

    /// The system message text (gpt-oss.md §7). With function tools it also says where their
    /// calls go (openai-harmony adds that line whenever a developer message declares functions).
    public func systemText(_ system: HarmonySystem, hasFunctionTools: Bool = false) -> String {
        var text = system.identity + "\n" + "Knowledge cutoff: " + system.knowledgeCutoff + "\n"
        if let date = system.date { text += "Current date: " + date + "\n" }
        text += "\nReasoning: " + system.reasoning.rawValue + "\n\n"
        text += "# Valid channels: analysis, commentary, final. Channel must be included for every message."
        if hasFunctionTools { text += "\nCalls to these tools must go to the commentary channel: 'functions'." }
        return text
    }

    /// The developer message text: `# Instructions` and the instructions, then the tools section;
    /// nil when there is neither.
    public func developerText(instructions: String?, tools: [HarmonyTool]) -> String? {
        var sections: [String] = []
        if let instructions { sections += ["# Instructions", instructions] }
        if !tools.isEmpty { sections.append(HarmonyToolSection.render(tools)) }
        return sections.isEmpty ? nil : sections.joined(separator: "\n\n")
    }

    /// The history without the analysis messages that precede the first final answer, dropped
    /// when the conversation's last assistant message is a final answer (openai-harmony's rule:
    /// the chain of thought of a finished turn is not shown to the model again).
    func messagesToRender(_ messages: [HarmonyMessage]) -> [HarmonyMessage] {
        let lastAssistantIsFinal = messages.last(where: { $0.role == "assistant" })?.channel == "final"
        guard lastAssistantIsFinal, let firstFinal = messages.firstIndex(where: { $0.channel == "final" }) else {
            return messages
        }
        return messages.enumerated().filter { index, message in
            !(index < firstFinal && message.channel == "analysis")
        }.map(\.element)
    }

    /// One message: header, content, and `<|end|>` (or `<|call|>` for an assistant's tool call).
    public func appendMessage(_ message: HarmonyMessage, to ids: inout [Int]) {
        ids.append(control.start)
        ids += tokenizer.encode(message.role == "tool" ? (message.name ?? "tool") : message.role)
        if let recipient = message.recipient { ids += tokenizer.encode(" to=" + recipient) }
        if let channel = message.channel {
            ids.append(control.channel)
            ids += tokenizer.encode(channel)
        }
        if let contentType = message.contentType { appendContentType(" " + contentType, to: &ids) }
        ids.append(control.message)
        ids += tokenizer.encode(message.content)
        let isToolCall = message.role == "assistant" && message.recipient != nil
        ids.append(isToolCall ? control.call : control.end)
    }

    /// The content type may name `<|constrain|>` (e.g. " <|constrain|>json"): that one part is
    /// the control token, the rest ordinary text.
    private func appendContentType(_ text: String, to ids: inout [Int]) {
        let marker = "<|constrain|>"
        var rest = Substring(text)
        while let range = rest.range(of: marker) {
            ids += tokenizer.encode(String(rest[..<range.lowerBound]))
            ids.append(control.constrain)
            rest = rest[range.upperBound...]
        }
        ids += tokenizer.encode(String(rest))
    }
}
