import Foundation
import GPTOSS
import Tokenizer

/// How the model may use the request's tools (`tool_choice`).
enum ToolChoice: Equatable {
    /// The model decides (tools are in the prompt).
    case auto
    /// Tools are left out of the prompt: the model cannot call one.
    case none
    /// The answer must be a call: the prompt ends in a header addressed to `functions.`, and the
    /// model writes the name (and the commentary channel after it).
    case required
    /// The answer must call this function: the whole call header is in the prompt.
    case function(String)
}

/// A parsed `POST /v1/chat/completions` body: the Harmony conversation it renders to and how
/// to generate.
struct ChatRequest {
    var conversation: HarmonyConversation
    var toolChoice: ToolChoice
    var generation: GenerationFields

    init(_ json: OrderedJSON) throws {
        let body = try RequestFields(json, place: "")
        generation = try GenerationFields(body, maxTokensKeys: ["max_tokens", "max_completion_tokens"])

        var system = HarmonySystem()
        if let effort = try body.string("reasoning_effort") {
            guard let value = ReasoningEffort(rawValue: effort) else {
                throw APIError.invalid("'reasoning_effort' is '\(effort)'; use low, medium or high.", param: "reasoning_effort")
            }
            system.reasoning = value
        }

        let tools = try Self.tools(body)
        toolChoice = try Self.toolChoice(body, tools: tools)
        guard let list = try body.array("messages") else { throw APIError.invalid("'messages' is required.", param: "messages") }
        guard !list.isEmpty else { throw APIError.invalid("'messages' must not be empty.", param: "messages") }
        let (developer, messages) = try ChatMessages.harmony(list)
        conversation = HarmonyConversation(system: system, developer: developer,
                                           tools: toolChoice == .none ? [] : tools, messages: messages)
    }

    /// `tools`: `[{"type": "function", "function": {"name", "description", "parameters"}}]`.
    static func tools(_ body: RequestFields) throws -> [HarmonyTool] {
        guard let list = try body.array("tools") else { return [] }
        return try list.enumerated().map { index, item in
            let tool = try RequestFields(item, place: "tools[\(index)]")
            let type = try tool.string("type") ?? "function"
            guard type == "function" else {
                throw APIError.invalid("'tools[\(index)].type' is '\(type)'; only \"function\" tools are supported.", param: tool.path("type"))
            }
            guard let function = try tool.object("function") else {
                throw APIError.invalid("'tools[\(index)].function' is required.", param: tool.path("function"))
            }
            let name = try function.requiredString("name")
            guard name.range(of: "^[A-Za-z0-9_-]{1,64}$", options: .regularExpression) != nil else {
                throw APIError.invalid("'\(function.path("name"))' is '\(name)'; use 1-64 letters, digits, '_' or '-'.",
                                       param: function.path("name"))
            }
            var parameters: OrderedJSON?
            if let schema = function.value("parameters") {
                guard schema.members != nil else { throw function.wrongType("parameters", "a JSON schema object", schema) }
                parameters = schema
            }
            return HarmonyTool(name: name, description: try function.string("description") ?? "", parameters: parameters)
        }
    }

    /// `tool_choice`: "auto" (default with tools), "none", "required", or `{"type": "function", "function": {"name"}}`.
    static func toolChoice(_ body: RequestFields, tools: [HarmonyTool]) throws -> ToolChoice {
        guard let value = body.value("tool_choice") else { return .auto }
        let choice: ToolChoice
        if let word = value.string {
            switch word {
            case "auto": choice = .auto
            case "none": choice = .none
            case "required": choice = .required
            default:
                throw APIError.invalid("'tool_choice' is '\(word)'; use auto, none, required or {\"type\": \"function\", "
                                       + "\"function\": {\"name\": …}}.", param: "tool_choice")
            }
        } else {
            let object = try RequestFields(value, place: "tool_choice")
            guard let function = try object.object("function") else {
                throw APIError.invalid("'tool_choice.function' is required for a named tool choice.", param: "tool_choice")
            }
            choice = .function(try function.requiredString("name"))
        }
        switch choice {
        case .required where tools.isEmpty:
            throw APIError.invalid("'tool_choice' is required but the request has no 'tools'.", param: "tool_choice")
        case .function(let name) where !tools.contains(where: { $0.name == name }):
            throw APIError.invalid("'tool_choice' names '\(name)', which is not among 'tools'.", param: "tool_choice")
        default:
            return choice
        }
    }

    /// Text the prompt ends with after `<|start|>assistant` so the answer starts as a call
    /// (tool_choice required or named); the output parser is fed it first. The header is written
    /// as openai-harmony renders a call (recipient, then channel), the form models are trained on.
    var forcedHeader: String? {
        switch toolChoice {
        case .required: return " to=functions."
        case .function(let name): return " to=functions.\(name)<|channel|>commentary <|constrain|>json<|message|>"
        case .auto, .none: return nil
        }
    }
}
