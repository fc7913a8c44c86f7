import XCTest
import GGUF
@testable import GPTOSS

/// The CPU reference forward pass against transformers' logits: if this passes, the math of
/// gpt-oss.md §5 as written in ReferenceModel is right, and GPU mismatches are GPU bugs.
final class ReferenceModelTests: XCTestCase {
    func testF32ReferenceMatchesTransformersAtEveryPosition() throws {
        for model in Fixture.models {
            let fixture = try Fixture(model)
            let reference = try ReferenceModel(model: ModelFile(location: fixture.modelPath("f32")),
                                               dequantize: testDequantize)
            for testCase in fixture.manifest.cases {
                let expected = try fixture.expectedLogits(testCase, "f32")
                let logits = try reference.logits(tokens: testCase.tokens)
                XCTAssertEqual(expected.shape, [testCase.tokens.count, reference.config.vocabularySize])
                let cmp = LogitComparison(actual: logits.flatMap { $0 }, expected: expected.values)
                XCTAssertLessThanOrEqual(cmp.relative, 1e-4, "\(model) \(testCase.name): maxdiff \(cmp.maxAbsDiff)")
                print("reference \(model) f32 \(testCase.name): OK, maxdiff = \(cmp.maxAbsDiff) (max|logit| \(cmp.maxAbsLogit))")
            }
        }
    }
}

/// Dequantises raw ggml bytes for the reference model.
func testDequantize(_ type: GGMLType, _ bytes: [UInt8], _ count: Int) throws -> [Float] {
    switch type {
    case .f32:
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBytes { $0.copyBytes(from: bytes) }
        return out
    default:
        throw GPTOSSError.unsupportedTensorType(name: "(test)", found: type.name, supported: ["F32"])
    }
}
