import Foundation
import GLES
import Kernels
import Telemetry
import XCTest
@testable import GPTOSS

/// The batched engine on llvmpipe with a fixture model: concurrent sequences get the tokens
/// they get alone, the queue is bounded, a dropped stream frees its slot while the others go
/// on, shutdown ends everything, and telemetry tells the sequences apart.
final class BatchedCompletionEngineTests: XCTestCase {
    private struct Setup {
        let model: GPTOSSModel
        let prompts: [[Int]]
    }

    private func setup(slots: Int) throws -> Setup {
        let fixture = try Fixture("tiny-a")
        let greedy = try XCTUnwrap(fixture.manifest.greedy["f32"])
        let kernels = try SharedGPU.kernels()
        let model = try GPTOSSModel.load(location: fixture.modelPath("f32"), context: kernels.context,
                                         options: ModelOptions(context: 64, batch: 16, sequences: slots), kernels: kernels)
        // Prompts of different lengths, so prefill chunks and decode rows mix in a step.
        let prompts = [greedy.prompt, Array(greedy.prompt.prefix(3)), greedy.prompt + greedy.prompt.reversed(), [7]]
        return Setup(model: model, prompts: prompts)
    }

    /// Greedy tokens of each prompt run alone through the generator (on this thread, before the engine takes the context).
    private func alone(_ setup: Setup, tokens: Int) throws -> [[Int]] {
        let generator = Generator(model: setup.model)
        return try setup.prompts.map { try generator.generate(GenerationRequest(prompt: $0, maxTokens: tokens)) }
    }

    private final class ResultBox<T>: @unchecked Sendable { var result: Result<T, Error>? }

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

    private struct Run: Sendable { var tokens: [Int] = []; var finished: String?; var error: String?; var slot: Int? }

    private static func collect(_ stream: AsyncThrowingStream<CompletionEvent, Error>, stopAfter: Int? = nil) async -> Run {
        var run = Run()
        do {
            for try await event in stream {
                switch event {
                case .admitted(_, let slot): run.slot = slot
                case .token(let token): run.tokens.append(token.id)
                case .finished(let reason, _, let completion): run.finished = "\(reason.rawValue):\(completion)"
                }
                if let stopAfter, run.tokens.count == stopAfter { break }
            }
        } catch {
            run.error = "\(error)"
        }
        return run
    }

    func testConcurrentSequencesEqualTheirRunsAlone() throws {
        let setup = try setup(slots: 3)
        let expected = try alone(setup, tokens: 8)
        let engine = try BatchedCompletionEngine(model: setup.model, queueCapacity: 4)
        let streams = try setup.prompts.map { try engine.submit(CompletionRequest(prompt: $0, maxTokens: 8)) }
        let runs = try wait { () -> [Run] in
            await withTaskGroup(of: (Int, Run).self) { group in
                for (i, stream) in streams.enumerated() { group.addTask { (i, await Self.collect(stream)) } }
                var runs = [Run](repeating: Run(), count: streams.count)
                for await (i, run) in group { runs[i] = run }
                return runs
            }
        }
        XCTAssertEqual(runs.map(\.tokens), expected)
        XCTAssertEqual(runs.map(\.finished), Array(repeating: "max_tokens:8", count: 4))
        XCTAssertEqual(Set(runs.prefix(3).compactMap(\.slot)), [0, 1, 2], "the first three run side by side")
        let stats = engine.stats()
        XCTAssertEqual(stats.slots, 3)
        XCTAssertEqual(stats.requestsTotal, 4)
        XCTAssertEqual(stats.completionTokensTotal, 32)
        try wait { await engine.shutdown(within: 1) }
    }

    func testQueueCancellationAndShutdown() throws {
        let setup = try setup(slots: 2)
        let expected = try alone(setup, tokens: 30)
        let collector = EventCollector()
        let engine = try BatchedCompletionEngine(model: setup.model, queueCapacity: 1, telemetry: TelemetryBus(sinks: [collector]))
        let prompts = setup.prompts
        let runs = try wait { () -> [Run] in
            let kept = try engine.submit(CompletionRequest(prompt: prompts[0], maxTokens: 30))
            var dropped: AsyncThrowingStream<CompletionEvent, Error>? = try engine.submit(CompletionRequest(prompt: prompts[1], maxTokens: 30))
            let queued = try engine.submit(CompletionRequest(prompt: prompts[2], maxTokens: 30))
            XCTAssertThrowsError(try engine.submit(CompletionRequest(prompt: [1], maxTokens: 1))) {
                XCTAssertEqual($0 as? CompletionEngineError, .queueFull(capacity: 1))
            }
            XCTAssertThrowsError(try engine.submit(CompletionRequest(prompt: Array(repeating: 1, count: 64), maxTokens: 1))) {
                XCTAssertEqual($0 as? CompletionEngineError, .contextLengthExceeded(promptTokens: 64, context: 64))
            }
            async let a = Self.collect(kept)
            async let c = Self.collect(queued)      // gets the slot the dropped stream frees
            let b = await Self.collect(dropped!, stopAfter: 2)
            dropped = nil                            // its consumer goes away after two tokens
            return [await a, b, await c]
        }
        XCTAssertEqual(runs[0].tokens, expected[0], "a neighbour leaving does not change a sequence")
        XCTAssertEqual(runs[1].tokens, Array(expected[1].prefix(2)))
        XCTAssertEqual(runs[2].tokens, expected[2])
        let updates = collector.events.compactMap { if case .sequence(let u) = $0.payload { return u } else { return nil } }
        XCTAssertEqual(updates.first { $0.sequence == 2 && $0.state != .admitted }?.state, .cancelled)
        XCTAssertLessThan(updates.first { $0.sequence == 2 && $0.state == .cancelled }?.generatedTokens ?? 99, 30)
        let tokenSequences = Set(collector.events.compactMap { if case .token(let t) = $0.payload { return t.sequence } else { return nil } })
        XCTAssertEqual(tokenSequences, [1, 2, 3])

        // Shutdown cuts off a long sequence and refuses new ones.
        let long = try engine.submit(CompletionRequest(prompt: setup.prompts[0], maxTokens: 60))
        let cut = try wait { () -> Run in
            async let run = Self.collect(long)
            try await Task.sleep(nanoseconds: 30_000_000)
            await engine.shutdown(within: 0)
            return await run
        }
        XCTAssertTrue(cut.error?.contains("shuttingDown") ?? false || cut.finished != nil, "\(cut)")
        XCTAssertLessThan(cut.tokens.count, 60)
        XCTAssertThrowsError(try engine.submit(CompletionRequest(prompt: [1], maxTokens: 1))) {
            XCTAssertEqual($0 as? CompletionEngineError, .shuttingDown)
        }
    }
}
