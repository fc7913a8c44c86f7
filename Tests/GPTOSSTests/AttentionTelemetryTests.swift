import XCTest
import GLES
import Kernels
import Telemetry
@testable import GPTOSS

/// The attention heatmap's telemetry from a real generation on the GPU against the CPU
/// reference model's attention weights of the same tokens.
final class AttentionTelemetryTests: XCTestCase {
    static let tolerance: Float = 1e-4

    func kernels() throws -> KernelLibrary { try SharedGPU.kernels() }

    /// Generates with telemetry on and returns the token and attention events in order.
    func generate(_ model: GPTOSSModel, prompt: [Int], maxTokens: Int,
                  probe: AttentionProbeOptions?) throws -> (tokens: [TokenSample], attention: [AttentionSummary]) {
        let collector = EventCollector()
        let generator = Generator(model: model, telemetry: TelemetryBus(sinks: [collector]))
        generator.attentionProbe = probe
        try generator.generate(GenerationRequest(prompt: prompt, maxTokens: maxTokens))
        var tokens: [TokenSample] = [], attention: [AttentionSummary] = []
        for event in collector.events {
            switch event.payload {
            case .token(let t): tokens.append(t)
            case .attention(let a): attention.append(a)
            default: break
            }
        }
        return (tokens, attention)
    }

    /// tiny-a (2 layers: 0 sliding with window 8, 1 full; 4 query heads on 2 KV heads), f32
    /// weights, a 12-token prompt prefilled in batches of 4 (so the sliding ring of 8 + 4 slots
    /// wraps), 10 greedy tokens. Every token gets one event, for the step that chose it: the
    /// prefill's last token for the first, then each decode step's token; the default layer is
    /// the last full one (1). Then the sliding layer 0 with 3 heads and 5 columns.
    func testAttentionEventsMatchTheReferenceModel() throws {
        let fixture = try Fixture("tiny-a")
        let path = fixture.modelPath("f32")
        let kernels = try kernels()
        let model = try GPTOSSModel.load(location: path, context: kernels.context,
                                         options: ModelOptions(context: 64, batch: 4), kernels: kernels)
        let reference = try ReferenceModel(model: try ModelFile(location: path))
        let prompt = fixture.manifest.greedy["f32"]!.prompt
        XCTAssertEqual(model.config.slidingWindow, 8)

        let cases: [(AttentionProbeOptions, layer: Int, heads: Int, columns: Int)] = [
            (AttentionProbeOptions(), 1, 4, 64),
            (AttentionProbeOptions(layer: 0, heads: 3, columns: 5), 0, 3, 5),
        ]
        for (options, layer, heads, columns) in cases {
            let run = try generate(model, prompt: prompt, maxTokens: 10, probe: options)
            XCTAssertEqual(run.tokens.count, 10)
            XCTAssertEqual(run.attention.count, run.tokens.count, "one attention event per token")
            let sequence = prompt + run.tokens.dropLast().map(\.id)
            let expected = try reference.attentionWeights(tokens: sequence, layer: layer)
            var worst: Float = 0
            for (token, summary) in zip(run.tokens, run.attention) {
                // The token at `position` was chosen by the step whose query sat at position − 1.
                let query = token.position - 1
                let ref = expected[query]
                let shown = min(columns, query - ref.first + 1)
                XCTAssertEqual(summary.layer, layer)
                XCTAssertEqual(summary.heads, heads)
                XCTAssertEqual(summary.positions, Array(query + 1 - shown ... query), "columns of the query at \(query)")
                XCTAssertEqual(summary.weights.count, heads * shown)
                for head in 0 ..< heads {
                    for (column, weight) in ref.weights[head].suffix(shown).enumerated() {
                        let got = summary.weight(head: head, column: column)
                        worst = max(worst, abs(got - weight))
                        XCTAssertEqual(got, weight, accuracy: Self.tolerance, "layer \(layer) query \(query) head \(head) column \(column)")
                    }
                }
            }
            print("attention telemetry layer \(layer): \(run.attention.count) events, max |gpu − reference| = \(worst)")
        }
    }

    /// Off unless asked: telemetry alone gives router and token events but no attention readback.
    func testNoAttentionEventsWithoutTheProbe() throws {
        let fixture = try Fixture("tiny-b")
        let kernels = try kernels()
        let model = try GPTOSSModel.load(location: fixture.modelPath("mxfp4"), context: kernels.context,
                                         options: ModelOptions(context: 64, batch: 16), kernels: kernels)
        let run = try generate(model, prompt: Array(fixture.manifest.cases[0].tokens.prefix(6)), maxTokens: 3, probe: nil)
        XCTAssertEqual(run.tokens.count, 3)
        XCTAssertTrue(run.attention.isEmpty)
        XCTAssertNil(try model.attentionSummary())
        XCTAssertThrowsError(try model.traceAttention(AttentionProbeOptions(layer: 3))) { error in
            XCTAssertTrue("\(error.localizedDescription)".contains("layer 3 does not exist"), "\(error.localizedDescription)")
        }
        XCTAssertThrowsError(try model.traceAttention(AttentionProbeOptions(columns: 65))) { error in
            XCTAssertEqual(error as? GPTOSSError, .badAttentionProbe("columns must be in 1…64, got 65"))
        }
        // tiny-b: layers 0 sliding, 1 full, 2 sliding → the last full layer is 1.
        XCTAssertEqual(try AttentionProbeOptions().resolvedLayer(model.config), 1)
    }
}
