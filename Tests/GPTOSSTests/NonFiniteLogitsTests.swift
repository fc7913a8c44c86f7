import XCTest
import GGUF
@testable import GPTOSS

/// A model whose embeddings are 1e38 overflows in the first norm (1e38² is infinite in float32),
/// so every logit is NaN. Generation must fail with `nonFiniteLogits`, never sample from them
/// (issue 20: `generate` printed `entropy nan` and exited 0).
final class NonFiniteLogitsTests: XCTestCase {
    /// tiny-b-f32 with every embedding value set to 1e38 (tiny-a's weights happen to turn the overflow into zeros).
    func overflowingModel() throws -> String {
        let source = try GGUFFile.open(try Fixture("tiny-b").modelPath("f32"))
        let writer = try GGUFWriter()
        for key in source.metadataKeys { writer.set(key, source.metadata[key]!) }
        for info in source.tensors {
            var data = try source.tensorData(info)
            if info.name == "token_embd.weight" {
                XCTAssertEqual(info.type, .f32)
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

    func testGenerationRefusesNaNLogits() throws {
        let kernels = try SharedGPU.kernels()
        let model = try GPTOSSModel.load(location: try overflowingModel(), context: kernels.context,
                                         options: ModelOptions(context: 32, batch: 8), kernels: kernels)
        // The decode path's logits really are NaN (so the refusal below is about them). The
        // prefill kernels happen to turn the same overflow into zeros, finite if meaningless.
        var ignored: [Intermediate: [Float]] = [:]
        for id in [1, 2, 3] { try model.decode(id, dumps: [], into: &ignored) }
        XCTAssertTrue(try model.lastLogits().contains { !$0.isFinite }, "the fixture must overflow")
        model.reset()
        var sampled: [GeneratedToken] = []
        XCTAssertThrowsError(try Generator(model: model).generate(GenerationRequest(prompt: [1, 2, 3], maxTokens: 4)) { event in
            if case .token(let token) = event { sampled.append(token) }
        }) { error in
            guard case .nonFiniteLogits(let position)? = error as? GPTOSSError else { return XCTFail("not nonFiniteLogits: \(error)") }
            XCTAssertGreaterThanOrEqual(position, 2, "at the prompt's last position or later")
        }
        XCTAssertLessThan(sampled.count, 4, "generation stopped at the NaN logits")
        for token in sampled {
            XCTAssertTrue(token.entropy.isFinite && token.top.allSatisfy { $0.probability.isFinite }, "a token from NaN logits: \(token)")
        }
    }
}
