import Foundation
import Tokenizer

/// The JSON of chat answers: the whole `chat.completion`, or `chat.completion.chunk`s.
struct ChatChunks {
    let id: String
    let created: Int
    let model: String

    init(model: String) {
        id = "chatcmpl-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
        created = Int(Date().timeIntervalSince1970)
        self.model = model
    }

    private func header(_ object: String) -> [OrderedJSON.Member] {
        [.init("id", .string(id)), .init("object", .string(object)), .init("created", .int(created)),
         .init("model", .string(model)), .init("system_fingerprint", .string("gptoss-gl"))]
    }

    static func usage(prompt: Int, completion: Int) -> OrderedJSON {
        .object([.init("prompt_tokens", .int(prompt)), .init("completion_tokens", .int(completion)),
                 .init("total_tokens", .int(prompt + completion))])
    }

    static func toolCallsJSON(_ calls: [ToolCall]) -> OrderedJSON {
        .array(calls.map { call in
            .object([.init("id", .string(call.id)), .init("type", .string("function")),
                     .init("function", .object([.init("name", .string(call.name)), .init("arguments", .string(call.arguments))]))])
        })
    }

    /// The non-streamed answer.
    func completion(_ output: ChatOutput, finishReason: String, promptTokens: Int) -> OrderedJSON {
        var message: [OrderedJSON.Member] = [.init("role", .string("assistant"))]
        let content: OrderedJSON = output.content.isEmpty && !output.toolCalls.isEmpty ? .null : .string(output.content)
        message.append(.init("content", content))
        if !output.reasoning.isEmpty { message.append(.init("reasoning_content", .string(output.reasoning))) }
        if !output.toolCalls.isEmpty { message.append(.init("tool_calls", Self.toolCallsJSON(output.toolCalls))) }
        let choice: OrderedJSON = .object([.init("index", .int(0)), .init("message", .object(message)),
                                           .init("logprobs", .null), .init("finish_reason", .string(finishReason))])
        return .object(header("chat.completion") + [.init("choices", .array([choice])),
                                                     .init("usage", Self.usage(prompt: promptTokens, completion: output.generatedTokens))])
    }

    /// One streamed chunk: a delta (first chunk: the role), or the finish reason with an empty delta.
    /// With `stream_options.include_usage` every chunk carries `"usage": null`.
    func chunk(_ delta: ChatDelta, role: Bool = false, finishReason: String? = nil, includeUsage: Bool) -> OrderedJSON {
        var fields: [OrderedJSON.Member] = []
        if role { fields.append(.init("role", .string("assistant"))) }
        if role || !delta.content.isEmpty { fields.append(.init("content", .string(delta.content))) }
        if !delta.reasoning.isEmpty { fields.append(.init("reasoning_content", .string(delta.reasoning))) }
        if !delta.toolCalls.isEmpty {
            fields.append(.init("tool_calls", .array(delta.toolCalls.map { piece in
                var call: [OrderedJSON.Member] = [.init("index", .int(piece.index))]
                if let id = piece.id { call += [.init("id", .string(id)), .init("type", .string("function"))] }
                var function: [OrderedJSON.Member] = []
                if let name = piece.name { function.append(.init("name", .string(name))) }
                function.append(.init("arguments", .string(piece.arguments)))
                call.append(.init("function", .object(function)))
                return .object(call)
            })))
        }
        let choice: OrderedJSON = .object([.init("index", .int(0)), .init("delta", .object(fields)), .init("logprobs", .null),
                                           .init("finish_reason", .optionalString(finishReason))])
        var members = header("chat.completion.chunk") + [.init("choices", .array([choice]))]
        if includeUsage { members.append(.init("usage", .null)) }
        return .object(members)
    }

    /// The last chunk with `stream_options.include_usage`: no choices, the usage.
    func usageChunk(promptTokens: Int, completionTokens: Int) -> OrderedJSON {
        .object(header("chat.completion.chunk") + [.init("choices", .array([])),
                                                    .init("usage", Self.usage(prompt: promptTokens, completion: completionTokens))])
    }
}
