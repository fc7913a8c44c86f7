import Foundation
import GPTOSS
import Tokenizer

/// One function call the model made.
struct ToolCall: Equatable {
    var id: String
    var name: String
    var arguments: String
}

/// What one step adds to the answer: text, reasoning and tool-call pieces (all empty: nothing).
struct ChatDelta: Equatable {
    struct ToolCallPiece: Equatable {
        var index: Int
        /// Set in the first piece of a call only (with the name).
        var id: String?
        var name: String?
        var arguments: String
    }

    var content = ""
    var reasoning = ""
    var toolCalls: [ToolCallPiece] = []

    var isEmpty: Bool { content.isEmpty && reasoning.isEmpty && toolCalls.isEmpty }

    mutating func append(_ other: ChatDelta) {
        content += other.content
        reasoning += other.reasoning
        toolCalls += other.toolCalls
    }
}

/// Turns generated Harmony tokens into OpenAI's chat answer as they arrive: the final channel
/// (and commentary preambles) is `content`, the analysis channel `reasoning_content`, and a
/// commentary message to `functions.NAME` a tool call whose content is the JSON `arguments`.
/// Stop strings are applied to `content`.
struct ChatOutput {
    private var parser: HarmonyStreamParser
    private var filter: StopStringFilter
    private var makeCallID: () -> String
    /// The index in `toolCalls` of the call being written, if any.
    private var openCall: Int?
    private(set) var content = ""
    private(set) var reasoning = ""
    private(set) var toolCalls: [ToolCall] = []
    /// Tokens fed so far (the forced header excluded).
    private(set) var generatedTokens = 0

    init(tokenizer: BPETokenizer, stop: [String], makeCallID: @escaping () -> String = ChatOutput.randomCallID) throws {
        parser = try HarmonyStreamParser(tokenizer: tokenizer)
        filter = StopStringFilter(stops: stop)
        self.makeCallID = makeCallID
    }

    /// True once a stop string ended the answer: generation should stop.
    var stoppedByString: Bool { filter.matched }

    /// Prompt tokens after `<|start|>assistant` (a forced call header): parsed, not counted.
    mutating func feedForced(_ ids: [Int]) -> ChatDelta {
        var delta = ChatDelta()
        for id in ids { delta.append(apply(parser.feed(id))) }
        return delta
    }

    mutating func feed(_ id: Int) -> ChatDelta {
        generatedTokens += 1
        return apply(parser.feed(id))
    }

    /// The stream ended: completes a cut-off message and releases held-back text.
    mutating func finish() -> ChatDelta {
        var delta = apply(parser.finish())
        let tail = filter.flush()
        content += tail
        delta.content += tail
        return delta
    }

    /// OpenAI's finish_reason: "tool_calls" after a call, "stop" for `<|return|>` or a stop
    /// string, "length" when the token limit or the context ended the answer.
    func finishReason(engine: FinishReason?) -> String {
        if filter.matched { return "stop" }
        switch parser.stopReason {
        case .toolCall?: return toolCalls.isEmpty ? "stop" : "tool_calls"
        case .returned?: return "stop"
        default: return engine == .stopToken ? "stop" : "length"
        }
    }

    private mutating func apply(_ events: [HarmonyEvent]) -> ChatDelta {
        var delta = ChatDelta()
        for event in events {
            switch event {
            case .messageStarted(let message):
                openCall = nil
                if let recipient = message.recipient, recipient.hasPrefix("functions.") {
                    let call = ToolCall(id: makeCallID(), name: String(recipient.dropFirst("functions.".count)), arguments: "")
                    toolCalls.append(call)
                    openCall = toolCalls.count - 1
                    delta.toolCalls.append(.init(index: toolCalls.count - 1, id: call.id, name: call.name, arguments: ""))
                }
            case .content(let text, let channel):
                if let index = openCall {
                    toolCalls[index].arguments += text
                    delta.toolCalls.append(.init(index: index, id: nil, name: nil, arguments: text))
                } else if parser.current?.recipient != nil {
                    break // a message to some other recipient (a built-in tool): not part of the answer
                } else if channel == "analysis" {
                    reasoning += text
                    delta.reasoning += text
                } else {
                    let shown = filter.push(text)
                    content += shown
                    delta.content += shown
                }
            case .messageFinished:
                openCall = nil
            case .stopped, .malformed:
                break
            }
        }
        return delta
    }

    /// "call_" and 24 random letters and digits, like OpenAI's ids.
    static func randomCallID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return "call_" + String((0 ..< 24).map { _ in alphabet.randomElement()! })
    }
}
