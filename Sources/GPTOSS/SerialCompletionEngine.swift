import Foundation
import GLES
import Telemetry

/// A `CompletionEngine` with one slot: requests wait in a bounded queue and run one at a time
/// through a `Generator` on a thread that owns the model's GL context (GL contexts are bound to a
/// thread; see GLContext.swift). Cancellation (the consumer dropped the stream) and shutdown are
/// checked between steps, so a cancelled sequence stops within one decode step.
public final class SerialCompletionEngine: CompletionEngine, @unchecked Sendable {
    public let slots = 1
    public let contextPerSequence: Int
    /// Requests that may wait for the slot; one more is refused with queueFull.
    public let queueCapacity: Int

    /// The worker thread's: it drops the generator (and with it the model) when it stops, so
    /// the GPU buffers are freed on the thread that has the context; a buffer freed on another
    /// thread would make the context current there.
    private var generator: Generator!
    private let telemetry: TelemetryBus?
    /// Worker thread only: the HUD's sessions view, at most ten tables a second.
    private let sessionsReporter = SessionsReporter(perSecond: 10)
    private let condition = NSCondition()
    // Everything below is guarded by `condition`.
    private var waiting: [Job] = []
    private var running: Job?
    private var nextSequence = 1
    private var stopping = false
    private var workerDone = false
    private var totals = (requests: 0, promptTokens: 0, completionTokens: 0)
    private var lastStepSeconds = 0.0
    /// The expert cache's totals, copied on the worker thread (which owns the cache).
    private var expertCache = (hits: 0, misses: 0)
    /// The GL context's buffers, copied on the worker thread after each token and request.
    private var gpuMemory: GPUMemoryStats

    /// One submitted request and the stream it reports to.
    private final class Job: @unchecked Sendable {
        let sequence: Int
        let request: CompletionRequest
        let continuation: AsyncThrowingStream<CompletionEvent, Error>.Continuation
        // Guarded by the engine's condition.
        var cancelled = false
        var state = SessionState.queued
        var generated = 0
        var decodeStart: Date?
        var tokensPerSecond = 0.0

        init(sequence: Int, request: CompletionRequest, continuation: AsyncThrowingStream<CompletionEvent, Error>.Continuation) {
            self.sequence = sequence; self.request = request; self.continuation = continuation
        }
    }

    /// Thrown inside the generator's event callback to stop a cancelled sequence between steps.
    private struct Cancelled: Error {}

    /// Takes over `model` (and its GL context, released from the calling thread here: do not use
    /// the model from this thread afterwards). `tokenText` labels tokens in telemetry.
    public init(model: GPTOSSModel, queueCapacity: Int, telemetry: TelemetryBus? = nil,
                tokenText: @escaping (Int) -> String = { "<\($0)>" }) {
        self.contextPerSequence = model.cache.context
        self.queueCapacity = max(0, queueCapacity)
        self.generator = Generator(model: model, telemetry: telemetry, tokenText: tokenText)
        self.telemetry = telemetry
        let context = model.kernels.context
        gpuMemory = context.memory
        context.releaseCurrent()
        let thread = Thread { [self] in workerLoop(context: context) }
        thread.name = "gptoss-gl engine"
        thread.start()
    }

    public func submit(_ request: CompletionRequest) throws -> AsyncThrowingStream<CompletionEvent, Error> {
        guard !request.prompt.isEmpty else {
            throw GPTOSSError.badSequence("the prompt is empty; a request needs at least one token")
        }
        guard request.prompt.count < contextPerSequence else {
            throw CompletionEngineError.contextLengthExceeded(promptTokens: request.prompt.count, context: contextPerSequence)
        }
        try request.sampling.validate()
        condition.lock()
        defer { condition.unlock() }
        if stopping { throw CompletionEngineError.shuttingDown }
        // The slot counts as free only when nothing runs: a request waits even if the worker
        // has not picked up the previous one yet, so the limit is exact.
        let busy = (running != nil ? 1 : 0) + waiting.count
        if busy >= slots + queueCapacity { throw CompletionEngineError.queueFull(capacity: queueCapacity) }

        let sequence = nextSequence
        nextSequence += 1
        var made: Job?
        let stream = AsyncThrowingStream<CompletionEvent, Error> { continuation in
            made = Job(sequence: sequence, request: request, continuation: continuation)
        }
        guard let job = made else { preconditionFailure("AsyncThrowingStream runs its build closure at once") }
        job.continuation.onTermination = { [weak self, weak job] _ in
            guard let self, let job else { return }
            self.cancel(job)
        }
        waiting.append(job)
        condition.signal()
        return stream
    }

    public func stats() -> CompletionEngineStats {
        condition.lock()
        defer { condition.unlock() }
        var sessions: [SessionStats] = []
        if let job = running {
            sessions.append(SessionStats(sequence: job.sequence, slot: 0, promptTokens: job.request.prompt.count,
                                         generatedTokens: job.generated, tokensPerSecond: job.tokensPerSecond,
                                         kvUsedTokens: job.request.prompt.count + job.generated, state: job.state))
        }
        for job in waiting {
            sessions.append(SessionStats(sequence: job.sequence, slot: nil, promptTokens: job.request.prompt.count,
                                         generatedTokens: 0, tokensPerSecond: 0, kvUsedTokens: 0, state: .queued))
        }
        return CompletionEngineStats(
            slots: slots, activeSequences: running == nil ? 0 : 1, queuedRequests: waiting.count, queueCapacity: queueCapacity,
            contextPerSequence: contextPerSequence, kvUsedTokens: sessions.reduce(0) { $0 + $1.kvUsedTokens },
            kvCapacityTokens: contextPerSequence * slots, requestsTotal: totals.requests,
            promptTokensTotal: totals.promptTokens, completionTokensTotal: totals.completionTokens,
            lastStepSeconds: lastStepSeconds, expertCacheHits: expertCache.hits, expertCacheMisses: expertCache.misses,
            gpuMemoryBytes: gpuMemory.allocatedBytes, gpuBuffers: gpuMemory.bufferCount,
            sessions: sessions)
    }

    public func shutdown(within seconds: Double) async {
        for job in beginStopping() { job.continuation.finish(throwing: CompletionEngineError.shuttingDown) }
        let deadline = Date().addingTimeInterval(max(0, seconds))
        while Date() < deadline, !isIdle() {
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        cancelRunning()
        // The worker stops the cancelled sequence within one step; wait for it to let go.
        while !isWorkerDone() { try? await Task.sleep(nanoseconds: 10_000_000) }
    }

    /// Refuses new requests from now on and takes the waiting ones out of the queue.
    private func beginStopping() -> [Job] {
        condition.lock()
        defer { condition.unlock() }
        stopping = true
        let queued = waiting
        waiting.removeAll()
        condition.broadcast()
        return queued
    }

    /// Cancels the running sequence, which then ends with `shuttingDown`.
    private func cancelRunning() {
        condition.lock()
        defer { condition.unlock() }
        running?.cancelled = true
    }

    // MARK: - The worker thread

    private func isIdle() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return running == nil && waiting.isEmpty
    }

    private func isStopping() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopping
    }

    private func isWorkerDone() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return workerDone
    }

    private func cancel(_ job: Job) {
        condition.lock()
        defer { condition.unlock() }
        job.cancelled = true
        waiting.removeAll { $0 === job }
    }

    private func workerLoop(context: GLContext) {
        while let job = nextJob() { run(job) }
        generator = nil
        context.releaseCurrent()
        condition.lock()
        workerDone = true
        condition.unlock()
    }

    /// The next job to run, or nil once stopping with nothing running.
    private func nextJob() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while waiting.isEmpty && !stopping { condition.wait() }
        guard !stopping, !waiting.isEmpty else { return nil }
        let job = waiting.removeFirst()
        job.state = .prefill
        running = job
        return job
    }

    private func isCancelled(_ job: Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return job.cancelled
    }

    private func run(_ job: Job) {
        job.continuation.yield(.admitted(sequence: job.sequence, slot: 0))
        generator.sequence = job.sequence
        telemetry?.emit(.sequence(SequenceUpdate(sequence: job.sequence, slot: 0, state: .admitted,
                                                 promptTokens: job.request.prompt.count)))
        var finishReason: FinishReason?
        var failure: Error?
        let request = job.request
        var generated = 0
        do {
            if isCancelled(job) { throw Cancelled() }
            try generator.generate(request) { event in
                switch event {
                case .prefilled(_, let seconds):
                    condition.lock()
                    job.state = .decode
                    job.decodeStart = Date()
                    lastStepSeconds = seconds
                    condition.unlock()
                case .token(let token):
                    generated += 1
                    condition.lock()
                    job.generated = generated
                    if generated > 1 { lastStepSeconds = token.seconds }
                    if let cache = generator.model.weights.expertCache { expertCache = (cache.hits, cache.misses) }
                    gpuMemory = generator.model.kernels.context.memory
                    if let start = job.decodeStart, generated > 1 {
                        job.tokensPerSecond = Double(generated - 1) / max(Date().timeIntervalSince(start), 1e-9)
                    }
                    let cancelled = job.cancelled
                    condition.unlock()
                    job.continuation.yield(.token(token))
                    if let telemetry { sessionsReporter.report(stats(), to: telemetry) }
                    // Checked after each token: the next step is not started for a sequence
                    // nobody reads any more.
                    if cancelled { throw Cancelled() }
                case .finished(let reason, _, _):
                    finishReason = reason
                    job.continuation.yield(.finished(reason, promptTokens: job.request.prompt.count, completionTokens: generated))
                }
            }
        } catch is Cancelled {
            // Cut off by shutdown (its consumer still reads) or dropped by its consumer (nobody does).
            failure = isStopping() ? CompletionEngineError.shuttingDown : CancellationError()
        } catch {
            failure = error
        }
        // The books are closed before the stream ends, so a consumer that reads stats() after
        // its last event sees this sequence counted and its slot free.
        condition.lock()
        let rate = job.tokensPerSecond
        totals.requests += 1
        totals.promptTokens += job.request.prompt.count
        totals.completionTokens += generated
        gpuMemory = generator.model.kernels.context.memory
        running = nil
        condition.unlock()
        telemetry?.emit(.sequence(SequenceUpdate(
            sequence: job.sequence, slot: 0, state: finishReason == nil ? .cancelled : .finished,
            promptTokens: job.request.prompt.count, generatedTokens: generated, tokensPerSecond: rate,
            kvUsedTokens: job.request.prompt.count + generated, reason: finishReason?.rawValue)))
        if let telemetry { sessionsReporter.report(stats(), to: telemetry) }
        if let failure {
            job.continuation.finish(throwing: failure)
        } else {
            job.continuation.finish()
        }
    }
}
