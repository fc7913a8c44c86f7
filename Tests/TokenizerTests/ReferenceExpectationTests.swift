import Foundation
import XCTest
@testable import Tokenizer

/// The expectations tiktoken and openai-harmony produced (scripts/make_tokenizer_expectations.py):
/// every one must match exactly.
final class ReferenceExpectationTests: XCTestCase {
    func testEncodingMatchesTiktokenForEveryString() throws {
        let tokenizer = Shared.tokenizer
        let cases = try Shared.cases("strings.json")
        XCTAssertGreaterThan(cases.count, 200)
        var mismatches = 0
        for item in cases {
            let text = try XCTUnwrap(item["text"]?.string)
            let expected = try Shared.ids(item["ids"])
            let pieces = try XCTUnwrap(item["pieces"]?.array).map { try XCTUnwrap($0.string) }
            XCTAssertEqual(tokenizer.preTokenize(text), pieces, "pieces of \(text.debugDescription)")
            let ids = tokenizer.encode(text)
            if ids != expected {
                mismatches += 1
                XCTFail("\(text.debugDescription): got \(ids), tiktoken \(expected); pieces \(tokenizer.preTokenize(text))")
            }
            XCTAssertEqual(try tokenizer.decodeBytes(ids), Array(text.utf8), "round trip of \(text.debugDescription)")
        }
        XCTAssertEqual(mismatches, 0)
    }

    func testSpecialTokenNamesMatchTiktoken() throws {
        let tokens = try XCTUnwrap(try Shared.fixture("special_tokens.json")["tokens"]?.object)
        XCTAssertEqual(tokens.count, 1090)
        for (idText, nameValue) in tokens {
            let id = try XCTUnwrap(Int(idText))
            let name = try XCTUnwrap(nameValue.string)
            XCTAssertEqual(Shared.vocabulary.tokens[id], name)
            XCTAssertEqual(Shared.tokenizer.tokenID(named: name), id)
            XCTAssertTrue(Shared.tokenizer.isControl(id))
        }
    }

    func testRenderedConversationsMatchOpenAIHarmony() throws {
        let renderer = try HarmonyRenderer(tokenizer: Shared.tokenizer)
        let cases = try Shared.cases("conversations.json")
        XCTAssertGreaterThanOrEqual(cases.count, 12)
        for item in cases {
            let json = try XCTUnwrap(item["conversation"])
            let conversation = try HarmonyConversation(json: json)
            let expected = try Shared.ids(item["ids"])
            let ids = renderer.renderForCompletion(conversation)
            let rendered = try Shared.tokenizer.decode(ids)
            XCTAssertEqual(ids, expected, "conversation \(conversation)\n got: \(rendered.debugDescription)")
            XCTAssertEqual(rendered, item["text"]?.string)
        }
    }

    func testParsedOutputsMatchOpenAIHarmony() throws {
        for item in try Shared.cases("parsing.json") {
            let name = item["name"]?.string ?? "?"
            let tokens = try Shared.ids(item["tokens"])
            let expected = try XCTUnwrap(item["messages"]?.array).map { value in
                let fields = try XCTUnwrap(value.object)
                return HarmonyMessage(role: fields["role"]?.string ?? "", channel: fields["channel"]?.string,
                                      recipient: fields["recipient"]?.string, contentType: fields["content_type"]?.string,
                                      content: fields["content"]?.string ?? "")
            }
            var parser = try HarmonyStreamParser(tokenizer: Shared.tokenizer)
            var streamed: [String: String] = [:]
            var events: [HarmonyEvent] = []
            for token in tokens { events += parser.feed(token) }
            events += parser.finish()
            for case .content(let text, let channel) in events { streamed[channel ?? "", default: ""] += text }
            XCTAssertEqual(parser.messages, expected, name)
            XCTAssertEqual(parser.issues, [], name)
            let byChannel = Dictionary(grouping: expected, by: { $0.channel ?? "" }).mapValues { $0.map(\.content).joined() }
            XCTAssertEqual(streamed.filter { !$0.value.isEmpty }, byChannel.filter { !$0.value.isEmpty }, name)
        }
    }
}

extension ReferenceExpectationTests {
    /// 1500 random strings over an alphabet that reaches every branch of the pre-tokenizer.
    func testRandomStringsMatchTiktoken() throws {
        let tokenizer = Shared.tokenizer
        let cases = try Shared.cases("random_strings.json")
        XCTAssertEqual(cases.count, 1500)
        var failures = 0
        for item in cases where failures < 10 {
            let text = try XCTUnwrap(item["text"]?.string)
            let pieces = try XCTUnwrap(item["pieces"]?.array).map { try XCTUnwrap($0.string) }
            let expected = try Shared.ids(item["ids"])
            let gotPieces = tokenizer.preTokenize(text)
            let ids = tokenizer.encode(text)
            if gotPieces != pieces || ids != expected {
                failures += 1
                XCTFail("\(text.debugDescription): pieces \(gotPieces) vs \(pieces); ids \(ids) vs \(expected)")
            }
        }
    }
}

extension ReferenceExpectationTests {
    /// Every code point of planes 0 and 1 in a context that exposes its character class: Swift's
    /// Unicode tables must agree with tiktoken's regex engine everywhere.
    func testEveryCodePointIsClassifiedAsTiktokenDoes() throws {
        let tokenizer = Shared.tokenizer
        let blocks = try Shared.cases("unicode_blocks.json")
        XCTAssertEqual(blocks.count, 504)
        for block in blocks {
            let start = try XCTUnwrap(block["start"]?.int)
            var text = ""
            for value in start..<(start + 256) {
                guard let scalar = Unicode.Scalar(UInt32(value)) else { continue }  // surrogates
                text += " " + String(scalar) + "a" + String(scalar) + "1"
            }
            let ids = tokenizer.encode(text)
            var hash: UInt64 = 0xCBF2_9CE4_8422_2325
            for id in ids { hash = (hash ^ UInt64(id)) &* 0x0000_0100_0000_01B3 }
            XCTAssertEqual(ids.count, block["count"]?.int, String(format: "block U+%04X", start))
            XCTAssertEqual(String(hash), block["fnv1a64"]?.string,
                           String(format: "block U+%04X: rerun scripts/make_tokenizer_expectations.py and compare ids", start))
        }
    }
}
