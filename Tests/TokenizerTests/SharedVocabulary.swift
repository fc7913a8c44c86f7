import Foundation
import XCTest
@testable import Tokenizer

/// The full o200k_harmony vocabulary, built once per test run from Assets and shared by every test.
enum Shared {
    static let vocabulary: O200kVocabulary = {
        do { return try O200kVocabulary.bundled() } catch { fatalError("cannot build the o200k vocabulary: \(error)") }
    }()
    static let tokenizer: BPETokenizer = {
        do { return try vocabulary.makeTokenizer() } catch { fatalError("cannot build the tokenizer: \(error)") }
    }()

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// A fixture file written by scripts/make_tokenizer_expectations.py (read with JSONDecoder:
    /// JSONSerialization drops U+FEFF inside strings on Linux).
    static func fixture(_ name: String) throws -> [String: JSONValue] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent(name))
        return try XCTUnwrap(try JSONValue.parse(data).object)
    }

    static func cases(_ name: String) throws -> [[String: JSONValue]] {
        try XCTUnwrap(try fixture(name)["cases"]?.array).map { try XCTUnwrap($0.object) }
    }

    static func ids(_ value: JSONValue?) throws -> [Int] {
        try XCTUnwrap(value?.array).map { try XCTUnwrap($0.int) }
    }
}
