import XCTest
import GLES
import Kernels
@testable import GPTOSS

/// Continuous batching is exact: a sequence decoded beside others — joining and leaving at
/// different steps, with prompts prefilled in chunks next to running streams — gives the greedy
/// tokens of the same prompt run alone, and its logits agree within 1e-4 · max|logit|.
final class BatchDecoderTests: XCTestCase {
    static let tolerance: Float = 1e-4

    /// A sequence's record: its tokens and the logits each was drawn from.
    struct Run: Equatable {
        var tokens: [Int] = []
        var logits: [[Float]] = []
        var finish: FinishReason?
    }

    /// Prompts of different lengths cut from the fixture's cases (some longer than the chunk).
    func prompts(_ fixture: Fixture, count: Int, vocab: Int) -> [[Int]] {
        let source = fixture.manifest.cases.flatMap(\.tokens)
        return (0 ..< count).map { i in
            let length = 1 + (i * 7 + 3) % 23
            return (0 ..< length).map { source[(i * 5 + $0) % source.count] % vocab }
        }
    }

    /// Runs every request alone, one after the other, through slot 0.
    func alone(_ model: GPTOSSModel, _ requests: [GenerationRequest]) throws -> [Run] {
        let decoder = try BatchDecoder(model: model, prefillChunk: 5)
        decoder.keepsLogits = true
        return try requests.enumerated().map { i, request in
            var run = Run()
            try decoder.admit(sequence: i, request)
            while !decoder.isIdle {
                for out in try decoder.step() { record(out, into: &run) }
            }
            return run
        }
    }

    /// Runs the requests together: sequence i joins at step `i · stagger` (or when a slot frees).
    func batched(_ model: GPTOSSModel, _ requests: [GenerationRequest], stagger: Int) throws -> [Run] {
        let decoder = try BatchDecoder(model: model, prefillChunk: 5)
        decoder.keepsLogits = true
        var runs = Array(repeating: Run(), count: requests.count)
        var next = 0, step = 0, widest = 0
        while next < requests.count || !decoder.isIdle {
            while next < requests.count, next * stagger <= step, decoder.freeSlots > 0 {
                try decoder.admit(sequence: next, requests[next])
                next += 1
            }
            widest = max(widest, decoder.running.count)
            for out in try decoder.step() { record(out, into: &runs[out.sequence]) }
            step += 1
        }
        XCTAssertEqual(widest, min(model.sequenceSlots, requests.count), "the batch never filled its slots")
        return runs
    }

    func record(_ out: BatchDecoder.Output, into run: inout Run) {
        if let token = out.token { run.tokens.append(token.id) }
        if let logits = out.logits { run.logits.append(logits) }
        if let finish = out.finished { run.finish = finish }
    }

    func compare(_ got: [Run], _ want: [Run], _ label: String) {
        for (i, (g, w)) in zip(got, want).enumerated() {
            XCTAssertEqual(g.tokens, w.tokens, "\(label) sequence \(i): tokens")
            XCTAssertEqual(g.finish, w.finish, "\(label) sequence \(i): finish")
            for (step, (a, b)) in zip(g.logits, w.logits).enumerated() {
                let cmp = LogitComparison(actual: a, expected: b)
                XCTAssertLessThanOrEqual(cmp.relative, Self.tolerance, "\(label) sequence \(i) step \(step): maxdiff \(cmp.maxAbsDiff)")
            }
        }
    }

    /// Every fixture model, batches of 1, 3 and 16 sequences, greedy, different prompt lengths
    /// and token budgets (so sequences leave while others run and new ones take their slots).
    func testBatchedSequencesMatchTheirRunsAlone() throws {
        let kernels = try SharedGPU.kernels()
        for name in Fixture.models {
            let fixture = try Fixture(name)
            for slots in [1, 3, 16] {
                let model = try GPTOSSModel.load(location: fixture.modelPath("mxfp4"), context: kernels.context,
                                                 options: ModelOptions(context: 48, batch: slots + 5, sequences: slots),
                                                 kernels: kernels)
                let requests = prompts(fixture, count: slots + 2, vocab: model.config.vocabularySize).enumerated().map { i, p in
                    GenerationRequest(prompt: p, maxTokens: 3 + (i * 5) % 9)
                }
                let want = try alone(model, requests)
                // A wide batch fills at once (later sequences join as slots free); a narrow one staggers its joins.
                compare(try batched(model, requests, stagger: slots > 3 ? 0 : 2), want, "\(name) × \(slots)")
                print("batched \(name) × \(slots): \(requests.count) sequences OK")
            }
        }
    }

    /// A sequence run alone through the batch decoder gives `Generator`'s tokens (the path
    /// `generate` takes), sampled with a seed as well as greedy.
    func testAloneMatchesTheSingleStreamGenerator() throws {
        let kernels = try SharedGPU.kernels()
        let fixture = try Fixture("tiny-b")
        let model = try GPTOSSModel.load(location: fixture.modelPath("q8_0"), context: kernels.context,
                                         options: ModelOptions(context: 64, batch: 8, sequences: 2), kernels: kernels)
        let prompt = fixture.manifest.cases[0].tokens
        for sampling in [SamplingParameters.greedy, SamplingParameters(temperature: 0.9, topP: 0.95, seed: 11)] {
            let request = GenerationRequest(prompt: prompt, maxTokens: 12, sampling: sampling)
            let generated = try Generator(model: model).generate(request)
            XCTAssertEqual(try alone(model, [request])[0].tokens, generated, "sampling \(sampling)")
            // Beside a second stream, too.
            let other = GenerationRequest(prompt: Array(prompt.prefix(7)), maxTokens: 12, sampling: sampling)
            XCTAssertEqual(try batched(model, [request, other], stagger: 1)[0].tokens, generated, "batched, sampling \(sampling)")
        }
    }

    /// The bundled model: 16 chat-length sequences at once.
    func testBundledModelBatchOfSixteen() throws {
        let kernels = try SharedGPU.kernels()
        let model = try GPTOSSModel.load(location: BundledModelChatTests.modelPath, context: kernels.context,
                                         options: ModelOptions(context: 64, batch: 24, sequences: 16), kernels: kernels)
        let text = [200_000, 1_000, 12, 5_000, 77, 15_000, 300, 9, 22_000, 640, 3_000, 11_111, 2, 500, 8_000, 123]
        let requests = (0 ..< 16).map { i in
            GenerationRequest(prompt: (0 ... i % 9).map { (text[($0 + i) % text.count] + i) % model.config.vocabularySize },
                              maxTokens: 4 + i % 5)
        }
        compare(try batched(model, requests, stagger: 0), try alone(model, requests), "bundled × 16")
    }

    /// Layout and capacity rules are refused with a clear error before anything runs.
    func testStepRulesAreChecked() throws {
        let kernels = try SharedGPU.kernels()
        let fixture = try Fixture("tiny-a")
        let model = try GPTOSSModel.load(location: fixture.modelPath("f32"), context: kernels.context,
                                         options: ModelOptions(context: 32, batch: 6, sequences: 3), kernels: kernels)
        XCTAssertThrowsError(try model.step([SequenceTokens(slot: 0, tokens: [1]), SequenceTokens(slot: 1, tokens: [1, 2])])) {
            XCTAssertTrue("\($0)".contains("only the first sequence"), "\($0)")
        }
        XCTAssertThrowsError(try model.step([SequenceTokens(slot: 0, tokens: [1]), SequenceTokens(slot: 0, tokens: [2])])) {
            XCTAssertTrue("\($0)".contains("distinct"), "\($0)")
        }
        XCTAssertThrowsError(try model.step([SequenceTokens(slot: 0, tokens: Array(repeating: 1, count: 7))])) {
            XCTAssertTrue("\($0)".contains("--batch"), "\($0)")
        }
        XCTAssertThrowsError(try GPTOSSModel.load(location: fixture.modelPath("f32"), context: kernels.context,
                                                  options: ModelOptions(context: 32, batch: 2, sequences: 3), kernels: kernels)) {
            XCTAssertTrue("\($0)".contains("--batch"), "\($0)")
        }
        XCTAssertEqual(model.position(slot: 1), 0, "a refused step leaves the caches as they were")
    }
}
