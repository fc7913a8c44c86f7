import XCTest
import GGUF
@testable import GPTOSS

/// The CPU reference forward pass against transformers' logits: if this passes, the math of
/// gpt-oss.md §5 as written in ReferenceModel is right, and GPU mismatches are GPU bugs.
final class ReferenceModelTests: XCTestCase {
    /// Every model and flavour, the first sequence (the GPU tests run every sequence). The Q8_0
    /// and MXFP4 expectations come from transformers on the same dequantised weights, so only the
    /// order of arithmetic differs and the F32 bound holds for them too.
    func testReferenceMatchesTransformersAtEveryPosition() throws {
        for model in Fixture.models {
            let fixture = try Fixture(model)
            for flavour in Fixture.flavours {
                let reference = try ReferenceModel(model: ModelFile(location: fixture.modelPath(flavour)))
                let testCase = fixture.manifest.cases[0]
                let expected = try fixture.expectedLogits(testCase, flavour)
                XCTAssertEqual(expected.shape, [testCase.tokens.count, reference.config.vocabularySize])
                let cmp = LogitComparison(actual: try reference.logits(tokens: testCase.tokens).flatMap { $0 },
                                          expected: expected.values)
                XCTAssertLessThanOrEqual(cmp.relative, 1e-4, "\(model) \(flavour): maxdiff \(cmp.maxAbsDiff)")
                print("reference \(model) \(flavour) \(testCase.name): OK, maxdiff = \(cmp.maxAbsDiff) (max|logit| \(cmp.maxAbsLogit))")
            }
        }
    }
}
