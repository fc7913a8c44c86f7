import Tokenizer

/// OpenAI chat messages as a Harmony conversation:
///
/// - `system` and `developer` contents become the developer message's instructions (joined by a
///   blank line, in order): gpt-oss keeps its own system message (identity, reasoning effort).
/// - `user` → a user message.
/// - `assistant` → `reasoning_content` as an analysis message, `content` as the final answer (or
///   as a commentary preamble when the message also calls tools), each `tool_calls` entry as a
///   commentary message to `functions.NAME` with `<|constrain|>json` and the arguments.
/// - `tool` → a `functions.NAME to=assistant` commentary message; NAME is found from
///   `tool_call_id` among the earlier calls (or given as `name`).
enum ChatMessages {
    static func harmony(_ list: [OrderedJSON]) throws -> (developer: String?, messages: [HarmonyMessage]) {
        var instructions: [String] = []
        var messages: [HarmonyMessage] = []
        var callNames: [String: String] = [:]
        for (index, item) in list.enumerated() {
            let place = "messages[\(index)]"
            let message = try RequestFields(item, place: place)
            let role = try message.requiredString("role")
            switch role {
            case "system", "developer":
                instructions.append(try text(message, required: true))
            case "user":
                messages.append(.user(try text(message, required: true)))
            case "assistant":
                let calls = try toolCalls(message)
                if let reasoning = try message.string("reasoning_content"), !reasoning.isEmpty {
                    messages.append(.assistant(reasoning, channel: "analysis"))
                }
                let content = try text(message, required: calls.isEmpty)
                if !content.isEmpty || calls.isEmpty {
                    messages.append(.assistant(content, channel: calls.isEmpty ? "final" : "commentary"))
                }
                for call in calls {
                    callNames[call.id] = call.name
                    messages.append(HarmonyMessage(role: "assistant", channel: "commentary", recipient: "functions." + call.name,
                                                   contentType: "<|constrain|>json", content: call.arguments))
                }
            case "tool":
                let id = try message.requiredString("tool_call_id")
                guard let name = try message.string("name") ?? callNames[id] else {
                    throw APIError.invalid("'\(place).tool_call_id' is '\(id)', which no earlier assistant message's tool_calls has.",
                                           param: message.path("tool_call_id"))
                }
                messages.append(HarmonyMessage(role: "tool", name: "functions." + name, channel: "commentary",
                                               recipient: "assistant", content: try text(message, required: true)))
            default:
                throw APIError.invalid("'\(place).role' is '\(role)'; use system, developer, user, assistant or tool.",
                                       param: message.path("role"))
            }
        }
        return (instructions.isEmpty ? nil : instructions.joined(separator: "\n\n"), messages)
    }

    /// `content` as text: a string, or an array of `{"type": "text", "text": …}` parts joined.
    static func text(_ message: RequestFields, required: Bool) throws -> String {
        guard let value = message.value("content") else {
            if required { throw APIError.invalid("'\(message.path("content"))' is required.", param: message.path("content")) }
            return ""
        }
        if let text = value.string { return text }
        guard let parts = value.array else { throw message.wrongType("content", "a string or an array of text parts", value) }
        return try parts.enumerated().map { index, part in
            let fields = try RequestFields(part, place: message.path("content[\(index)]"))
            let type = try fields.requiredString("type")
            guard type == "text" else {
                throw APIError.invalid("'\(fields.path("type"))' is '\(type)'; only text parts are supported.", param: fields.path("type"))
            }
            return try fields.requiredString("text")
        }.joined()
    }

    struct Call { var id: String; var name: String; var arguments: String }

    /// An assistant message's `tool_calls`: `[{"id", "type": "function", "function": {"name", "arguments"}}]`.
    static func toolCalls(_ message: RequestFields) throws -> [Call] {
        guard let list = try message.array("tool_calls") else { return [] }
        return try list.enumerated().map { index, item in
            let call = try RequestFields(item, place: message.path("tool_calls[\(index)]"))
            guard let function = try call.object("function") else {
                throw APIError.invalid("'\(call.path("function"))' is required.", param: call.path("function"))
            }
            return Call(id: try call.string("id") ?? "", name: try function.requiredString("name"),
                        arguments: try function.string("arguments") ?? "{}")
        }
    }
}
