import XCTest
import GLES
import Kernels
@testable import GPTOSS

/// The bench loops on a tiny fixture model: they must run the asked number of repeats and tokens,
/// leave the cache where they say, and refuse a cache too small. Speed itself is never asserted.
final class BenchmarkTests: XCTestCase {
    func load(context positions: Int) throws -> GPTOSSModel {
        let kernels = try SharedGPU.kernels()
        return try GPTOSSModel.load(location: try Fixture("tiny-a").modelPath("f32"), context: kernels.context,
                                    options: ModelOptions(context: positions, batch: 8), kernels: kernels)
    }

    func testPromptTokensAreSeededAndInsideTheVocabulary() {
        let a = Benchmark.promptTokens(count: 200, vocabularySize: 37, seed: 5)
        XCTAssertEqual(a, Benchmark.promptTokens(count: 200, vocabularySize: 37, seed: 5))
        XCTAssertNotEqual(a, Benchmark.promptTokens(count: 200, vocabularySize: 37, seed: 6))
        XCTAssertTrue(a.allSatisfy { (0 ..< 37).contains($0) })
        XCTAssertGreaterThan(Set(a).count, 20)
    }

    func testMedianOfOddAndEvenRepeats() {
        XCTAssertEqual(PhaseTiming(tokens: 10, seconds: [3, 1, 2]).medianSeconds, 2)
        XCTAssertEqual(PhaseTiming(tokens: 10, seconds: [4, 1, 2, 3]).medianSeconds, 2.5)
        XCTAssertEqual(PhaseTiming(tokens: 10, seconds: [3, 1, 2]).tokensPerSecond, 5)
    }

    func testPrefillAndDecodeRunEveryRepeatAndRespectTheDepth() throws {
        let settings = BenchmarkSettings(promptTokens: 12, genTokens: 3, depths: [0, 20], repeats: 2, seed: 9)
        XCTAssertEqual(settings.requiredContext, 24)
        let model = try load(context: settings.requiredContext)

        let prefill = try Benchmark.prefill(model, settings)
        XCTAssertEqual(prefill.tokens, 12)
        XCTAssertEqual(prefill.seconds.count, 2)
        XCTAssertTrue(prefill.seconds.allSatisfy { $0 > 0 })
        XCTAssertGreaterThan(prefill.tokensPerSecond, 0)

        for depth in settings.depths {
            let decode = try Benchmark.decode(model, depth: depth, settings)
            XCTAssertEqual(decode.depth, depth)
            XCTAssertEqual(decode.timing.tokens, 3)
            XCTAssertEqual(decode.timing.seconds.count, 2)
            XCTAssertGreaterThan(decode.timing.tokensPerSecond, 0)
        }
        XCTAssertEqual(model.position, 0, "the loops reset the model when done")
    }

    /// `bench --profile` names every row by the kernel's typed identity: a known operation, a
    /// shader of the kernel table, the weight format only where the kernel reads weights.
    func testProfileRowsAreTypedKernels() throws {
        let settings = BenchmarkSettings(promptTokens: 12, genTokens: 2, depths: [0], repeats: 1, seed: 3)
        let model = try load(context: settings.requiredContext)
        let profiles = try Benchmark.profile(model, settings)
        XCTAssertEqual(profiles.count, 2, "decode and prefill")
        let shaders = Set(Kernel.allCases.map(\.shader)), operations = Set(KernelOperation.allCases.map(\.rawValue))
        for profile in profiles {
            XCTAssertFalse(profile.rows.isEmpty, profile.phase)
            XCTAssertEqual(Set(profile.rows.map(\.kernel)).count, profile.rows.count, "one row per kernel and format")
            for row in profile.rows {
                XCTAssertTrue(operations.contains(row.operation), row.operation)
                XCTAssertTrue(shaders.contains(row.shader), row.shader)
                XCTAssertEqual(Kernel(rawValue: row.shader)?.operation.rawValue, row.operation, row.kernel)
            }
            let matmul = profile.rows.filter { $0.operation == KernelOperation.matmul.rawValue }
            XCTAssertFalse(matmul.isEmpty, profile.phase)
            XCTAssertTrue(matmul.allSatisfy { $0.format == "f32" }, "\(matmul)")
            XCTAssertTrue(profile.rows.filter { $0.shader == Kernel.rmsNorm.shader }.allSatisfy { $0.format == nil })
        }
        XCTAssertTrue(profiles[0].rows.contains { $0.operation == KernelOperation.router.rawValue }, "decode's router row")
    }

    /// Steps fed on the GPU (`bench --feed-on-gpu`) decode the same greedy sequence as steps
    /// whose token the CPU chose: after five of each the reductions agree bit for bit.
    func testStepsFedOnTheGPUFollowTheGreedySequence() throws {
        let model = try load(context: 32)
        var sampler = try Sampler(.greedy)
        let prompt = Benchmark.promptTokens(count: 6, vocabularySize: model.config.vocabularySize, seed: 3)
        try model.prefill(prompt, logits: .last)
        var next = sampler.choose(from: try model.summarize(sampler))
        var chosen: [Int] = []
        for _ in 0 ..< 5 {
            let summary = try model.decode(next, sampler: sampler)
            next = summary.argmax
            chosen.append(next)
        }
        let byCPU = try model.summary(sampler)
        XCTAssertGreaterThan(Set(chosen).count, 1, "a sequence that moves, so a stale token would show")

        model.reset()
        try model.prefill(prompt, logits: .last)
        _ = try model.summarize(sampler)
        for _ in 0 ..< 5 { try model.decodeFedOnGPU(sampler) }
        XCTAssertEqual(model.position, prompt.count + 5)
        XCTAssertEqual(try model.summary(sampler), byCPU)

        let settings = BenchmarkSettings(promptTokens: 4, genTokens: 3, depths: [5], repeats: 1, feedOnGPU: true)
        XCTAssertEqual(try Benchmark.decode(model, depth: 5, settings).timing.seconds.count, 1)
    }

    func testTooSmallCacheIsAClearError() throws {
        let settings = BenchmarkSettings(promptTokens: 4, genTokens: 8, depths: [30], repeats: 1)
        let model = try load(context: 16)
        XCTAssertThrowsError(try Benchmark.decode(model, depth: 30, settings)) { error in
            let message = (error as? LocalizedError)?.errorDescription ?? ""
            XCTAssertTrue(message.contains("needs 39"), message)
            XCTAssertTrue(message.contains("--context 39"), message)
        }
        XCTAssertThrowsError(try BenchmarkSettings(promptTokens: 4, genTokens: 0).validate()) { error in
            XCTAssertEqual(error as? GPTOSSError, .badSequence("--gen-tokens must be at least 1, got 0."))
        }
        XCTAssertThrowsError(try BenchmarkSettings(depths: [-1]).validate()) { error in
            XCTAssertEqual(error as? GPTOSSError, .badSequence("--depth must be 0 or more, got -1."))
        }
    }
}
