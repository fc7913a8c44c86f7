import XCTest
import GLES
import Kernels
import Telemetry
@testable import GPTOSS

/// Speculative decoding changes the speed, never the output: greedy runs are token for token
/// plain greedy decoding for any k and drafter, and sampled runs draw from the model's own
/// distribution (the accept/reject rule checked on the CPU over many draws).
final class SpeculationTests: XCTestCase {
    // MARK: - The rule

    func testGreedyRuleKeepsTheArgmaxPrefix() {
        let argmax = [7, 3, 9, 4]
        let target = argmax.map { [($0, 1.0)] as SpeculativeSampling.Distribution }
        func verify(_ drafts: [Int]) -> (Int, Int) {
            let r = SpeculativeSampling.verify(drafts: drafts, draftDistributions: drafts.map { [($0, 1.0)] },
                                               target: Array(target.prefix(drafts.count + 1)), uniform: { XCTFail("greedy draws nothing"); return 0 })
            return (r.accepted, r.next)
        }
        XCTAssertTrue(verify([7, 3, 9]) == (3, 4), "all accepted: the bonus token")
        XCTAssertTrue(verify([7, 5, 9]) == (1, 3), "the first mismatch is corrected")
        XCTAssertTrue(verify([1]) == (0, 7))
    }

    /// The first emitted token follows p exactly, whatever q proposed: over 60 000 seeded draws
    /// each probability is within 0.008 (about 5 standard errors) of p's.
    func testSampledRuleReproducesTheTargetDistribution() {
        let p: SpeculativeSampling.Distribution = [(1, 0.5), (2, 0.25), (3, 0.15), (4, 0.1)]
        let drafters: [(String, SpeculativeSampling.Distribution)] = [
            ("one-hot on a likely token", [(1, 1)]), ("one-hot on an unlikely token", [(4, 1)]),
            ("a draft model's own distribution", [(1, 0.2), (3, 0.5), (5, 0.3)]),
        ]
        for (label, q) in drafters {
            var rng = SeededGenerator(seed: 42)
            var counts: [Int: Int] = [:]
            let trials = 60_000
            for _ in 0 ..< trials {
                // Draw the draft from q, then verify it against p (bonus target irrelevant here).
                let x = SpeculativeSampling.draw(q) { Double.random(in: 0 ..< 1, using: &rng) }
                let r = SpeculativeSampling.verify(drafts: [x], draftDistributions: [q], target: [p, [(9, 1)]]) {
                    Double.random(in: 0 ..< 1, using: &rng)
                }
                counts[r.accepted == 1 ? x : r.next, default: 0] += 1
            }
            for (id, probability) in p {
                XCTAssertEqual(Double(counts[id, default: 0]) / Double(trials), probability, accuracy: 0.008, "\(label): token \(id)")
            }
            XCTAssertNil(counts[5], "\(label): a token p gives no mass is never emitted")
        }
    }

    func testPromptLookupProposesWhatFollowedTheLatestMatch() {
        let drafter = NGramDrafter(maxMatch: 3)
        XCTAssertEqual(drafter.propose(after: [1, 2, 3, 4, 5, 9, 2, 3], count: 2).map(\.token), [4, 5])
        XCTAssertEqual(drafter.propose(after: [1, 2, 3, 7, 1, 2, 3, 8, 2, 3], count: 3).map(\.token), [8, 2, 3],
                       "the latest occurrence wins")
        XCTAssertEqual(drafter.propose(after: [1, 2, 3, 4], count: 3).map(\.token), [], "no repeat, no guess")
        XCTAssertEqual(drafter.propose(after: [5, 6, 5], count: 4).map(\.token), [6, 5], "stops at the end of the text")
    }

    // MARK: - Exactness on the GPU

    func load(_ path: String, context: Int = 96, batch: Int = 16) throws -> GPTOSSModel {
        let kernels = try SharedGPU.kernels()
        return try GPTOSSModel.load(location: path, context: kernels.context,
                                    options: ModelOptions(context: context, batch: batch), kernels: kernels)
    }

    /// A prompt that repeats (so prompt lookup finds matches) and one that does not.
    func prompts(_ fixture: Fixture) -> [[Int]] {
        let tokens = fixture.manifest.cases[2].tokens
        return [Array(tokens.prefix(12)) + Array(tokens.prefix(12)) + Array(tokens.prefix(5)), Array(tokens.prefix(9))]
    }

    func testGreedySpeculationEqualsPlainGreedyForEveryDraftLength() throws {
        for name in Fixture.models {
            let fixture = try Fixture(name)
            let model = try load(fixture.modelPath("mxfp4"))
            for prompt in prompts(fixture) {
                let request = GenerationRequest(prompt: prompt, maxTokens: 24)
                let plain = try Generator(model: model).generate(request)
                for k in [1, 2, 4, 8] {
                    let collector = EventCollector()
                    let bus = TelemetryBus(sinks: [collector])
                    let generator = Generator(model: model, telemetry: bus)
                    generator.speculation = try SpeculationOptions(drafter: NGramDrafter(), draftTokens: k)
                    XCTAssertEqual(try generator.generate(request), plain, "\(name) k = \(k) prompt of \(prompt.count)")
                    let steps = collector.events.compactMap { if case .speculation(let s) = $0.payload { return s } else { return nil } }
                    XCTAssertTrue(steps.allSatisfy { $0.accepted <= $0.drafted && $0.drafted <= k })
                    let drafted = collector.events.compactMap { if case .token(let t) = $0.payload { return t.drafted } else { return nil } }
                    XCTAssertEqual(drafted.filter { $0 == true }.count, steps.reduce(0) { $0 + $1.accepted },
                                   "every accepted draft is marked in the token stream")
                }
            }
        }
    }

    /// A draft model (the same fixture in another weight format: same tokenizer, slightly
    /// different numbers) proposes; the output is still the target's greedy output.
    func testDraftModelSpeculationEqualsPlainGreedy() throws {
        let fixture = try Fixture("tiny-b")
        let target = try load(fixture.modelPath("f32"))
        let draft = try load(fixture.modelPath("mxfp4"))
        for prompt in prompts(fixture) {
            let request = GenerationRequest(prompt: prompt, maxTokens: 20)
            let plain = try Generator(model: target).generate(request)
            let generator = Generator(model: target)
            generator.speculation = try SpeculationOptions(drafter: try DraftModelDrafter(model: draft, target: target), draftTokens: 4)
            XCTAssertEqual(try generator.generate(request), plain)
        }
    }

    /// The bundled model on text that repeats: identical output, and prompt lookup accepts drafts.
    func testBundledModelRepeatingPrompt() throws {
        let model = try load(BundledModelChatTests.modelPath, context: 160, batch: 16)
        let verse = [1_000, 2_000, 3_000, 4_000, 5_000, 6_000, 7_000, 8_000, 9_000, 10_000, 11_000, 12_000]
            .map { $0 % model.config.vocabularySize }
        let request = GenerationRequest(prompt: verse + verse + verse, maxTokens: 32)
        let plain = try Generator(model: model).generate(request)
        let collector = EventCollector()
        let generator = Generator(model: model, telemetry: TelemetryBus(sinks: [collector]))
        generator.speculation = try SpeculationOptions(drafter: NGramDrafter(), draftTokens: 6)
        XCTAssertEqual(try generator.generate(request), plain)
        let steps = collector.events.compactMap { if case .speculation(let s) = $0.payload { return s } else { return nil } }
        print("bundled model, repeating prompt: \(steps.count) verification steps, "
              + "\(steps.reduce(0) { $0 + $1.accepted }) of \(steps.reduce(0) { $0 + $1.drafted }) drafts accepted")
        XCTAssertFalse(steps.isEmpty, "prompt lookup found no match in a prompt that repeats")
    }

    func testDraftTokensOutOfRangeAreRefused() {
        XCTAssertThrowsError(try SpeculationOptions(drafter: NGramDrafter(), draftTokens: 0)) {
            XCTAssertTrue("\($0)".contains("--draft-tokens"), "\($0)")
        }
        XCTAssertThrowsError(try SpeculationOptions(drafter: NGramDrafter(), draftTokens: 17)) { error in
            XCTAssertEqual(error as? GPTOSSError,
                           .badSamplingParameter("--draft-tokens must be in 1…\(SpeculationOptions.maxDraftTokens), got 17"))
        }
    }
}
