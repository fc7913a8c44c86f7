import Foundation
import GLES
import Kernels
import Telemetry
import XCTest
@testable import GPTOSS

/// The serial engine on the GPU (llvmpipe here) with a fixture model: the same greedy tokens as
/// the generator, a bounded queue, refusals at submit, cancellation by dropping the stream, and
/// shutdown. The test thread owns the shared GL context, so it waits on Tasks that consume the
/// streams, and every test shuts its engine down (handing the context back) before it ends.
final class SerialCompletionEngineTests: CompletionEngineTestCase {
    private func engine(queue: Int, context: Int = 64, telemetry: TelemetryBus? = nil) throws -> (SerialCompletionEngine, Fixture.Manifest.Greedy) {
        let fixture = try Fixture("tiny-a")
        let greedy = try XCTUnwrap(fixture.manifest.greedy["f32"])
        let kernels = try SharedGPU.kernels()
        let model = try GPTOSSModel.load(location: fixture.modelPath("f32"), context: kernels.context,
                                         options: ModelOptions(context: context, batch: 16), kernels: kernels)
        return (SerialCompletionEngine(model: model, queueCapacity: queue, telemetry: telemetry), greedy)
    }

    override func makeEngine(queue: Int, context: Int) throws -> (CompletionEngine, Fixture.Manifest.Greedy) {
        try engine(queue: queue, context: context)
    }

    // The CompletionEngine contract (CompletionEngineTestCase).
    func testGreedyTokensEqualTheGenerators() throws { try checkGreedyTokensEqualTheGenerators() }
    func testRefusalsAtSubmit() throws { try checkRefusalsAtSubmit() }
    func testDroppingTheStreamCancelsTheSequence() throws { try checkDroppingTheStreamCancelsTheSequence() }
    func testShutdownCutsOffARunningSequence() throws { try checkShutdownCutsOffARunningSequence() }

    /// Telemetry tells sequences apart: tokens and KV use carry the sequence id, and each
    /// sequence reports being admitted and finished.
    func testTelemetryCarriesTheSequence() throws {
        let collector = EventCollector()
        let (engine, greedy) = try engine(queue: 1, telemetry: TelemetryBus(sinks: [collector]))
        let first = try engine.submit(CompletionRequest(prompt: greedy.prompt, maxTokens: 3))
        let second = try engine.submit(CompletionRequest(prompt: greedy.prompt, maxTokens: 2))
        _ = try wait { [await Self.collect(first), await Self.collect(second)] }
        try wait { await engine.shutdown(within: 1) }
        let events = collector.events.map(\.payload)
        let tokens = events.compactMap { if case .token(let t) = $0 { return t.sequence } else { return nil } }
        XCTAssertEqual(tokens, [1, 1, 1, 2, 2])
        let kv = events.compactMap { if case .kvCache(let use) = $0 { return use.sequence } else { return nil } }
        XCTAssertEqual(kv.filter { $0 != nil }, [1, 1, 1, 2, 2])
        let updates = events.compactMap { if case .sequence(let u) = $0 { return u } else { return nil } }
        XCTAssertEqual(updates.map { "\($0.sequence):\($0.state.rawValue)" }, ["1:admitted", "1:finished", "2:admitted", "2:finished"])
        XCTAssertEqual(updates[1].generatedTokens, 3)
        XCTAssertEqual(updates[1].reason, "max_tokens")
        XCTAssertEqual(updates[3].kvUsedTokens, greedy.prompt.count + 2)
        // The HUD's sessions view: the first table has sequence 1 decoding on slot 0 and 2
        // waiting; the last is empty.
        let tables = events.compactMap { if case .sessions(let t) = $0 { return t } else { return nil } }
        let firstTable = try XCTUnwrap(tables.first)
        XCTAssertEqual(firstTable.rows.map { "\($0.sequence):\($0.slot.map(String.init) ?? "-"):\($0.state.rawValue)" }, ["1:0:decode", "2:-:queued"])
        XCTAssertEqual(firstTable.queued, 1)
        XCTAssertEqual(firstTable.slots, 1)
        XCTAssertEqual(tables.last?.rows, [])
    }
}
