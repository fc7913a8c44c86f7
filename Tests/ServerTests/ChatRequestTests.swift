import GPTOSS
@testable import Server
import Tokenizer
import XCTest

/// Request parsing: OpenAI messages and options into a Harmony conversation, and the 400s.
final class ChatRequestTests: XCTestCase {
    private func parse(_ json: String) throws -> ChatRequest { try ChatRequest(try OrderedJSON.parse(json)) }

    private func assertInvalid(_ json: String, param: String?, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(json), file: file, line: line) { error in
            guard let error = error as? APIError else { return XCTFail("not an APIError: \(error)", file: file, line: line) }
            XCTAssertEqual(error.status, .badRequest, file: file, line: line)
            XCTAssertEqual(error.param, param, "\(error.message)", file: file, line: line)
            XCTAssertFalse(error.message.isEmpty, file: file, line: line)
        }
    }

    func testMessagesMapToHarmony() throws {
        let chat = try parse(#"""
        {"messages": [
          {"role": "system", "content": "Speak like a sonnet."},
          {"role": "developer", "content": [{"type": "text", "text": "Be "}, {"type": "text", "text": "brief."}]},
          {"role": "user", "content": "Weather in Verona?"},
          {"role": "assistant", "content": null, "reasoning_content": "Use the tool.",
           "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Verona\"}"}}]},
          {"role": "tool", "tool_call_id": "call_1", "content": "{\"temp\": 21}"},
          {"role": "assistant", "content": "Fair and warm."},
          {"role": "user", "content": "Thanks"}],
         "reasoning_effort": "high", "max_completion_tokens": 7, "temperature": 0, "seed": 5, "stop": "END"}
        """#)
        let conversation = chat.conversation
        XCTAssertEqual(conversation.developer, "Speak like a sonnet.\n\nBe brief.")
        XCTAssertEqual(conversation.system.reasoning, .high)
        XCTAssertEqual(conversation.messages, [
            .user("Weather in Verona?"),
            .assistant("Use the tool.", channel: "analysis"),
            HarmonyMessage(role: "assistant", channel: "commentary", recipient: "functions.get_weather",
                           contentType: "<|constrain|>json", content: "{\"city\":\"Verona\"}"),
            HarmonyMessage(role: "tool", name: "functions.get_weather", channel: "commentary", recipient: "assistant",
                           content: "{\"temp\": 21}"),
            .assistant("Fair and warm.", channel: "final"),
            .user("Thanks"),
        ])
        XCTAssertEqual(chat.generation.maxTokens, 7)
        XCTAssertEqual(chat.generation.sampling, SamplingParameters(temperature: 0, topK: 0, topP: 1, seed: 5))
        XCTAssertEqual(chat.generation.stop, ["END"])
        XCTAssertFalse(chat.generation.stream)
    }

    func testToolsAndToolChoice() throws {
        let tools = #""tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather.", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]"#
        let auto = try parse(#"{"messages": [{"role": "user", "content": "hi"}], \#(tools)}"#)
        XCTAssertEqual(auto.conversation.tools.map(\.name), ["get_weather"])
        XCTAssertEqual(auto.conversation.tools.first?.parameters?["properties"]?.members?.map(\.key), ["city"])
        XCTAssertNil(auto.forcedHeader)

        let none = try parse(#"{"messages": [{"role": "user", "content": "hi"}], \#(tools), "tool_choice": "none"}"#)
        XCTAssertEqual(none.conversation.tools, [])

        let required = try parse(#"{"messages": [{"role": "user", "content": "hi"}], \#(tools), "tool_choice": "required"}"#)
        XCTAssertEqual(required.forcedHeader, " to=functions.")

        let named = try parse(#"{"messages": [{"role": "user", "content": "hi"}], \#(tools), "tool_choice": {"type": "function", "function": {"name": "get_weather"}}}"#)
        XCTAssertEqual(named.forcedHeader, " to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>")

        assertInvalid(#"{"messages": [{"role": "user", "content": "hi"}], "tool_choice": "required"}"#, param: "tool_choice")
        assertInvalid(#"{"messages": [{"role": "user", "content": "hi"}], \#(tools), "tool_choice": {"type": "function", "function": {"name": "other"}}}"#,
                      param: "tool_choice")
        assertInvalid(#"{"messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function", "function": {"name": "bad name"}}]}"#,
                      param: "tools[0].function.name")
        assertInvalid(#"{"messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "retrieval"}]}"#, param: "tools[0].type")
    }

    func testRenderedPromptCarriesToolsAndTheRoundTrip() throws {
        let chat = try parse(#"""
        {"messages": [{"role": "user", "content": "Weather?"},
          {"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
          {"role": "tool", "tool_call_id": "c", "content": "sunny"}],
         "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather."}}]}
        """#)
        let renderer = try HarmonyRenderer(tokenizer: Fixture.tokenizer)
        let text = try Fixture.tokenizer.decode(renderer.renderForCompletion(chat.conversation))
        XCTAssertTrue(text.contains("Calls to these tools must go to the commentary channel: 'functions'."))
        XCTAssertTrue(text.contains("namespace functions {\n\n// Weather.\ntype get_weather = () => any;\n\n} // namespace functions"))
        XCTAssertTrue(text.contains("<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{}<|call|>"))
        XCTAssertTrue(text.hasSuffix("<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>sunny<|end|><|start|>assistant"))
    }

    func testMalformedFieldsName400Param() {
        assertInvalid(#"[1, 2]"#, param: nil)
        assertInvalid(#"{"model": "x"}"#, param: "messages")
        assertInvalid(#"{"messages": []}"#, param: "messages")
        assertInvalid(#"{"messages": "hi"}"#, param: "messages")
        assertInvalid(#"{"messages": [{"content": "hi"}]}"#, param: "messages[0].role")
        assertInvalid(#"{"messages": [{"role": "wizard", "content": "hi"}]}"#, param: "messages[0].role")
        assertInvalid(#"{"messages": [{"role": "user"}]}"#, param: "messages[0].content")
        assertInvalid(#"{"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}"#, param: "messages[0].content[0].type")
        assertInvalid(#"{"messages": [{"role": "tool", "tool_call_id": "nope", "content": "x"}]}"#, param: "messages[0].tool_call_id")
        assertInvalid(#"{"messages": [{"role": "user", "content": "hi"}], "temperature": "hot"}"#, param: "temperature")
        assertInvalid(#"{"messages": [{"role": "user", "content": "hi"}], "temperature": 3}"#, param: "temperature")
        assertInvalid(#"{"messages": [{"role": "user", "content": "hi"}], "top_p": 0}"#, param: "top_p")
        assertInvalid(#"{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}"#, param: "max_tokens")
        assertInvalid(#"{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 1.5}"#, param: "max_tokens")
        assertInvalid(#"{"messages": [{"role": "user", "content": "hi"}], "n": 2}"#, param: "n")
        assertInvalid(#"{"messages": [{"role": "user", "content": "hi"}], "stop": ["a", "b", "c", "d", "e"]}"#, param: "stop")
        assertInvalid(#"{"messages": [{"role": "user", "content": "hi"}], "stop": [1]}"#, param: "stop")
        assertInvalid(#"{"messages": [{"role": "user", "content": "hi"}], "reasoning_effort": "extreme"}"#, param: "reasoning_effort")
        assertInvalid(#"{"messages": [{"role": "user", "content": "hi"}], "stream": "yes"}"#, param: "stream")
        assertInvalid(#"{"messages": [{"role": "user", "content": "hi"}], "seed": "x"}"#, param: "seed")
    }

    func testTokenLimitIsTheContextsRoom() throws {
        let chat = try parse(#"{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 500}"#)
        XCTAssertEqual(chat.generation.tokenLimit(promptTokens: 100, context: 1000), 500)
        XCTAssertEqual(chat.generation.tokenLimit(promptTokens: 700, context: 1000), 300)
        let open = try parse(#"{"messages": [{"role": "user", "content": "hi"}]}"#)
        XCTAssertEqual(open.generation.tokenLimit(promptTokens: 100, context: 1000), 900)
    }
}
