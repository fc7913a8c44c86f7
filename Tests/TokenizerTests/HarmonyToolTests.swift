import Foundation
import XCTest
@testable import Tokenizer

/// Function tools in the prompt, checked against openai-harmony 0.0.8's rendering
/// (Fixtures/tools.json, scripts/make_tool_expectations.py): the `# Tools` section with its
/// TypeScript-like signatures, the system message's commentary-channel line, and the
/// tool-call / tool-result messages of a round trip.
final class HarmonyToolTests: XCTestCase {
    private var tokenizer: BPETokenizer { Shared.tokenizer }

    private func toolCases() throws -> [OrderedJSON] {
        let data = try Data(contentsOf: Shared.fixtures.appendingPathComponent("tools.json"))
        return try XCTUnwrap(try OrderedJSON.parse(data)["cases"]?.array)
    }

    func testConversationsWithToolsRenderAsOpenAIHarmonyDoes() throws {
        let renderer = try HarmonyRenderer(tokenizer: tokenizer)
        let cases = try toolCases()
        XCTAssertGreaterThanOrEqual(cases.count, 7)
        for (index, item) in cases.enumerated() {
            let conversationJSON = try XCTUnwrap(item["conversation"])
            // Re-serialised in order: the schemas' member order is part of what is checked.
            let conversation = try HarmonyConversation(json: Data(conversationJSON.serialized.utf8))
            XCTAssertFalse(conversation.tools.isEmpty, "case \(index)")
            let ids = renderer.renderForCompletion(conversation)
            let expected = try XCTUnwrap(item["ids"]?.array).map { try XCTUnwrap($0.int) }
            if ids != expected {
                XCTAssertEqual(try tokenizer.decode(ids), try XCTUnwrap(item["text"]?.string), "case \(index): text differs")
            }
            XCTAssertEqual(ids, expected, "case \(index): ids differ")
        }
    }

    func testSchemaFeaturesTranslateToTypeScript() throws {
        let schema = try OrderedJSON.parse(#"""
        {"type": "object", "properties": {
          "b": {"type": "string", "description": "second letter"},
          "a": {"type": "integer", "enum": [1, 2]},
          "tags": {"type": "array", "items": {"type": "string"}},
          "unit": {"type": "string", "enum": ["c", "f"], "default": "c"}},
         "required": ["b"]}
        """#)
        XCTAssertEqual(HarmonyToolSection.typeScript(schema, indent: ""),
                       "{\n// second letter\nb: string,\na?: number,\ntags?: string[],\nunit?: \"c\" | \"f\", // default: c\n}")
        XCTAssertEqual(HarmonyToolSection.typeScript(.object([]), indent: ""), "any")
    }

    func testSectionWithoutParametersAndMultiLineDescription() {
        let text = HarmonyToolSection.render([HarmonyTool(name: "now", description: "Line one.\r\nLine two.\n")])
        XCTAssertEqual(text, "# Tools\n\n## functions\n\nnamespace functions {\n\n// Line one.\n// Line two.\ntype now = () => any;\n\n} // namespace functions")
    }

    func testSystemLineOnlyWithTools() throws {
        let renderer = try HarmonyRenderer(tokenizer: tokenizer)
        let line = "Calls to these tools must go to the commentary channel: 'functions'."
        XCTAssertFalse(renderer.systemText(HarmonySystem()).contains(line))
        XCTAssertTrue(renderer.systemText(HarmonySystem(), hasFunctionTools: true).hasSuffix("\n" + line))
        XCTAssertNil(renderer.developerText(instructions: nil, tools: []))
    }

    func testBadToolsAreRejectedWithTheirPlace() {
        XCTAssertThrowsError(try HarmonyConversation(json: Data(#"{"messages": [], "tools": [{"description": "x"}]}"#.utf8))) { error in
            XCTAssertTrue("\(error)".contains("tools[0]"), "\(error)")
        }
        XCTAssertThrowsError(try HarmonyConversation(json: Data(#"{"messages": [], "tools": [{"name": "f", "params": {}}]}"#.utf8))) { error in
            XCTAssertTrue("\(error)".contains("params"), "\(error)")
        }
    }
}
