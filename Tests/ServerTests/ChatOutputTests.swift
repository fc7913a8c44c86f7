import GPTOSS
@testable import Server
import Tokenizer
import XCTest

/// Harmony output into OpenAI's answer: channels, tool calls, finish reasons, stop strings.
final class ChatOutputTests: XCTestCase {
    private func run(_ text: String, stop: [String] = [], engine: FinishReason? = .stopToken) throws -> (ChatOutput, [ChatDelta], String) {
        var ids = 0
        var output = try ChatOutput(tokenizer: Fixture.tokenizer, stop: stop, makeCallID: { ids += 1; return "call_\(ids)" })
        var deltas: [ChatDelta] = []
        for id in Fixture.ids(text) {
            deltas.append(output.feed(id))
            if output.stoppedByString { break }
        }
        deltas.append(output.finish())
        return (output, deltas.filter { !$0.isEmpty }, output.finishReason(engine: engine))
    }

    func testAnalysisIsReasoningAndFinalIsContent() throws {
        let (output, deltas, reason) = try run("<|channel|>analysis<|message|>Think of Verona.<|end|><|start|>assistant<|channel|>final<|message|>Fair Verona.<|return|>")
        XCTAssertEqual(output.reasoning, "Think of Verona.")
        XCTAssertEqual(output.content, "Fair Verona.")
        XCTAssertEqual(reason, "stop")
        XCTAssertEqual(deltas.map(\.reasoning).joined(), "Think of Verona.")
        XCTAssertEqual(deltas.map(\.content).joined(), "Fair Verona.")
        XCTAssertTrue(deltas.allSatisfy { $0.content.isEmpty || $0.reasoning.isEmpty })
    }

    func testCommentaryCallToAFunctionIsAToolCall() throws {
        let text = "<|channel|>analysis<|message|>Need weather.<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\":\"Verona\"}<|call|>"
        let (output, deltas, reason) = try run(text)
        XCTAssertEqual(output.toolCalls, [ToolCall(id: "call_1", name: "get_weather", arguments: "{\"city\":\"Verona\"}")])
        XCTAssertEqual(output.content, "")
        XCTAssertEqual(reason, "tool_calls")
        let pieces = deltas.flatMap(\.toolCalls)
        XCTAssertEqual(pieces.first, .init(index: 0, id: "call_1", name: "get_weather", arguments: ""))
        XCTAssertTrue(pieces.dropFirst().allSatisfy { $0.id == nil && $0.name == nil && $0.index == 0 })
        XCTAssertEqual(pieces.map(\.arguments).joined(), "{\"city\":\"Verona\"}")
    }

    func testForcedHeaderStartsTheCall() throws {
        var output = try ChatOutput(tokenizer: Fixture.tokenizer, stop: [], makeCallID: { "call_x" })
        let forced = output.feedForced(Fixture.ids(" to=functions.define<|channel|>commentary <|constrain|>json<|message|>"))
        XCTAssertEqual(forced.toolCalls.first?.name, "define")
        for id in Fixture.ids("{\"word\":\"anon\"}<|call|>") { _ = output.feed(id) }
        _ = output.finish()
        XCTAssertEqual(output.toolCalls, [ToolCall(id: "call_x", name: "define", arguments: "{\"word\":\"anon\"}")])
        XCTAssertEqual(output.generatedTokens, Fixture.ids("{\"word\":\"anon\"}<|call|>").count)
    }

    /// tool_choice required: the prompt ends in " to=functions." and the model writes the name.
    func testRequiredHeaderLeavesTheNameToTheModel() throws {
        var output = try ChatOutput(tokenizer: Fixture.tokenizer, stop: [], makeCallID: { "call_r" })
        XCTAssertTrue(output.feedForced(Fixture.ids(" to=functions.")).isEmpty)
        for id in Fixture.ids("get_speaker<|channel|>commentary <|constrain|>json<|message|>{\"line\":\"x\"}<|call|>") { _ = output.feed(id) }
        _ = output.finish()
        XCTAssertEqual(output.toolCalls, [ToolCall(id: "call_r", name: "get_speaker", arguments: "{\"line\":\"x\"}")])
        XCTAssertEqual(output.finishReason(engine: .stopToken), "tool_calls")
    }

    func testCutOffAnswerIsLength() throws {
        let (output, _, reason) = try run("<|channel|>final<|message|>To be, or not", engine: .maxTokens)
        XCTAssertEqual(output.content, "To be, or not")
        XCTAssertEqual(reason, "length")
    }

    func testStopStringEndsAndTrimsTheAnswer() throws {
        let (output, deltas, reason) = try run("<|channel|>final<|message|>To be, or not to be: that is the question.<|return|>",
                                               stop: ["not to", "zzz"], engine: .maxTokens)
        XCTAssertEqual(output.content, "To be, or ")
        XCTAssertEqual(deltas.map(\.content).joined(), "To be, or ")
        XCTAssertEqual(reason, "stop")
    }

    func testStopFilterHoldsBackPossibleStarts() {
        var filter = StopStringFilter(stops: ["END", "xyz"])
        XCTAssertEqual(filter.push("abcE"), "abc")
        XCTAssertEqual(filter.push("N"), "")
        XCTAssertEqual(filter.push("x"), "EN")  // "ENx" cannot start "END"; "x" may start "xyz"
        XCTAssertEqual(filter.flush(), "x")
        var split = StopStringFilter(stops: ["END"])
        XCTAssertEqual(split.push("fooE") + split.push("ND tail"), "foo")
        XCTAssertTrue(split.matched)
        XCTAssertEqual(split.push("more"), "")
        var none = StopStringFilter(stops: [])
        XCTAssertEqual(none.push("E"), "E")
    }
}
