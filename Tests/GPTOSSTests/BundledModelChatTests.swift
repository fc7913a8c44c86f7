import XCTest
import GLES
import Telemetry
import Tokenizer
@testable import GPTOSS

/// The bundled demo model through the whole Harmony path, as `gptoss-gl generate --prompt` runs
/// it: its own tokenizer from the GGUF, the rendered prompt, GPU generation, the output parsed
/// back into messages. At reasoning low the model was trained to answer in the final channel with
/// no analysis message, so a greedy answer must open a final-channel message with real text, and
/// every step's telemetry carries its top-5.
final class BundledModelChatTests: XCTestCase {
    static var modelPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Assets/models/gptoss-shakespeare.gguf").path
    }

    func testGreedyAnswerOpensAFinalChannelMessageWithText() throws {
        let context = try GLContext.createHeadless()
        let events = EventCollector()
        let bus = TelemetryBus()
        bus.add(events)
        let model = try GPTOSSModel.load(location: Self.modelPath, context: context,
                                         options: ModelOptions(context: 256, batch: 32), telemetry: bus)
        let tokenizer = try BPETokenizer(gguf: model.file)
        let renderer = try HarmonyRenderer(tokenizer: tokenizer)
        let prompt = renderer.renderForCompletion(
            HarmonyConversation(system: HarmonySystem(reasoning: .low), messages: [.user("ROMEO:")]))
        XCTAssertEqual(prompt.dropLast().last, renderer.control.start, "the prompt ends in <|start|>assistant")

        var parser = try HarmonyStreamParser(tokenizer: tokenizer)
        var started: [HarmonyMessage] = []
        var text = ""
        let generator = Generator(model: model, telemetry: bus, tokenText: { (try? tokenizer.decode([$0])) ?? "" })
        try generator.generate(GenerationRequest(prompt: prompt, maxTokens: 16, stopTokens: renderer.control.stopTokens)) { event in
            guard case .token(let token) = event else { return }
            for parsed in parser.feed(token.id) {
                if case .messageStarted(let message) = parsed { started.append(message) }
                if case .content(let piece, "final") = parsed { text += piece }
            }
        }
        XCTAssertEqual(started.first?.channel, "final", "the answer's header: \(started)")
        XCTAssertTrue(parser.issues.isEmpty, "malformed output: \(parser.issues)")
        XCTAssertGreaterThan(text.filter(\.isLetter).count, 5, "final text: \(text)")
        let tokens = events.events.compactMap { event -> TokenSample? in
            if case .token(let sample) = event.payload { return sample }
            return nil
        }
        XCTAssertEqual(tokens.count, 16)
        XCTAssertTrue(tokens.allSatisfy { $0.top.count == 5 && $0.entropy.isFinite })
    }
}
