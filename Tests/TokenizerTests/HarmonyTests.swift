import XCTest
@testable import Tokenizer

final class HarmonyTests: XCTestCase {
    private var tokenizer: BPETokenizer { Shared.tokenizer }

    /// Model output text with control tokens spelled out, as token ids.
    private func output(_ text: String) throws -> [Int] {
        var ids: [Int] = []
        var rest = Substring(text)
        while let open = rest.range(of: "<|") {
            let close = try XCTUnwrap(rest[open.upperBound...].range(of: "|>"))
            ids += tokenizer.encode(String(rest[..<open.lowerBound]))
            ids.append(try tokenizer.requireTokenID(named: String(rest[open.lowerBound..<close.upperBound])))
            rest = rest[close.upperBound...]
        }
        return ids + tokenizer.encode(String(rest))
    }

    private func parse(_ text: String) throws -> (HarmonyStreamParser, [HarmonyEvent]) {
        var parser = try HarmonyStreamParser(tokenizer: tokenizer)
        var events: [HarmonyEvent] = []
        for id in try output(text) { events += parser.feed(id) }
        events += parser.finish()
        return (parser, events)
    }

    func testDefaultSystemMessageIsRenderedWithoutSystemSettings() throws {
        let renderer = try HarmonyRenderer(tokenizer: tokenizer)
        let ids = renderer.renderForCompletion(HarmonyConversation(messages: [.user("Hi")]))
        let text = try tokenizer.decode(ids)
        XCTAssertTrue(text.hasPrefix("<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\nKnowledge cutoff: 2024-06\n\nReasoning: medium\n\n"))
        XCTAssertTrue(text.hasSuffix("<|start|>user<|message|>Hi<|end|><|start|>assistant"))
    }

    func testAnalysisIsDroppedOnlyBeforeAFinishedTurn() throws {
        let renderer = try HarmonyRenderer(tokenizer: tokenizer)
        let finished: [HarmonyMessage] = [.user("q"), .assistant("think", channel: "analysis"), .assistant("a", channel: "final"), .user("next")]
        XCTAssertEqual(renderer.messagesToRender(finished).map(\.content), ["q", "a", "next"])
        let unfinished: [HarmonyMessage] = [.user("q"), .assistant("think", channel: "analysis")]
        XCTAssertEqual(renderer.messagesToRender(unfinished).map(\.content), ["q", "think"])
    }

    func testStreamingEventsInOrder() throws {
        let (parser, events) = try parse("<|channel|>analysis<|message|>Hmm.<|end|><|start|>assistant<|channel|>final<|message|>Hi!<|return|>")
        let kinds = events.map { event -> String in
            switch event {
            case .messageStarted(let m): return "start:\(m.channel ?? "-")"
            case .content: return "text"
            case .messageFinished(let m): return "done:\(m.content)"
            case .stopped(let reason): return "stop:\(reason.rawValue)"
            case .malformed: return "malformed"
            }
        }
        XCTAssertEqual(kinds.first, "start:analysis")
        XCTAssertTrue(kinds.contains("done:Hmm."))
        XCTAssertEqual(Array(kinds.suffix(2)), ["done:Hi!", "stop:returned"])
        XCTAssertEqual(parser.stopReason, .returned)
        XCTAssertEqual(parser.issues, [])
    }

    func testToolCallStops() throws {
        let (parser, _) = try parse("<|channel|>commentary to=functions.f <|constrain|>json<|message|>{}<|call|>")
        XCTAssertEqual(parser.stopReason, .toolCall)
        XCTAssertEqual(parser.messages, [HarmonyMessage(role: "assistant", channel: "commentary", recipient: "functions.f",
                                                        contentType: "<|constrain|>json", content: "{}")])
    }

    func testMalformedStreamsAreReportedNotFatal() throws {
        // Text between messages, where <|start|> belongs.
        var (parser, events) = try parse("<|channel|>final<|message|>a<|end|>junk<|start|>assistant<|channel|>final<|message|>b<|return|>")
        XCTAssertEqual(parser.messages.map(\.content), ["a", "b"])
        XCTAssertEqual(parser.issues.count, 1, "one report for the whole run of stray tokens")
        XCTAssertTrue(events.contains { if case .malformed = $0 { return true } else { return false } })

        // Control tokens inside content are skipped; the text around them is kept.
        (parser, _) = try parse("<|channel|>final<|message|>x<|channel|>y<|return|>")
        XCTAssertEqual(parser.messages.map(\.content), ["xy"])
        XCTAssertEqual(parser.issues.count, 1)

        // A header that ends with <|end|> before <|message|>.
        (parser, _) = try parse("<|channel|>final<|end|><|start|>assistant<|channel|>final<|message|>ok<|return|>")
        XCTAssertEqual(parser.messages.map(\.content), ["ok"])
        XCTAssertEqual(parser.issues.count, 1)

        // Tokens after the stop token are ignored (reported once).
        (parser, _) = try parse("<|channel|>final<|message|>done<|return|> more text<|end|>")
        XCTAssertEqual(parser.messages.map(\.content), ["done"])
        XCTAssertEqual(parser.stopReason, .returned)
        XCTAssertEqual(parser.issues.count, 1)

        // The stream ends inside a header.
        (parser, _) = try parse("<|channel|>fin")
        XCTAssertEqual(parser.messages, [])
        XCTAssertEqual(parser.stopReason, .endOfStream)
        XCTAssertEqual(parser.issues.count, 1)

        // <|start|> inside content closes the message.
        (parser, _) = try parse("<|channel|>analysis<|message|>cut<|start|>assistant<|channel|>final<|message|>ok<|return|>")
        XCTAssertEqual(parser.messages.map(\.content), ["cut", "ok"])

        // Ids outside the vocabulary.
        var raw = try HarmonyStreamParser(tokenizer: tokenizer)
        XCTAssertEqual(raw.feed(-5).count, 1)
        XCTAssertEqual(raw.feed(10_000_000).count, 1)
        XCTAssertEqual(raw.issues.count, 2)
    }

    func testHeaderWithoutKnownRoleNamesTheTool() throws {
        var parser = try HarmonyStreamParser(tokenizer: tokenizer, role: nil)
        for id in try output("<|start|>functions.get to=assistant<|channel|>commentary<|message|>{\"t\":1}<|end|>") {
            _ = parser.feed(id)
        }
        XCTAssertEqual(parser.messages, [HarmonyMessage(role: "tool", name: "functions.get", channel: "commentary",
                                                        recipient: "assistant", content: "{\"t\":1}")])
    }

    func testConversationJSONErrorsSayWhatIsWrong() {
        func error(_ json: String) -> String {
            do {
                _ = try HarmonyConversation(json: Data(json.utf8))
                return "no error"
            } catch {
                return error.localizedDescription
            }
        }
        XCTAssertTrue(error("{").contains("not valid JSON"))
        XCTAssertTrue(error("[]").contains("top level"))
        XCTAssertTrue(error(#"{"messages": [{"role": "user", "content": "x", "chanel": "final"}]}"#).contains("unknown key 'chanel'"))
        XCTAssertTrue(error(#"{"system": {"reasoning": "max"}, "messages": []}"#).contains("low, medium or high"))
        XCTAssertTrue(error(#"{"messages": [{"role": "robot", "content": "x"}]}"#).contains("messages[0].role"))
        XCTAssertTrue(error(#"{"messages": [{"role": "user"}]}"#).contains("no \"content\""))
        XCTAssertTrue(error(#"{"messages": [{"role": "tool", "content": "x"}]}"#).contains("without \"name\""))
        XCTAssertTrue(error(#"{"messages": [{"role": "user", "content": 3}]}"#).contains("must be a string"))
        XCTAssertTrue(error(#"{"system": {}}"#).contains("\"messages\""))
        XCTAssertEqual(error(#"{"system": {"date": "2025-01-01"}, "developer": "d", "messages": [{"role": "user", "content": "\#u{FEFF}x"}]}"#), "no error")
    }

    func testConversationJSONKeepsEveryCharacter() throws {
        let conversation = try HarmonyConversation(json: Data("{\"messages\": [{\"role\": \"user\", \"content\": \"\u{FEFF}x\"}]}".utf8))
        XCTAssertEqual(conversation.messages.first?.content.unicodeScalars.first, "\u{FEFF}")
    }
}
