import Foundation
import XCTest
@testable import GPTOSS

/// What every `CompletionEngine` must do, checked against each engine by its test class
/// (SerialCompletionEngineTests, BatchCompletionEngineTests): greedy tokens equal to the
/// fixture's, refusals at submit, cancellation by dropping the stream, and shutdown. The test
/// thread owns the shared GL context, so it waits on Tasks that consume the streams, and every
/// check shuts its engine down (handing the context back) before it ends. The checks are not
/// named test… so that XCTest runs them only through the subclasses.
class CompletionEngineTestCase: XCTestCase {
    struct NotOverridden: Error {}

    /// The engine under test on the tiny-a fixture (f32), with `queue` waiting places and a
    /// `context`-position cache, and the fixture's greedy reference. Subclasses override it.
    func makeEngine(queue: Int, context: Int) throws -> (CompletionEngine, Fixture.Manifest.Greedy) {
        throw NotOverridden()
    }

    /// Runs `body` on a Task and waits for it here (the test thread must not block the GL worker).
    func wait<T: Sendable>(_ seconds: Double = 120, _ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = expectation(description: "task")
        Task {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            done.fulfill()
        }
        wait(for: [done], timeout: seconds)
        return try XCTUnwrap(box.result).get()
    }

    final class ResultBox<T>: @unchecked Sendable { var result: Result<T, Error>? }

    struct Run: Sendable { var events: [String] = []; var tokens: [Int] = []; var error: String? }

    static func collect(_ stream: AsyncThrowingStream<CompletionEvent, Error>) async -> Run {
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

    func checkGreedyTokensEqualTheGenerators() throws {
        let (engine, greedy) = try makeEngine(queue: 2, context: 64)
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

    func checkRefusalsAtSubmit() throws {
        let (engine, greedy) = try makeEngine(queue: 1, context: 32)
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

    func checkDroppingTheStreamCancelsTheSequence() throws {
        let (engine, greedy) = try makeEngine(queue: 0, context: 64)
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

    func checkShutdownCutsOffARunningSequence() throws {
        let (engine, greedy) = try makeEngine(queue: 1, context: 64)
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
}
