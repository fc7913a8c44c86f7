import Foundation
import XCTest
@testable import Tokenizer

final class OrderedJSONTests: XCTestCase {
    func testKeepsMemberOrderAndNumberText() throws {
        let value = try OrderedJSON.parse(#" {"z": 1.50, "a": [true, null, "x"], "m": {"k": -2e3}} "#)
        XCTAssertEqual(value.members?.map(\.key), ["z", "a", "m"])
        XCTAssertEqual(value.serialized, #"{"z":1.50,"a":[true,null,"x"],"m":{"k":-2e3}}"#)
        XCTAssertEqual(value["m"]?["k"]?.int, -2000)
        XCTAssertNil(value["z"]?.int)
    }

    func testStringEscapesRoundTrip() throws {
        let value = try OrderedJSON.parse(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00\u0001""#)
        XCTAssertEqual(value.string, "a\"b\\c/d\n\té😀\u{01}")
        XCTAssertEqual(value.serialized, #""a\"b\\c/d\n\té😀\u0001""#)
    }

    func testRejectsMalformedDocumentsWithAnOffset() {
        for (text, offset) in [("{\"a\" 1}", 5), ("[1,]", 3), ("{\"a\":1} x", 8), ("\"\\ud800\"", 7), ("01", 1), ("", 0), ("\"a\u{01}\"", 2)] {
            XCTAssertThrowsError(try OrderedJSON.parse(text), text) { error in
                XCTAssertEqual((error as? OrderedJSON.ParseError)?.offset, offset, "\(text): \(error)")
            }
        }
    }

    func testNestingLimit() throws {
        let deep = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
        XCTAssertNoThrow(try OrderedJSON.parse(deep, maxDepth: 10))
        XCTAssertThrowsError(try OrderedJSON.parse(deep, maxDepth: 9)) { error in
            XCTAssertEqual((error as? OrderedJSON.ParseError)?.tooDeep, true)
        }
    }
}
