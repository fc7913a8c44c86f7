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
final class BatchCompletionEngineTests: XCTestCase {
    private func engine(queue: Int, context: Int = 64, slots: Int = 1,
                        telemetry: TelemetryBus? = nil) throws -> (BatchCompletionEngine, Fixture.Manifest.Greedy) {
        let fixture = try Fixture("tiny-a")
        let greedy = try XCTUnwrap(fixture.manifest.greedy["f32"])
        let kernels = try SharedGPU.kernels()
        let model = try GPTOSSModel.load(location: fixture.modelPath("f32"), context: kernels.context,
                                         options: ModelOptions(context: context, batch: 16, sequences: slots), kernels: kernels)
        return (try BatchCompletionEngine(model: model, queueCapacity: queue, prefillChunk: 4, telemetry: telemetry), greedy)
    }

    /// Runs `body` on a Task and waits for it here (the test thread must not block the GL worker).
    private func wait<T: Sendable>(_ seconds: Double = 120, _ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = expectation(description: "task")
        Task {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            done.fulfill()
        }
        wait(for: [done], timeout: seconds)
        return try XCTUnwrap(box.result).get()
    }

    private final class ResultBox<T>: @unchecked Sendable { var result: Result<T, Error>? }

    private struct Run: Sendable { var events: [String] = []; var tokens: [Int] = []; var error: String? }

    private static func collect(_ stream: AsyncThrowingStream<CompletionEvent, Error>) async -> Run {
        var run = Run()
        do {
            for try await event in stream {
                switch event {
                case .admitted(_, let slot): run.events.append("admitted:\(slot)")
                case .token(let token): run.events.append("token"); run.tokens.append(token.id)
                case .finished(let reason, let prompt, let completion): run.events.append("finished:\(reason.rawValue):\(prompt):\(completion)")
                }
            }
        } catch {
            run.error = "\(error)"
        }
        return run
    }

    func testGreedyTokensEqualTheGenerators() throws {
        let (engine, greedy) = try engine(queue: 2)
        let count = greedy.continuation.count
        let stream = try engine.submit(CompletionRequest(prompt: greedy.prompt, maxTokens: count))
        let run = try wait { await Self.collect(stream) }
        XCTAssertNil(run.error)
        XCTAssertEqual(run.tokens, greedy.continuation)
        XCTAssertEqual(run.events, ["admitted:0"] + Array(repeating: "token", count: count)
                       + ["finished:max_tokens:\(greedy.prompt.count):\(count)"])
        let stats = engine.stats()
        XCTAssertEqual(stats.requestsTotal, 1)
        XCTAssertEqual(stats.completionTokensTotal, count)
        XCTAssertEqual(stats.promptTokensTotal, greedy.prompt.count)
        XCTAssertEqual(stats.activeSequences, 0)
        // The GPU buffers (/metrics' gptoss_gpu_memory_bytes) are reported, and a second request
        // leaves them as the first did: serving allocates nothing per request.
        XCTAssertGreaterThan(stats.gpuMemoryBytes, 0)
        XCTAssertGreaterThan(stats.gpuBuffers, 0)
        let again = try engine.submit(CompletionRequest(prompt: greedy.prompt, maxTokens: count))
        XCTAssertEqual(try wait { await Self.collect(again) }.tokens, greedy.continuation)
        XCTAssertEqual(engine.stats().gpuMemoryBytes, stats.gpuMemoryBytes)
        XCTAssertEqual(engine.stats().gpuBuffers, stats.gpuBuffers)
        try wait { await engine.shutdown(within: 1) }
    }

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

    func testRefusalsAtSubmit() throws {
        let (engine, greedy) = try engine(queue: 1, context: 32)
        XCTAssertThrowsError(try engine.submit(CompletionRequest(prompt: Array(repeating: 1, count: 32), maxTokens: 1))) {
            XCTAssertEqual($0 as? CompletionEngineError, .contextLengthExceeded(promptTokens: 32, context: 32))
        }
        XCTAssertThrowsError(try engine.submit(CompletionRequest(prompt: [], maxTokens: 1))) {
            XCTAssertEqual($0 as? GPTOSSError, .badSequence("the prompt is empty; a request needs at least one token"))
        }
        let first = try engine.submit(CompletionRequest(prompt: greedy.prompt, maxTokens: 20))
        let second = try engine.submit(CompletionRequest(prompt: greedy.prompt, maxTokens: 2))
        // One running (or about to), one waiting: the queue of one is full.
        XCTAssertThrowsError(try engine.submit(CompletionRequest(prompt: greedy.prompt, maxTokens: 2))) {
            XCTAssertEqual($0 as? CompletionEngineError, .queueFull(capacity: 1))
        }
        let runs = try wait { [await Self.collect(first), await Self.collect(second)] }
        XCTAssertEqual(runs.map(\.tokens.count), [20, 2])
        XCTAssertEqual(runs[1].tokens, Array(runs[0].tokens.prefix(2)), "a queued request is a fresh sequence")
        try wait { await engine.shutdown(within: 1) }
        XCTAssertThrowsError(try engine.submit(CompletionRequest(prompt: greedy.prompt, maxTokens: 1))) {
            XCTAssertEqual($0 as? CompletionEngineError, .shuttingDown)
        }
    }

    func testDroppingTheStreamCancelsTheSequence() throws {
        let (engine, greedy) = try engine(queue: 0)
        let firstTokens: Int = try wait {
            let stream = try engine.submit(CompletionRequest(prompt: greedy.prompt, maxTokens: 40))
            var seen = 0
            for try await event in stream {
                if case .token = event { seen += 1 }
                if seen == 2 { break }  // the consumer goes away
            }
            return seen
        }
        XCTAssertEqual(firstTokens, 2)
        let freed: Bool = try wait {
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                if engine.stats().activeSequences == 0 { return true }
                try await Task.sleep(nanoseconds: 10_000_000)
            }
            return false
        }
        XCTAssertTrue(freed, "the slot was not freed after the stream was dropped")
        let stats = engine.stats()
        XCTAssertLessThan(stats.completionTokensTotal, 40, "the cancelled sequence kept decoding")
        // The slot takes a new request (queue 0: it would be refused if still busy).
        let next = try engine.submit(CompletionRequest(prompt: greedy.prompt, maxTokens: 3))
        let run = try wait { await Self.collect(next) }
        XCTAssertEqual(run.tokens, Array(greedy.continuation.prefix(3)))
        try wait { await engine.shutdown(within: 1) }
    }

    func testShutdownCutsOffARunningSequence() throws {
        let (engine, greedy) = try engine(queue: 1)
        let running = try engine.submit(CompletionRequest(prompt: greedy.prompt, maxTokens: 60))
        let waiting = try engine.submit(CompletionRequest(prompt: greedy.prompt, maxTokens: 60))
        let runs = try wait { () -> [Run] in
            async let a = Self.collect(running)
            async let b = Self.collect(waiting)
            try await Task.sleep(nanoseconds: 50_000_000)
            await engine.shutdown(within: 0)
            return [await a, await b]
        }
        XCTAssertEqual(runs[1].error.map { $0.contains("shuttingDown") }, true, "the queued request: \(runs[1])")
        XCTAssertTrue(runs[0].error?.contains("shuttingDown") ?? false || runs[0].events.last?.hasPrefix("finished") == true, "\(runs[0])")
        XCTAssertLessThan(runs[0].tokens.count, 60)
    }

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
