import Foundation
import GLES
import Telemetry

/// The request side both completion engines share (`SerialCompletionEngine`, one slot through a
/// `Generator`; `BatchCompletionEngine`, many through a `BatchDecoder`): request checks, the
/// bounded waiting list, sequence numbers, each request's stream and its cancellation, the
/// totals and counters `stats()` reports, and the shutdown sequence. One lock, `condition`,
/// guards all of it and the engine's own running set, so the capacity check and the admission
/// of a request see one state.
final class CompletionQueue: @unchecked Sendable {
    /// One submitted request and the stream it reports to. Its variables are guarded by the
    /// queue's condition.
    final class Job: @unchecked Sendable {
        let sequence: Int
        let request: CompletionRequest
        let continuation: AsyncThrowingStream<CompletionEvent, Error>.Continuation
        var cancelled = false
        var slot: Int?
        var state = SessionState.queued
        var generated = 0
        /// When its first token came (the decode rate counts from there).
        var decodeStart: Date?
        var tokensPerSecond = 0.0
        var finishReason: FinishReason?

        init(sequence: Int, request: CompletionRequest, continuation: AsyncThrowingStream<CompletionEvent, Error>.Continuation) {
            self.sequence = sequence; self.request = request; self.continuation = continuation
        }

        /// Counts a token just produced (lock held) and updates the decode rate.
        func countToken(at now: Date = Date()) {
            generated += 1
            state = .decode
            if let start = decodeStart {
                tokensPerSecond = Double(generated - 1) / max(now.timeIntervalSince(start), 1e-9)
            } else {
                decodeStart = now
            }
        }

        /// The session row `stats()` shows while it runs.
        var runningStats: SessionStats {
            SessionStats(sequence: sequence, slot: slot, promptTokens: request.prompt.count, generatedTokens: generated,
                         tokensPerSecond: tokensPerSecond,
                         kvUsedTokens: state == .prefill ? 0 : request.prompt.count + generated, state: state)
        }
    }

    let slots: Int
    let contextPerSequence: Int
    let queueCapacity: Int
    let condition = NSCondition()
    // Everything below is guarded by `condition`.
    private(set) var waiting: [Job] = []
    private var nextSequence = 1
    private(set) var stopping = false
    var workerDone = false
    private var totals = (requests: 0, promptTokens: 0, completionTokens: 0)
    var lastStepSeconds = 0.0
    /// The expert cache's totals, copied on the worker thread (which owns the cache).
    var expertCache = (hits: 0, misses: 0)
    /// The GL context's buffers, copied on the worker thread (which owns the context).
    var gpuMemory: GPUMemoryStats

    init(slots: Int, contextPerSequence: Int, queueCapacity: Int, gpuMemory: GPUMemoryStats) {
        self.slots = slots
        self.contextPerSequence = contextPerSequence
        self.queueCapacity = max(0, queueCapacity)
        self.gpuMemory = gpuMemory
    }

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock()
        defer { condition.unlock() }
        return try body()
    }

    /// Checks `request`, and queues it unless `runningCount()` (read under the lock) plus the
    /// waiting requests already fill the slots and the queue. A request waits even when a slot
    /// looks free until the worker admits it, so the limit is exact.
    func submit(_ request: CompletionRequest, runningCount: () -> Int) throws -> AsyncThrowingStream<CompletionEvent, Error> {
        guard !request.prompt.isEmpty else {
            throw GPTOSSError.badSequence("the prompt is empty; a request needs at least one token")
        }
        guard request.prompt.count < contextPerSequence else {
            throw CompletionEngineError.contextLengthExceeded(promptTokens: request.prompt.count, context: contextPerSequence)
        }
        guard request.maxTokens >= 1 else { throw GPTOSSError.badSamplingParameter("max tokens must be ≥ 1, got \(request.maxTokens)") }
        try request.sampling.validate()
        return try locked {
            if stopping { throw CompletionEngineError.shuttingDown }
            if runningCount() + waiting.count >= slots + queueCapacity { throw CompletionEngineError.queueFull(capacity: queueCapacity) }
            let sequence = nextSequence
            nextSequence += 1
            var made: Job?
            let stream = AsyncThrowingStream<CompletionEvent, Error> { made = Job(sequence: sequence, request: request, continuation: $0) }
            guard let job = made else { preconditionFailure("AsyncThrowingStream runs its build closure at once") }
            // The consumer dropped the stream (or it ended): a waiting request leaves the queue,
            // a running one is stopped by its engine between steps.
            job.continuation.onTermination = { [weak self, weak job] _ in
                guard let self, let job else { return }
                self.locked {
                    job.cancelled = true
                    self.waiting.removeAll { $0 === job }
                }
            }
            waiting.append(job)
            condition.signal()
            return stream
        }
    }

    /// The next waiting job (lock held), or nil.
    func takeWaiting() -> Job? {
        waiting.isEmpty ? nil : waiting.removeFirst()
    }

    /// Counts a job that ended (lock held).
    func count(_ job: Job) {
        totals.requests += 1
        totals.promptTokens += job.request.prompt.count
        totals.completionTokens += job.generated
    }

    /// The engine's statistics, with `running` its running jobs in sequence order (lock held).
    func stats(running: [Job]) -> CompletionEngineStats {
        let sessions = running.map(\.runningStats) + waiting.map { job in
            SessionStats(sequence: job.sequence, slot: nil, promptTokens: job.request.prompt.count, generatedTokens: 0,
                         tokensPerSecond: 0, kvUsedTokens: 0, state: .queued)
        }
        return CompletionEngineStats(
            slots: slots, activeSequences: running.count, queuedRequests: waiting.count, queueCapacity: queueCapacity,
            contextPerSequence: contextPerSequence, kvUsedTokens: sessions.reduce(0) { $0 + $1.kvUsedTokens },
            kvCapacityTokens: contextPerSequence * slots, requestsTotal: totals.requests,
            promptTokensTotal: totals.promptTokens, completionTokensTotal: totals.completionTokens,
            lastStepSeconds: lastStepSeconds, expertCacheHits: expertCache.hits, expertCacheMisses: expertCache.misses,
            gpuMemoryBytes: gpuMemory.allocatedBytes, gpuBuffers: gpuMemory.bufferCount, sessions: sessions)
    }

    /// The engines' shutdown: refuse new requests and end the waiting ones with `shuttingDown`;
    /// give the running ones `seconds` to finish (`isIdle`, read under the lock); then cancel
    /// them (`cancelRunning`, lock held: they end with `shuttingDown` within a step) and wait for
    /// the worker to let go of the model.
    func shutdown(within seconds: Double, isIdle: @escaping () -> Bool, cancelRunning: @escaping () -> Void) async {
        let queued: [Job] = locked {
            stopping = true
            let queued = waiting
            waiting.removeAll()
            condition.broadcast()
            return queued
        }
        for job in queued { job.continuation.finish(throwing: CompletionEngineError.shuttingDown) }
        let deadline = Date().addingTimeInterval(max(0, seconds))
        while Date() < deadline, !locked(isIdle) {
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        locked {
            cancelRunning()
            condition.broadcast()
        }
        while !locked({ workerDone }) { try? await Task.sleep(nanoseconds: 10_000_000) }
    }

    /// The error a cancelled sequence ends with: shutdown cut it off (its consumer still reads),
    /// or its consumer dropped it (nobody does). Lock held.
    var cancellationError: Error {
        stopping ? CompletionEngineError.shuttingDown : CancellationError()
    }

    /// Tells the telemetry how a sequence ended.
    static func emitEnd(_ job: Job, slot: Int, generated: Int, tokensPerSecond: Double, to telemetry: TelemetryBus?) {
        telemetry?.emit(.sequence(SequenceUpdate(
            sequence: job.sequence, slot: slot, state: job.finishReason == nil ? .cancelled : .finished,
            promptTokens: job.request.prompt.count, generatedTokens: generated, tokensPerSecond: tokensPerSecond,
            kvUsedTokens: job.request.prompt.count + generated, reason: job.finishReason?.rawValue)))
    }
}
