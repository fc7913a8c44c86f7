import GGUF
import XCTest
@testable import Tokenizer

/// The tokenizer read back from GGUF metadata written by the project's own writer.
final class GGUFTokenizerTests: XCTestCase {
    private func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("tok-\(ProcessInfo.processInfo.processIdentifier)-\(name).gguf").path
    }

    func testFullVocabularyRoundTripsThroughGGUF() throws {
        let writer = try GGUFWriter()
        writer.set("general.architecture", .string("gpt-oss"))
        Shared.vocabulary.writeTokenizerMetadata(into: writer)
        let path = temporaryPath("full")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try writer.write(to: path)

        let file = try GGUFFile.open(path)
        XCTAssertEqual(file.stringArray(TokenizerMetadataKey.tokens)?.count, 201_088)
        let tokenizer = try BPETokenizer(gguf: file)
        XCTAssertEqual(tokenizer.vocabularySize, 201_088)
        for item in try Shared.cases("strings.json").prefix(80) {
            let text = try XCTUnwrap(item["text"]?.string)
            XCTAssertEqual(tokenizer.encode(text), try Shared.ids(item["ids"]), text.debugDescription)
        }
        XCTAssertEqual(tokenizer.tokenID(named: "<|call|>"), 200_012)
    }

    private func tinyFile(model: String?, pre: String?, tokens: Bool = true) throws -> GGUFFile {
        let writer = try GGUFWriter()
        if let model { writer.set(TokenizerMetadataKey.model, .string(model)) }
        if let pre { writer.set(TokenizerMetadataKey.preTokenizer, .string(pre)) }
        if tokens {
            writer.set(TokenizerMetadataKey.tokens, .array(GGUFArray(.string((0..<256).map { ByteLevelAlphabet.encode([UInt8($0)]) }))))
        }
        writer.set(TokenizerMetadataKey.merges, .array(GGUFArray(.string([]))))
        let path = temporaryPath("tiny-\(model ?? "none")-\(pre ?? "none")-\(tokens)")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try writer.write(to: path)
        return try GGUFFile.open(path)
    }

    func testOtherTokenizersAreRefusedWithAClearError() throws {
        XCTAssertThrowsError(try BPETokenizer(gguf: try tinyFile(model: "llama", pre: nil))) { error in
            XCTAssertEqual(error as? TokenizerError, .unsupportedModel("llama"))
            XCTAssertTrue(error.localizedDescription.contains("byte-level BPE"))
        }
        XCTAssertThrowsError(try BPETokenizer(gguf: try tinyFile(model: "gpt2", pre: "llama-bpe"))) { error in
            XCTAssertEqual(error as? TokenizerError, .unsupportedPreTokenizer("llama-bpe"))
        }
        XCTAssertThrowsError(try BPETokenizer(gguf: try tinyFile(model: nil, pre: nil))) { error in
            XCTAssertEqual(error as? TokenizerError, .missingMetadata("tokenizer.ggml.model"))
        }
        XCTAssertThrowsError(try BPETokenizer(gguf: try tinyFile(model: "gpt2", pre: "gpt-4o", tokens: false))) { error in
            XCTAssertEqual(error as? TokenizerError, .missingMetadata("tokenizer.ggml.tokens"))
        }
        XCTAssertEqual(try BPETokenizer(gguf: try tinyFile(model: "gpt2", pre: "gpt-4o")).encode("hi").count, 2)
    }
}
