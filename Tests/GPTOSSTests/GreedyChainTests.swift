import XCTest
@testable import GPTOSS
@testable import Kernels

/// Greedy decoding with each step fed by the previous one's argmax on the GPU (GreedyChain)
/// against one readback per step: same tokens, same summaries, and the position a stop leaves.
final class GreedyChainTests: XCTestCase {
    private func load(_ fixture: Fixture, context positions: Int = 64) throws -> GPTOSSModel {
        let k = try SharedGPU.kernels()
        return try GPTOSSModel.load(location: fixture.modelPath("mxfp4"), context: k.context,
                                    options: ModelOptions(context: positions, batch: 16), kernels: k)
    }

    func testChainedStepsMatchStepByStepDecoding() throws {
        let fixture = try Fixture("tiny-c")
        let prompt = try XCTUnwrap(fixture.manifest.greedy["mxfp4"]).prompt
        let model = try load(fixture)
        let sampler = try Sampler(.greedy)

        model.reset()
        try model.prefill(prompt, logits: .last)
        var token = try model.summarize(sampler).argmax
        var expected: [LogitSummary] = []
        for _ in 0 ..< 6 {
            let summary = try model.decode(token, sampler: sampler)
            expected.append(summary)
            token = summary.argmax
        }
        let end = model.position

        model.reset()
        try model.prefill(prompt, logits: .last)
        let chain = try GreedyChain(model: model, sampler: sampler)
        try chain.queue(token: try model.summarize(sampler).argmax)
        var chained: [LogitSummary] = []
        for step in 0 ..< 6 {
            if step + 1 < 6 { try chain.queueFromGPU() }
            XCTAssertLessThanOrEqual(chain.pending, 2)
            chained.append(try chain.next())
        }
        XCTAssertEqual(chained, expected, "every step's reduction, bit for bit")
        XCTAssertEqual(model.position, end)
        XCTAssertEqual(chain.pending, 0)
    }

    /// A stop after a step was queued ahead gives that step's position back, and the sequence
    /// goes on from there exactly as if the extra step had never run.
    func testDiscardedStepLeavesThePositionAndTheCacheAsBefore() throws {
        let fixture = try Fixture("tiny-c")
        let prompt = try XCTUnwrap(fixture.manifest.greedy["mxfp4"]).prompt
        let model = try load(fixture)
        let sampler = try Sampler(.greedy)

        model.reset()
        try model.prefill(prompt, logits: .last)
        let first = try model.summarize(sampler).argmax
        let chain = try GreedyChain(model: model, sampler: sampler)
        try chain.queue(token: first)
        try chain.queueFromGPU()
        let summary = try chain.next()
        XCTAssertEqual(model.position, prompt.count + 2)
        chain.discardQueued()
        XCTAssertEqual(model.position, prompt.count + 1, "the step queued ahead is given back")
        // Feed a different token than the discarded step did; compare with a fresh sequence.
        let other = (summary.argmax + 1) % model.config.vocabularySize
        let after = try model.decode(other, sampler: sampler)

        model.reset()
        try model.prefill(prompt + [first], logits: .none)
        XCTAssertEqual(try model.decode(other, sampler: sampler).argmax, after.argmax)
        XCTAssertThrowsError(try chain.next(), "nothing queued")
        XCTAssertThrowsError(try GreedyChain(model: model, sampler: try Sampler(SamplingParameters(temperature: 0.8))))
    }
}
