import Foundation
import GLES
import Kernels
import Telemetry
import XCTest
@testable import GPTOSS

/// The batched engine on the GPU (llvmpipe here) with a fixture model: the same greedy tokens as
/// the generator, alone and among concurrent requests, a bounded queue, refusals at submit,
/// cancellation by dropping the stream, and shutdown. The test thread owns the shared GL context, so it waits on Tasks that consume the
/// streams, and every test shuts its engine down (handing the context back) before it ends.
final class BatchCompletionEngineTests: CompletionEngineTestCase {
    private func engine(queue: Int, context: Int = 64, slots: Int = 1,
                        telemetry: TelemetryBus? = nil) throws -> (BatchCompletionEngine, Fixture.Manifest.Greedy) {
        let fixture = try Fixture("tiny-a")
        let greedy = try XCTUnwrap(fixture.manifest.greedy["f32"])
        let kernels = try SharedGPU.kernels()
        let model = try GPTOSSModel.load(location: fixture.modelPath("f32"), context: kernels.context,
                                         options: ModelOptions(context: context, batch: 16, sequences: slots), kernels: kernels)
        return (try BatchCompletionEngine(model: model, queueCapacity: queue, prefillChunk: 4, telemetry: telemetry), greedy)
    }

    override func makeEngine(queue: Int, context: Int) throws -> (CompletionEngine, Fixture.Manifest.Greedy) {
        try engine(queue: queue, context: context)
    }

    // The CompletionEngine contract (CompletionEngineTestCase).
    func testGreedyTokensEqualTheGenerators() throws { try checkGreedyTokensEqualTheGenerators() }

    /// Eight requests at once on four slots (four wait, then join as slots free): each stream's
    /// tokens equal the same request run alone.
    func testConcurrentRequestsEqualTheirRunsAlone() throws {
        let (engine, greedy) = try engine(queue: 4, slots: 4)
        let requests = (0 ..< 8).map { i in
            CompletionRequest(prompt: Array(greedy.prompt.prefix(3 + i)) + [i + 1], maxTokens: 5 + i)
        }
        var alone: [[Int]] = []
        for request in requests {
            let stream = try engine.submit(request)
            alone.append(try wait { await Self.collect(stream) }.tokens)
        }
        let streams = try requests.map { try engine.submit($0) }
        let together = try wait { () -> [Run] in
            await withTaskGroup(of: (Int, Run).self) { group in
                for (i, stream) in streams.enumerated() { group.addTask { (i, await Self.collect(stream)) } }
                var runs = Array(repeating: Run(), count: streams.count)
                for await (i, run) in group { runs[i] = run }
                return runs
            }
        }
        XCTAssertEqual(together.map(\.tokens), alone)
        XCTAssertTrue(together.allSatisfy { $0.error == nil }, "\(together.compactMap(\.error))")
        XCTAssertEqual(Set(together.compactMap { $0.events.first }), Set((0 ..< 4).map { "admitted:\($0)" }),
                       "every slot was used")
        try wait { await engine.shutdown(within: 1) }
    }

    func testRefusalsAtSubmit() throws { try checkRefusalsAtSubmit() }
    func testDroppingTheStreamCancelsTheSequence() throws { try checkDroppingTheStreamCancelsTheSequence() }
    func testShutdownCutsOffARunningSequence() throws { try checkShutdownCutsOffARunningSequence() }

    /// The HUD's sessions view is fed by `sessions` events: rows of the running and queued
    /// sequences (three requests on two slots: one waits), at most ten a second, and a last,
    /// empty table when the work is done. Token events name their sequence.
    func testSessionsEventsDescribeTheSequences() throws {
        let collector = EventCollector()
        let bus = TelemetryBus(sinks: [collector])
        let (engine, greedy) = try engine(queue: 2, slots: 2, telemetry: bus)
        let streams = try (0 ..< 3).map { i in try engine.submit(CompletionRequest(prompt: greedy.prompt, maxTokens: 36 + 4 * i)) }
        let runs = try wait { () -> [Run] in
            var runs: [Run] = []
            for stream in streams { runs.append(await Self.collect(stream)) }
            return runs
        }
        try wait { await engine.shutdown(within: 1) }
        XCTAssertTrue(runs.allSatisfy { $0.error == nil })
        let tables = collector.events.compactMap { event -> (Double, SessionTable)? in
            if case .sessions(let table) = event.payload { return (event.time, table) } else { return nil }
        }
        XCTAssertGreaterThan(tables.count, 1)
        // While the first two requests run, the third waits (36+ steps: several tables apart).
        // (The very first table may come before the worker admitted the second request.)
        let first = try XCTUnwrap(tables.first { $0.1.rows.count == 3 && $0.1.queued == 1 }, "\(tables.map(\.1.rows))").1
        XCTAssertEqual(first.slots, 2)
        XCTAssertEqual(first.contextPerSequence, 64)
        XCTAssertEqual(first.rows.count, 3, "two running, one queued: \(first.rows)")
        XCTAssertEqual(first.queued, 1)
        XCTAssertEqual(first.rows.filter { $0.state == .queued }.map(\.slot), [nil])
        XCTAssertEqual(Set(first.rows.compactMap(\.slot)), [0, 1])
        XCTAssertEqual(try XCTUnwrap(tables.last).1.rows, [], "the last table is empty once every request finished")
        // Throttled: consecutive tables at least 0.1 s apart, except the final empty one.
        for (a, b) in zip(tables.dropLast(), tables.dropLast().dropFirst()) {
            XCTAssertGreaterThanOrEqual(b.0 - a.0, 0.099)
        }
        for table in tables.map(\.1) {
            for row in table.rows where row.state == .decode {
                XCTAssertEqual(row.kvUsedTokens, greedy.prompt.count + row.tokens)
                XCTAssertLessThanOrEqual(row.tokens, 44)
            }
        }
        let sequences = Set(collector.events.compactMap { event -> Int? in
            if case .token(let sample) = event.payload { return sample.sequence } else { return nil }
        })
        XCTAssertEqual(sequences.count, 3)
    }
}
