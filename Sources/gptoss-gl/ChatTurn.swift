import Foundation
import GPTOSS
import Telemetry
import Tokenizer

/// One assistant turn of a Harmony chat: render the conversation, generate until `<|return|>`
/// or `<|call|>`, and stream the parsed output — the final channel to stdout as tokens arrive,
/// the analysis channel to stderr (dimmed) when asked, malformed output reported, not fatal.
struct ChatTurn {
    let tokenizer: BPETokenizer
    let showAnalysis: Bool
    private let answer = AnswerOutput()

    /// What the turn produced: the parsed messages and why it stopped.
    struct Outcome {
        var messages: [HarmonyMessage]
        var stop: HarmonyStopReason?
        var finish: FinishReason?
    }

    func run(_ conversation: HarmonyConversation, generator: Generator,
             maxTokens: Int, sampling: SamplingParameters) throws -> Outcome {
        let renderer = try HarmonyRenderer(tokenizer: tokenizer)
        let prompt = renderer.renderForCompletion(conversation)
        var printer = try HarmonyStreamParser(tokenizer: tokenizer)
        let channels = try ChannelTracker(tokenizer: tokenizer)
        generator.tokenText = { [tokenizer] id in tokenizer.displayText(of: id) }
        generator.tokenChannel = { id in channels.channel(after: id) }

        var outcome = Outcome(messages: [], stop: nil, finish: nil)
        let request = GenerationRequest(prompt: prompt, maxTokens: maxTokens, sampling: sampling,
                                        stopTokens: renderer.control.stopTokens)
        var generated = 0, parserFinished = false
        // Cut off mid-answer (--max-tokens, a full context): end the line so the shell prompt,
        // and the decode summary the generator reports on stderr before `.finished` arrives,
        // start on their own line.
        func endAnswer() {
            guard !parserFinished else { return }
            parserFinished = true
            show(printer.finish())
            if !answer.endsWithNewline { answer.write("\n") }
        }
        let context = generator.model.cache.context
        try generator.generate(request) { event in
            switch event {
            case .prefilled:
                break
            case .token(let token):
                show(printer.feed(token.id))
                generated += 1
                // The generator's own stopping rules for these two reasons (a stop token ends
                // the message, and its line, by itself).
                if generated == maxTokens || token.position >= context { endAnswer() }
            case .finished(let reason, _, _):
                outcome.finish = reason
            }
        }
        endAnswer()
        outcome.messages = printer.messages
        outcome.stop = printer.stopReason
        return outcome
    }

    private func show(_ events: [HarmonyEvent]) {
        for event in events {
            switch event {
            case .content(let text, let channel):
                if channel == "analysis" || channel == "commentary" {
                    if showAnalysis { Terminal.stderr("\u{1B}[2m\(text)\u{1B}[0m") }
                } else {
                    answer.write(text)
                }
            case .messageFinished(let message) where message.channel == "final" || message.channel == nil:
                answer.write("\n")
            case .messageFinished where showAnalysis:
                Terminal.stderr("\n")
            case .malformed(let what):
                Terminal.stderr("warning: the model's output broke the Harmony format: \(what)\n")
            default:
                break
            }
        }
    }
}

/// The final answer on stdout, remembering whether the last thing written ended a line.
private final class AnswerOutput {
    private(set) var endsWithNewline = true

    func write(_ text: String) {
        guard !text.isEmpty else { return }
        FileHandle.standardOutput.write(Data(text.utf8))
        endsWithNewline = text.hasSuffix("\n")
    }
}

/// Follows the output with its own parser only to tell which channel each token belongs to,
/// so the token telemetry (and the HUD) can colour analysis and final text apart.
private final class ChannelTracker: @unchecked Sendable {
    private var parser: HarmonyStreamParser
    private let tokenizer: BPETokenizer

    init(tokenizer: BPETokenizer) throws {
        self.tokenizer = tokenizer
        parser = try HarmonyStreamParser(tokenizer: tokenizer)
    }

    func channel(after id: Int) -> TokenChannel {
        _ = parser.feed(id)
        // Header words (the channel name itself) arrive while no message is open: not content.
        guard !tokenizer.isControl(id) else { return .other }
        switch parser.current?.channel {
        case "analysis": return .analysis
        case "final": return .final
        default: return .other
        }
    }
}

private extension BPETokenizer {
    /// A token as the HUD and telemetry show it: its text, or its name for control tokens.
    func displayText(of id: Int) -> String {
        (try? decode([id])) ?? "<\(id)>"
    }
}

enum Terminal {
    static func stderr(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
