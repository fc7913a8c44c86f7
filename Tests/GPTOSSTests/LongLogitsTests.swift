import Foundation
import GGUF
import XCTest
@testable import GPTOSS

/// `prefill(…, logits: .all)` writes every row's logits through one binding: with the full
/// 201088-token vocabulary a 512-token step is 393 MiB, over llvmpipe's 128 MiB binding limit,
/// so such a prefill runs in steps the binding holds and still returns every row.
final class LongLogitsTests: XCTestCase {
    func testAllLogitsOfAPromptLongerThanOneBindingHolds() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("long-logits-\(getpid()).gguf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SyntheticModelWriter(spec: .preset(.tiny), seed: 3).write(to: path)
        let k = try SharedGPU.kernels()
        let model = try GPTOSSModel.load(location: path, context: k.context, options: ModelOptions(context: 256, batch: 512), kernels: k)
        let vocab = model.config.vocabularySize
        let rowsPerBinding = k.context.limits.maxShaderStorageBlockSize / (4 * vocab)
        let tokens = (0 ..< min(rowsPerBinding + 9, 255)).map { ($0 * 7919) % vocab }
        let all = try model.prefill(tokens, logits: .all)
        XCTAssertEqual(all.count, tokens.count * vocab)
        XCTAssertTrue(all.allSatisfy(\.isFinite))
        model.reset()
        let last = try model.prefill(tokens, logits: .last)
        let cmp = LogitComparison(actual: Array(all[(tokens.count - 1) * vocab ..< tokens.count * vocab]), expected: last)
        XCTAssertLessThanOrEqual(cmp.relative, 1e-4, "the last row as a .last prefill gives it: maxdiff \(cmp.maxAbsDiff)")
    }
}
