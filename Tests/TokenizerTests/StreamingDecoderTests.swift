import XCTest
@testable import Tokenizer

final class StreamingDecoderTests: XCTestCase {
    func testNeverEmitsHalfACharacter() throws {
        let text = "Emoji 👩🏽‍💻👨‍👩‍👧‍👦 日本語のテキスト e\u{301} ḀḁḂḃ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ÿÿÿ"
        let ids = Shared.tokenizer.encode(text)
        var decoder = StreamingDecoder(tokenizer: Shared.tokenizer)
        var out = ""
        var heldBack = 0
        for id in ids {
            let piece = try decoder.append(id)
            XCTAssertFalse(piece.unicodeScalars.contains("\u{FFFD}"), "emitted a broken character after token \(id)")
            if decoder.hasPendingBytes { heldBack += 1 }
            out += piece
        }
        out += decoder.finish()
        XCTAssertEqual(out, text)
        XCTAssertGreaterThan(heldBack, 0, "this text splits characters across tokens, so bytes must have waited")
    }

    func testSplitFourByteCharacterWaitsThenCompletes() {
        var decoder = StreamingDecoder(tokenizer: Shared.tokenizer)
        let bytes = Array("😀".utf8)
        XCTAssertEqual(decoder.append(bytes: bytes[0..<1]), "")
        XCTAssertEqual(decoder.append(bytes: bytes[1..<3]), "")
        XCTAssertEqual(decoder.append(bytes: bytes[3...] + Array("!".utf8)), "😀!")
        XCTAssertFalse(decoder.hasPendingBytes)
    }

    func testInvalidBytesDoNotStallTheStream() {
        var decoder = StreamingDecoder(tokenizer: Shared.tokenizer)
        XCTAssertEqual(decoder.append(bytes: [0xFF, 0x41]), "\u{FFFD}A")
        XCTAssertEqual(decoder.append(bytes: [0xE0, 0x80]), "\u{FFFD}\u{FFFD}", "E0 80 can never start a valid sequence")
        XCTAssertEqual(decoder.append(bytes: [0xE2, 0x82]), "", "E2 82 may become €")
        XCTAssertEqual(decoder.finish(), "\u{FFFD}", "an unfinished character at the end is replaced")
        XCTAssertFalse(decoder.hasPendingBytes)
    }

    func testControlTokensDecodeAsTheirNames() throws {
        var decoder = StreamingDecoder(tokenizer: Shared.tokenizer)
        XCTAssertEqual(try decoder.append(200_006), "<|start|>")
        XCTAssertThrowsError(try decoder.append(999_999)) { error in
            XCTAssertEqual(error as? TokenizerError, .tokenOutOfRange(id: 999999, vocabularySize: 201088))
        }
    }
}
