import XCTest
@testable import gptoss_gl

/// Invalid UTF-8 in an argument is found in the raw bytes (Swift's `CommandLine.arguments` has
/// already replaced it by U+FFFD) and named with its option and offset.
final class ArgumentBytesTests: XCTestCase {
    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    func testValidArgumentsPass() {
        XCTAssertNil(ArgumentBytes.firstInvalidUTF8(in: [bytes("generate"), bytes("--prompt"), bytes("héllo ✓ 𝄞")]))
        XCTAssertNil(ArgumentBytes.firstInvalidUTF8(in: []))
        XCTAssertNil(ArgumentBytes.firstInvalidOffset([]))
    }

    func testFirstBadByteIsFound() {
        XCTAssertEqual(ArgumentBytes.firstInvalidOffset([0x61, 0xFF, 0x62]), 1)
        XCTAssertEqual(ArgumentBytes.firstInvalidOffset(bytes("é") + [0xC3]), 2, "a truncated sequence at the end")
        XCTAssertEqual(ArgumentBytes.firstInvalidOffset([0xC0, 0xAF]), 0, "an overlong encoding of '/'")
        XCTAssertEqual(ArgumentBytes.firstInvalidOffset([0xED, 0xA0, 0x80]), 0, "a UTF-16 surrogate")
        XCTAssertEqual(ArgumentBytes.firstInvalidOffset(bytes("ab𝄞") + [0x80]), 6)
    }

    func testTheOptionIsNamed() {
        let separate = ArgumentBytes.firstInvalidUTF8(in: [bytes("generate"), bytes("--prompt"), [0x68, 0x69, 0xFF]])
        XCTAssertEqual(separate, "the value of --prompt is not valid UTF-8 text (byte 0xFF at offset 2). "
                       + "Hint: pass text as UTF-8 (iconv -t UTF-8 converts it).")
        let joined = ArgumentBytes.firstInvalidUTF8(in: [bytes("tokenize"), bytes("--text=a") + [0xFE]])
        XCTAssertTrue(joined?.hasPrefix("the value of --text is not valid UTF-8 text (byte 0xFE at offset 1)") == true, joined ?? "nil")
        let positional = ArgumentBytes.firstInvalidUTF8(in: [bytes("inspect"), [0x80]])
        XCTAssertTrue(positional?.hasPrefix("argument 2 is not valid UTF-8 text (byte 0x80 at offset 0)") == true, positional ?? "nil")
    }
}
