import Foundation
import GGUF
import XCTest

/// The built binary, end to end: what the parser never sees (raw argv bytes), exit statuses, and
/// refusals that need a loaded model.
final class BinaryTests: XCTestCase {
    let usageError: Int32 = 64

    func fixture(_ name: String) -> String {
        Binary.repository.appendingPathComponent("Tests/GPTOSSTests/Fixtures/\(name)/\(name)-f32.gguf").path
    }

    func testTokenizeTakesTextThatStartsWithADash() throws {
        let result = try Binary.run(["tokenize", "--text", "-42", "--ids-only"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let ids = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertFalse(ids.isEmpty)
        let text = try Binary.run(["detokenize", "--ids", ids])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("-42"), text.stdout)
    }

    func testInvalidUTF8InAPromptIsRefused() throws {
        for arguments: [[UInt8]] in [
            [Array("generate".utf8), Array("--prompt".utf8), [0x68, 0x69, 0xFF, 0x21]],
            [Array("generate".utf8), Array("--prompt=hi".utf8) + [0xC3]],
            [Array("tokenize".utf8), Array("--text".utf8), [0xED, 0xA0, 0x80]],
        ] {
            let result = try Binary.run(bytes: arguments)
            XCTAssertEqual(result.status, usageError, result.stderr)
            XCTAssertTrue(result.stderr.contains("is not valid UTF-8 text"), result.stderr)
            XCTAssertTrue(result.stderr.contains(arguments[0] == Array("tokenize".utf8) ? "--text" : "--prompt"), result.stderr)
            XCTAssertEqual(result.stdout, "", "nothing generated")
        }
    }

    func testNotANumberTemperatureExitsWithTheUsageCode() throws {
        let result = try Binary.run(["generate", "--prompt", "x", "--temperature", "nan"])
        XCTAssertEqual(result.status, usageError, result.stderr)
        XCTAssertTrue(result.stderr.contains("--temperature"), result.stderr)
        let negative = try Binary.run(["generate", "--prompt", "x", "--max-tokens", "-1"])
        XCTAssertEqual(negative.status, usageError, negative.stderr)
        XCTAssertTrue(negative.stderr.contains("--max-tokens must be 0 or more, got -1"), negative.stderr)
    }

    /// tiny-a has layers 0 and 1; without --telemetry no probe runs, but the layer is still checked.
    func testAnAttentionLayerTheModelLacksIsRefused() throws {
        let result = try Binary.run(["generate", "--model", fixture("tiny-a"), "--tokens", "1,2", "--max-tokens", "1",
                                     "--attention-layer", "99", "--quiet"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("layer 99 does not exist; the model has layers 0…1"), result.stderr)
        XCTAssertFalse(result.stdout.contains("finished"), result.stdout)
    }

    /// Embeddings of 1e38 overflow the first norm: every logit is NaN. Neither `generate` nor
    /// `logits --decode` may report them as a result with exit 0.
    func testNaNLogitsFailTheCommands() throws {
        let model = try overflowingModel()
        let generate = try Binary.run(["generate", "--model", model, "--tokens", "1,2,3", "--max-tokens", "2", "--quiet"])
        XCTAssertEqual(generate.status, 1, generate.stdout + generate.stderr)
        XCTAssertTrue(generate.stderr.contains("not finite"), generate.stderr)
        XCTAssertFalse(generate.stdout.contains("nan"), generate.stdout)

        // The decode path's logits are NaN (the prefill kernels happen to turn the overflow into zeros).
        let out = NSTemporaryDirectory() + "gptoss-nan-\(UUID().uuidString).npy"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let logits = try Binary.run(["logits", "--model", model, "--tokens", "1,2,3", "--out", out, "--quiet", "--decode"])
        XCTAssertEqual(logits.status, 1, logits.stdout + logits.stderr)
        XCTAssertTrue(logits.stderr.contains("the logits after position 0 are not finite"), logits.stderr)
        XCTAssertFalse(logits.stdout.contains("argmax"), "no argmax of NaN is reported: \(logits.stdout)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: out), "the logits are still written, to be inspected")
    }

    /// tiny-b-f32 with every embedding value 1e38 (tiny-a's weights happen to turn the overflow into zeros).
    func overflowingModel() throws -> String {
        let source = try GGUFFile.open(fixture("tiny-b"))
        let writer = try GGUFWriter()
        for key in source.metadataKeys { writer.set(key, source.metadata[key]!) }
        for info in source.tensors {
            var data = try source.tensorData(info)
            if info.name == "token_embd.weight" {
                let huge = withUnsafeBytes(of: Float(1e38).bitPattern.littleEndian, Array.init)
                data = Array((0 ..< data.count / 4).map { _ in huge }.joined())
            }
            try writer.addTensor(name: info.name, dimensions: info.dimensions, type: info.type, data: data)
        }
        let path = NSTemporaryDirectory() + "gptoss-overflow-\(UUID().uuidString).gguf"
        try writer.write(to: path)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }
}
