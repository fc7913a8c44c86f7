import XCTest
import GLES
import Kernels
@testable import GPTOSS

/// Every kernel variant a step plan can pick, under every preset (portable for GPUs below the
/// wide limits, cpu that llvmpipe picks, wide that the NVIDIA card picks, and wide with chained
/// launches), against transformers' logits.
final class StepPlanTests: XCTestCase {
    /// One library per tuning on the shared context (programs compile once per tuning).
    nonisolated(unsafe) static var libraries: [String: KernelLibrary] = [:]

    static func library(_ name: String, _ tuning: KernelTuning) throws -> KernelLibrary {
        if let l = libraries[name] { return l }
        let l = try KernelLibrary(context: try SharedGPU.kernels().context, tuning: tuning)
        libraries[name] = l
        return l
    }

    static let tunings: [(String, KernelTuning)] = {
        // The wide tuning once more with the RoPE fusion off: the plan that folds only the norm
        // into the QKV launch (what weights of mixed types or a split matrix get).
        var unfused = KernelTuning.wide
        unfused.fuseRope = false
        // And with chained launches (no barriers; `ChainedLaunch`), which the card does not use
        // yet (its probe fails there) but which llvmpipe runs.
        // It also warms weights in L2 beside attention and the MoE down launch (launches outside
        // the chain and without barriers, which must leave every result as it was).
        var chained = KernelTuning.wide
        chained.chainedLaunches = true
        chained.warmAttentionOutput = true
        chained.warmNextProjection = true
        return [("portable", .portable), ("cpu", .cpu), ("wide", .wide), ("wide without fused RoPE", unfused),
                ("wide, chained launches, L2 warms", chained)]
    }()

    /// The dumps that force each decode variant: a wanted tensor must exist, so it turns off the
    /// fusion that would skip it.
    static func variants(layers: Int) -> [(String, Set<Intermediate>)] {
        func all(_ t: Intermediate.LayerTensor) -> Set<Intermediate> { Set((0 ..< layers).map { .layer($0, t) }) }
        return [("fused", []), ("norm apart", all(.attentionNorm)), ("router apart from the projection", all(.feedForwardInput)),
                ("router in four launches", all(.routerLogits)), ("head norm apart", [.outputNorm])]
    }

    func testPlanChoicesFollowTheShape() throws {
        let kernels = try Self.library("portable", .portable)
        let fixture = try Fixture("tiny-a")
        let model = try GPTOSSModel.load(location: fixture.modelPath("mxfp4"), context: kernels.context,
                                         options: ModelOptions(context: 32, batch: 8, sequences: 2), kernels: kernels)
        func plan(_ parts: [(KVCache, Int)], _ logits: LogitRows = .last, wanted: Set<Intermediate> = []) -> StepPlan {
            StepPlan(shape: StepShape(parts: parts.map { ($0.0, $0.1) }, logits: logits, wanted: wanted),
                     weights: model.weights, kernels: kernels, config: model.config)
        }
        let one = plan([(model.caches[0], 1)])
        XCTAssertTrue(one.layers.allSatisfy { $0.projection != .separate }, "a decode step folds the norm into QKV")
        XCTAssertTrue(one.normInHead)
        let norm = plan([(model.caches[0], 1)], wanted: [.layer(1, .attentionNorm)])
        XCTAssertEqual(norm.layers.map(\.projection).last, .separate, "a dump of attn_norm needs the norm's own launch")
        XCTAssertNotEqual(norm.layers.map(\.projection).first, .separate, "only the dumped layer changes")
        let router = plan([(model.caches[0], 1)], wanted: [.layer(0, .routerLogits)])
        XCTAssertEqual(router.layers[0].router, .separate)
        let two = plan([(model.caches[0], 1), (model.caches[1], 1)])
        XCTAssertTrue(two.layers.allSatisfy { $0.projection == .separate && $0.router == .separate },
                      "two sequences in one step run the row kernels")
        XCTAssertFalse(two.normInHead, "two logits rows")
        let chunk = plan([(model.caches[0], 6), (model.caches[1], 1)], .last)
        XCTAssertEqual(chunk.shape.headRows?.first, 5, "the head starts at the chunk's last row")
        XCTAssertEqual(chunk.shape.headRows?.count, 2)
        XCTAssertNil(plan([(model.caches[0], 6)], .none).shape.headRows)
        XCTAssertFalse(one.warmsAttentionOutput || one.warmsNextProjection, "the portable tuning warms nothing")
    }

    func testL2WarmsOnlyInDecodeShapedSteps() throws {
        var tuning = KernelTuning.portable
        tuning.warmAttentionOutput = true
        tuning.warmNextProjection = true
        let kernels = try Self.library("portable with L2 warms", tuning)
        let fixture = try Fixture("tiny-a")
        let model = try GPTOSSModel.load(location: fixture.modelPath("mxfp4"), context: kernels.context,
                                         options: ModelOptions(context: 32, batch: 8, sequences: 2), kernels: kernels)
        func plan(_ parts: [(KVCache, Int)]) -> StepPlan {
            StepPlan(shape: StepShape(parts: parts, logits: .last, wanted: []), weights: model.weights, kernels: kernels,
                     config: model.config)
        }
        for decode in [plan([(model.caches[0], 1)]), plan([(model.caches[0], 1), (model.caches[1], 1)])] {
            XCTAssertTrue(decode.warmsAttentionOutput && decode.warmsNextProjection)
        }
        let prefill = plan([(model.caches[0], 6), (model.caches[1], 1)])
        XCTAssertFalse(prefill.warmsAttentionOutput || prefill.warmsNextProjection, "a prefill-sized step warms nothing")
    }

    /// Prefill at every position and decode steps under each variant, both tunings, every
    /// fixture model: all within 1e-3 · max|logit| of transformers.
    func testEveryVariantUnderEveryTuningMatchesTransformers() throws {
        for (tuningName, tuning) in Self.tunings {
            let kernels = try Self.library(tuningName, tuning)
            // The chained tuning must chain here (its probe must pass on llvmpipe), or this test
            // would not run chained launches at all.
            XCTAssertEqual(kernels.chainsLaunches, tuning.chainedLaunches, "\(tuningName): \(kernels.launchOrdering)")
            var seen = Set<String>()
            for name in Fixture.models {
                let fixture = try Fixture(name)
                for flavour in ["f32", "mxfp4"] {
                    let model = try GPTOSSModel.load(location: fixture.modelPath(flavour), context: kernels.context,
                                                     options: ModelOptions(context: 64, batch: 16), kernels: kernels)
                    let vocab = model.config.vocabularySize
                    let testCase = fixture.manifest.cases[1]
                    let expected = try fixture.expectedLogits(testCase, flavour).values
                    let full = try model.prefill(testCase.tokens, logits: .all)
                    let cmp = LogitComparison(actual: full, expected: expected)
                    XCTAssertLessThanOrEqual(cmp.relative, GPUForwardTests.tolerance, "\(tuningName) \(name) \(flavour) prefill")
                    for (variant, wanted) in Self.variants(layers: model.config.blockCount) {
                        model.reset()
                        let split = 12
                        try model.prefill(Array(testCase.tokens[..<split]), logits: .none)
                        let plan = StepPlan(shape: StepShape(cache: model.cache, tokens: 1, logits: .last, wanted: wanted),
                                            weights: model.weights, kernels: kernels, config: model.config)
                        seen.formUnion(plan.layers.map { "\($0.projection)/\($0.router)" })
                        for position in split ..< split + 6 {
                            var dumps: [Intermediate: [Float]] = [:]
                            try model.decode(testCase.tokens[position], dumps: wanted, into: &dumps)
                            XCTAssertEqual(Set(dumps.keys), wanted, "\(variant): the dumps asked for")
                            let row = try model.lastLogits()
                            let cmp = LogitComparison(actual: row, expected: Array(expected[position * vocab ..< (position + 1) * vocab]))
                            XCTAssertLessThanOrEqual(cmp.relative, GPUForwardTests.tolerance,
                                                     "\(tuningName) \(name) \(flavour) \(variant) position \(position)")
                        }
                    }
                }
            }
            print("tuning \(tuningName): plan variants run: \(seen.sorted())")
            XCTAssertTrue(seen.contains { $0.hasPrefix("separate/") } && seen.contains { $0.hasSuffix("/separate") }
                          && seen.contains { $0.hasSuffix("/fused") }, "\(tuningName): \(seen)")
            XCTAssertTrue(seen.contains { $0.hasPrefix(tuning.fuseRope ? "normRopeAppendInProjection/" : "normInProjection/") },
                          "\(tuningName): \(seen)")
        }
    }
}
