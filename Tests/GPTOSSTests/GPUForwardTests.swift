import XCTest
import GLES
import Telemetry
import Kernels
@testable import GPTOSS

/// The whole model on the GPU (llvmpipe here) against transformers' float32 logits.
///
/// Tolerance: max |gpu − torch| ≤ 1e-3 · max |torch logit| for every flavour. The Q8_0 and
/// MXFP4 references were computed by transformers on the weights as dequantised from those very
/// files, and the kernels dequantise exactly (a scale times a small integer is exact in f32), so
/// quantisation adds no error of its own: only the order of f32 arithmetic differs, as for F32.
final class GPUForwardTests: XCTestCase {
    static let tolerance: Float = 1e-3
    func kernels() throws -> KernelLibrary { try SharedGPU.kernels() }

    func load(_ fixture: Fixture, _ flavour: String, context positions: Int = 64, batch: Int = 16) throws -> GPTOSSModel {
        let k = try kernels()
        return try GPTOSSModel.load(location: fixture.modelPath(flavour), context: k.context,
                                    options: ModelOptions(context: positions, batch: batch), kernels: k)
    }

    /// Every model, every flavour, every case: a full prefill (in batches of 16, so the later
    /// batches read earlier keys from the cache rings) at every position.
    func testPrefillMatchesTransformersForEveryFixture() throws {
        for name in Fixture.models {
            let fixture = try Fixture(name)
            for flavour in Fixture.flavours {
                let model = try load(fixture, flavour)
                for testCase in fixture.manifest.cases {
                    model.reset()
                    let logits = try model.prefill(testCase.tokens, logits: .all)
                    let cmp = LogitComparison(actual: logits, expected: try fixture.expectedLogits(testCase, flavour).values)
                    XCTAssertLessThanOrEqual(cmp.relative, Self.tolerance,
                                             "\(name) \(flavour) \(testCase.name): maxdiff \(cmp.maxAbsDiff)")
                    print("gpu prefill \(name) \(flavour) \(testCase.name): OK, maxdiff = \(cmp.maxAbsDiff) (\(cmp.relative) of max|logit|)")
                }
            }
        }
    }

    /// Prefill part of a sequence, then decode the rest one token at a time: each decode step's
    /// logits equal the full recompute's (and transformers') at that position.
    func testDecodeAfterPrefillMatchesFullRecompute() throws {
        for name in Fixture.models {
            let fixture = try Fixture(name)
            let testCase = fixture.manifest.cases[1]
            let model = try load(fixture, "mxfp4")
            let vocab = model.config.vocabularySize
            let full = try model.prefill(testCase.tokens, logits: .all)
            let expected = try fixture.expectedLogits(testCase, "mxfp4").values
            model.reset()
            let split = 10
            try model.prefill(Array(testCase.tokens[..<split]), logits: .none)
            for position in split ..< testCase.tokens.count {
                var ignored: [Intermediate: [Float]] = [:]
                try model.decode(testCase.tokens[position], dumps: [], into: &ignored)
                let row = try model.lastLogits()
                let recompute = Array(full[position * vocab ..< (position + 1) * vocab])
                let vsRecompute = LogitComparison(actual: row, expected: recompute)
                let vsTorch = LogitComparison(actual: row, expected: Array(expected[position * vocab ..< (position + 1) * vocab]))
                XCTAssertLessThanOrEqual(vsRecompute.relative, Self.tolerance, "\(name) position \(position) vs recompute")
                XCTAssertLessThanOrEqual(vsTorch.relative, Self.tolerance, "\(name) position \(position) vs torch")
            }
            print("gpu decode \(name): positions \(split)..<\(testCase.tokens.count) OK")
        }
    }

    /// Greedy generation from the manifest's prompt reproduces transformers' greedy continuation.
    func testGreedyGenerationReproducesTransformers() throws {
        for name in Fixture.models {
            let fixture = try Fixture(name)
            for (flavour, greedy) in fixture.manifest.greedy.sorted(by: { $0.key < $1.key }) {
                let model = try load(fixture, flavour)
                let generated = try Generator(model: model).generate(
                    GenerationRequest(prompt: greedy.prompt, maxTokens: greedy.continuation.count))
                XCTAssertEqual(generated, greedy.continuation, "\(name) \(flavour)")
            }
        }
    }

    /// The async stream gives the same tokens as the synchronous call, with events in order, and
    /// hands the GL context back: the test thread uses it again afterwards. (The test thread owns
    /// the context, so it waits for a Task that consumes the stream instead of being async itself.)
    func testStreamMatchesSynchronousGeneration() throws {
        let fixture = try Fixture("tiny-c")
        let greedy = try XCTUnwrap(fixture.manifest.greedy["f32"])
        let model = try load(fixture, "f32")
        let generator = Generator(model: model)
        let stream = generator.stream(GenerationRequest(prompt: greedy.prompt, maxTokens: 6))
        final class Box: @unchecked Sendable { var kinds: [String] = []; var tokens: [Int] = []; var error: Error? }
        let box = Box()
        let done = expectation(description: "stream finished")
        Task {
            do {
                for try await event in stream {
                    switch event {
                    case .prefilled: box.kinds.append("prefilled")
                    case .token(let t): box.kinds.append("token"); box.tokens.append(t.id)
                    case .finished: box.kinds.append("finished")
                    }
                }
            } catch { box.error = error }
            done.fulfill()
        }
        wait(for: [done], timeout: 120)
        XCTAssertNil(box.error)
        XCTAssertEqual(box.kinds, ["prefilled"] + Array(repeating: "token", count: 6) + ["finished"])
        XCTAssertEqual(box.tokens, Array(greedy.continuation.prefix(6)))
        XCTAssertEqual(try generator.generate(GenerationRequest(prompt: greedy.prompt, maxTokens: 6)), box.tokens)
    }

    /// A dumped intermediate is the same tensor as the CPU reference's of that name.
    func testDumpedIntermediatesMatchTheReference() throws {
        let fixture = try Fixture("tiny-b")
        let file = try ModelFile(location: fixture.modelPath("q8_0"))
        let reference = try ReferenceModel(model: file)
        let tokens = Array(fixture.manifest.cases[0].tokens.prefix(20))
        let names: [Intermediate] = [.embedding, .layer(0, .attentionNorm), .layer(0, .query), .layer(0, .key),
                                     .layer(0, .value), .layer(0, .attentionMix), .layer(2, .attentionOutput),
                                     .layer(1, .feedForwardInput), .layer(1, .routerLogits), .layer(1, .feedForwardOutput),
                                     .layer(2, .layerOutput), .outputNorm]
        var expected: [Intermediate: [Float]] = [:]
        _ = try reference.logits(tokens: tokens) { name, _, values in
            if names.contains(name) { expected[name, default: []] += values }
        }
        let model = try load(fixture, "q8_0")
        var dumps: [Intermediate: [Float]] = [:]
        try model.prefill(tokens, logits: .all, dumps: Set(names), into: &dumps)
        for name in names {
            let got = try XCTUnwrap(dumps[name], "\(name) not dumped")
            let want = expected[name]!
            XCTAssertEqual(got.count, want.count, "\(name)")
            let cmp = LogitComparison(actual: got, expected: want)
            XCTAssertLessThanOrEqual(cmp.relative, 1e-4, "\(name): maxdiff \(cmp.maxAbsDiff) of max \(cmp.maxAbsLogit)")
        }
    }

    /// A context whose KV cache cannot fit is refused before any weight is uploaded.
    func testContextTooLargeForTheDeviceFailsUpFront() throws {
        let k = try kernels()
        let before = k.context.memory.allocatedBytes
        XCTAssertThrowsError(try GPTOSSModel.load(location: try Fixture("tiny-a").modelPath("f32"), context: k.context,
                                                  options: ModelOptions(context: 1 << 34), kernels: k)) { error in
            guard case .contextTooLarge(let context, _, _) = error as? GPTOSSError else {
                return XCTFail("expected contextTooLarge, got \(error)")
            }
            XCTAssertEqual(context, 1 << 34)
            XCTAssertTrue(error.localizedDescription.contains("--context"))
        }
        XCTAssertEqual(k.context.memory.allocatedBytes, before, "nothing was allocated")
    }

    /// The HUD and the profile list telemetry's op names; they are the kernel library's
    /// operations, in the same order (Telemetry imports nothing, so the list is written twice).
    func testTelemetryOpNamesAreTheKernelOperations() {
        XCTAssertEqual(KernelOperation.allCases.map(\.rawValue), KernelOp.all)
    }

    /// A batch below 1 is clamped, and the KV cache and scratch are sized for the clamped batch
    /// (they were sized for the unclamped one: zero-sized buffers for `batch: 0`).
    func testNonPositiveBatchIsClampedForTheBuffersToo() throws {
        let fixture = try Fixture("tiny-a")
        let model = try load(fixture, "f32", batch: 0)
        XCTAssertEqual(model.batch, 1)
        let testCase = fixture.manifest.cases[0]
        let tokens = Array(testCase.tokens.prefix(3))
        let logits = try model.prefill(tokens, logits: .all)
        let vocab = model.config.vocabularySize
        let expected = Array(try fixture.expectedLogits(testCase, "f32").values.prefix(tokens.count * vocab))
        let cmp = LogitComparison(actual: logits, expected: expected)
        XCTAssertLessThanOrEqual(cmp.relative, Self.tolerance, "maxdiff \(cmp.maxAbsDiff)")
    }

    func testTokenOutsideVocabularyAndOverfullContextAreClearErrors() throws {
        let fixture = try Fixture("tiny-a")
        let model = try load(fixture, "f32", context: 8, batch: 4)
        XCTAssertThrowsError(try model.prefill([1, 320])) {
            XCTAssertEqual($0 as? GPTOSSError, .tokenOutOfRange(token: 320, vocabularySize: 320))
        }
        XCTAssertThrowsError(try model.prefill(Array(repeating: 1, count: 9))) {
            XCTAssertTrue($0.localizedDescription.contains("--context"), $0.localizedDescription)
        }
    }

    /// A generation reports stages, each operation once under its typed name (none stray: the
    /// fused decode router and the attention probe included), each token with its top-5
    /// and entropy, and the router's k experts per layer with weights summing to 1.
    func testGenerationTelemetry() throws {
        let fixture = try Fixture("tiny-b")
        let k = try kernels()
        let collector = EventCollector()
        let bus = TelemetryBus(sinks: [collector])
        let model = try GPTOSSModel.load(location: fixture.modelPath("mxfp4"), context: k.context,
                                         options: ModelOptions(context: 64, batch: 16), kernels: k, telemetry: bus)
        let generator = Generator(model: model, telemetry: bus)
        generator.attentionProbe = AttentionProbeOptions()
        let generated = try generator.generate(GenerationRequest(prompt: [5, 6, 7], maxTokens: 4))
        let events = collector.events.map(\.payload)
        let modes = events.compactMap { if case .kernelMode(let m) = $0 { return m } else { return nil } }
        XCTAssertEqual(modes.map(\.op).sorted(), KernelOp.all.sorted(), "every op once, no stray rows: \(modes)")
        let tokens = events.compactMap { if case .token(let t) = $0 { return t } else { return nil } }
        XCTAssertEqual(tokens.map(\.id), generated)
        XCTAssertEqual(tokens.map(\.position), [3, 4, 5, 6])
        for t in tokens {
            XCTAssertEqual(t.top.count, 5)
            XCTAssertEqual(t.top[0].id, t.id, "greedy picks the most likely")
            XCTAssertGreaterThan(t.entropy, 0)
        }
        let routes = events.compactMap { if case .router(let r) = $0 { return r } else { return nil } }
        XCTAssertEqual(routes.count, 4 * model.config.blockCount)
        for r in routes {
            XCTAssertEqual(r.experts.count, model.config.expertUsedCount)
            XCTAssertEqual(r.weights.reduce(0, +), 1, accuracy: 1e-5)
            XCTAssertTrue(r.experts.allSatisfy { (0 ..< model.config.expertCount).contains($0) })
        }
        XCTAssertTrue(events.contains { if case .stage(let s) = $0 { return s.stage == .gpuUpload && s.status == .completed } else { return false } })
    }
}
