import XCTest
import GGUF
@testable import GPTOSS

/// The CPU reference forward pass against transformers' logits: if this passes, the math of
/// gpt-oss.md §5 as written in ReferenceModel is right, and GPU mismatches are GPU bugs.
final class ReferenceModelTests: XCTestCase {
    func testF32ReferenceMatchesTransformersAtEveryPosition() throws {
        for model in Fixture.models {
            let fixture = try Fixture(model)
            let reference = try ReferenceModel(model: ModelFile(location: fixture.modelPath("f32")))
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

    /// Q8_0 and MXFP4 files against transformers run on the same dequantised weights: only the
    /// order of arithmetic differs, so the F32 bound holds (one case per model keeps this quick).
    func testQuantisedReferenceMatchesTransformers() throws {
        for model in Fixture.models {
            let fixture = try Fixture(model)
            for flavour in ["q8_0", "mxfp4"] {
                let reference = try ReferenceModel(model: ModelFile(location: fixture.modelPath(flavour)))
                let testCase = fixture.manifest.cases[0]
                let expected = try fixture.expectedLogits(testCase, flavour)
                let cmp = LogitComparison(actual: try reference.logits(tokens: testCase.tokens).flatMap { $0 },
                                          expected: expected.values)
                XCTAssertLessThanOrEqual(cmp.relative, 1e-4, "\(model) \(flavour): maxdiff \(cmp.maxAbsDiff)")
                print("reference \(model) \(flavour) \(testCase.name): OK, maxdiff = \(cmp.maxAbsDiff)")
            }
        }
    }
}
