import Foundation
import GLES
import Telemetry

/// A `CompletionEngine` that decodes up to `slots` sequences together (continuous batching):
/// one thread owns the model's GL context and runs `BatchDecoder` steps; each step advances
/// every running sequence by a token and prefills a chunk of at most one waiting prompt. Requests
/// join when a slot frees and leave when done or cancelled (their client dropped the stream),
/// between steps; beyond the slots, `queueCapacity` requests wait and more are refused.
public final class BatchCompletionEngine: CompletionEngine, @unchecked Sendable {
    public let slots: Int
    public let contextPerSequence: Int
    public let queueCapacity: Int

    /// The worker thread's: it drops both when it stops, so the GPU buffers are freed on the
    /// thread that has the context (a buffer freed elsewhere would take the context there).
    private var decoder: BatchDecoder?
    private let telemetry: TelemetryBus?
    private let tokenText: (Int) -> String
    private let condition = NSCondition()
    // Everything below is guarded by `condition`.
    private var waiting: [Job] = []
    private var running: [Int: Job] = [:]
    private var nextSequence = 1
    private var stopping = false
    private var workerDone = false
    private var totals = (requests: 0, promptTokens: 0, completionTokens: 0)
    private var lastStepSeconds = 0.0
    private var expertCache = (hits: 0, misses: 0)
    private var gpuMemory: GPUMemoryStats
    /// Worker thread only: `sessions` telemetry, at most ten tables a second (a log of hours
    /// of serving stays small).
    private let sessionsReporter = SessionsReporter(perSecond: 10)

    /// One submitted request and the stream it reports to.
    private final class Job: @unchecked Sendable {
        let sequence: Int
        let request: CompletionRequest
        let continuation: AsyncThrowingStream<CompletionEvent, Error>.Continuation
        // Guarded by the engine's condition.
        var cancelled = false
        var slot: Int?
        var state = SessionState.queued
        var generated = 0
        var firstToken: Date?
        var tokensPerSecond = 0.0
        var finishReason: FinishReason?

        init(sequence: Int, request: CompletionRequest, continuation: AsyncThrowingStream<CompletionEvent, Error>.Continuation) {
            self.sequence = sequence; self.request = request; self.continuation = continuation
        }
    }

    /// Takes over `model` (sequence slots: `ModelOptions.sequences`) and its GL context, released
    /// from the calling thread here: do not use the model from this thread afterwards.
    /// `prefillChunk`: prompt tokens a step prefills beside the running streams.
    public init(model: GPTOSSModel, queueCapacity: Int, prefillChunk: Int? = nil, telemetry: TelemetryBus? = nil,
                tokenText: @escaping (Int) -> String = { "<\($0)>" }) throws {
        slots = model.sequenceSlots
        contextPerSequence = model.cache.context
        self.queueCapacity = max(0, queueCapacity)
        decoder = try BatchDecoder(model: model, prefillChunk: prefillChunk)
        self.telemetry = telemetry
        self.tokenText = tokenText
        let context = model.kernels.context
        gpuMemory = context.memory
        context.releaseCurrent()
        let thread = Thread { [self] in workerLoop(context: context) }
        thread.name = "gptoss-gl batch engine"
        thread.start()
    }

    public func submit(_ request: CompletionRequest) throws -> AsyncThrowingStream<CompletionEvent, Error> {
        guard !request.prompt.isEmpty else {
            throw GPTOSSError.badSequence("the prompt is empty; a request needs at least one token")
        }
        guard request.prompt.count < contextPerSequence else {
            throw CompletionEngineError.contextLengthExceeded(promptTokens: request.prompt.count, context: contextPerSequence)
        }
        guard request.maxTokens >= 1 else { throw GPTOSSError.badSamplingParameter("max tokens must be ≥ 1, got \(request.maxTokens)") }
        try request.sampling.validate()
        condition.lock()
        defer { condition.unlock() }
        if stopping { throw CompletionEngineError.shuttingDown }
        if running.count + waiting.count >= slots + queueCapacity { throw CompletionEngineError.queueFull(capacity: queueCapacity) }
        let sequence = nextSequence
        nextSequence += 1
        var made: Job?
        let stream = AsyncThrowingStream<CompletionEvent, Error> { made = Job(sequence: sequence, request: request, continuation: $0) }
        guard let job = made else { preconditionFailure("AsyncThrowingStream runs its build closure at once") }
        job.continuation.onTermination = { [weak self, weak job] _ in
            guard let self, let job else { return }
            self.markCancelled(job)
        }
        waiting.append(job)
        condition.signal()
        return stream
    }

    public func stats() -> CompletionEngineStats {
        condition.lock()
        defer { condition.unlock() }
        let sessions = running.values.sorted { $0.sequence < $1.sequence }.map { job in
            SessionStats(sequence: job.sequence, slot: job.slot, promptTokens: job.request.prompt.count,
                         generatedTokens: job.generated, tokensPerSecond: job.tokensPerSecond,
                         kvUsedTokens: job.state == .prefill ? 0 : job.request.prompt.count + job.generated, state: job.state)
        } + waiting.map { job in
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

    public func shutdown(within seconds: Double) async {
        for job in beginStopping() { job.continuation.finish(throwing: CompletionEngineError.shuttingDown) }
        let deadline = Date().addingTimeInterval(max(0, seconds))
        while Date() < deadline, !locked({ running.isEmpty }) {
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        locked {
            for job in running.values { job.cancelled = true }
            condition.broadcast()
        }
        while !locked({ workerDone }) { try? await Task.sleep(nanoseconds: 10_000_000) }
    }

    private func beginStopping() -> [Job] {
        locked {
            stopping = true
            let queued = waiting
            waiting.removeAll()
            condition.broadcast()
            return queued
        }
    }

    private func markCancelled(_ job: Job) {
        locked {
            job.cancelled = true
            waiting.removeAll { $0 === job }
        }
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock()
        defer { condition.unlock() }
        return try body()
    }

    // MARK: - The worker thread

    private func workerLoop(context: GLContext) {
        while let (admitted, ended) = nextRound(), let decoder {
            end(ended)
            for job in admitted {
                job.continuation.yield(.admitted(sequence: job.sequence, slot: job.slot ?? 0))
                telemetry?.emit(.sequence(SequenceUpdate(sequence: job.sequence, slot: job.slot ?? 0, state: .admitted,
                                                         promptTokens: job.request.prompt.count)))
            }
            let start = Date()
            do {
                let outputs = try decoder.step()
                let cache = decoder.model.weights.expertCache
                let memory = context.memory
                locked { expertCache = (cache?.hits ?? 0, cache?.misses ?? 0); gpuMemory = memory }
                report(outputs, seconds: Date().timeIntervalSince(start))
            } catch {
                fail(error)
            }
            emitSessions()
        }
        decoder = nil
        context.releaseCurrent()
        locked { workerDone = true }
    }

    /// A stream to close and how (outside the lock: closing a stream runs its termination
    /// handler, which takes the lock).
    private typealias Ending = (job: Job, error: Error?)

    /// Between steps: drops cancelled sequences, admits waiting ones into free slots, and waits
    /// while there is nothing to run. Returns the jobs admitted now and the streams to close, or
    /// nil when the engine stops.
    private func nextRound() -> (admitted: [Job], ended: [Ending])? {
        condition.lock()
        defer { condition.unlock() }
        var ended: [Ending] = []
        while true {
            for job in running.values where job.cancelled {
                decoder?.cancel(sequence: job.sequence)
                if let e = retire(job, error: stopping ? CompletionEngineError.shuttingDown : CancellationError()) { ended.append(e) }
            }
            var admitted: [Job] = []
            while let decoder, decoder.freeSlots > 0, !waiting.isEmpty {
                let job = waiting.removeFirst()
                let request = job.request
                do {
                    try decoder.admit(sequence: job.sequence, request)
                    job.slot = decoder.running.last?.slot
                    job.state = .prefill
                    running[job.sequence] = job
                    admitted.append(job)
                } catch {
                    ended.append((job, error))
                }
            }
            if !running.isEmpty || !admitted.isEmpty || !ended.isEmpty { return (admitted, ended) }
            if stopping { return nil }
            condition.wait()
        }
    }

    /// Hands each output to its stream (outside the lock: a consumer may call back into `stats`).
    private func report(_ outputs: [BatchDecoder.Output], seconds: Double) {
        var deliveries: [(Job, BatchDecoder.Output)] = []
        locked {
            lastStepSeconds = seconds
            for out in outputs {
                guard let job = running[out.sequence] else { continue }
                if out.token != nil {
                    job.generated += 1
                    job.state = .decode
                    let now = Date()
                    if let first = job.firstToken {
                        job.tokensPerSecond = Double(job.generated - 1) / max(now.timeIntervalSince(first), 1e-9)
                    } else {
                        job.firstToken = now
                    }
                }
                deliveries.append((job, out))
            }
        }
        for (job, out) in deliveries {
            if let token = out.token {
                job.continuation.yield(.token(token))
                emitTelemetry(token, sequence: job.sequence)
            }
            if let reason = out.finished {
                job.finishReason = reason
                job.continuation.yield(.finished(reason, promptTokens: job.request.prompt.count, completionTokens: job.generated))
                end(locked { retire(job, error: nil) }.map { [$0] } ?? [])
            }
        }
    }

    /// Takes a job out of the running set and counts it (lock held); nil if it was gone already.
    private func retire(_ job: Job, error: Error?) -> Ending? {
        guard running.removeValue(forKey: job.sequence) != nil else { return nil }
        totals.requests += 1
        totals.promptTokens += job.request.prompt.count
        totals.completionTokens += job.generated
        return (job, error)
    }

    /// Closes streams (lock not held) and tells the telemetry.
    private func end(_ endings: [Ending]) {
        for (job, error) in endings {
            let (generated, rate) = locked { (job.generated, job.tokensPerSecond) }
            telemetry?.emit(.sequence(SequenceUpdate(
                sequence: job.sequence, slot: job.slot ?? 0, state: job.finishReason == nil ? .cancelled : .finished,
                promptTokens: job.request.prompt.count, generatedTokens: generated, tokensPerSecond: rate,
                kvUsedTokens: job.request.prompt.count + generated, reason: job.finishReason?.rawValue)))
            if let error { job.continuation.finish(throwing: error) } else { job.continuation.finish() }
        }
    }

    /// A failed step (a GPU error) ends every running sequence with the error.
    private func fail(_ error: Error) {
        end(locked {
            running.values.compactMap { job in
                decoder?.cancel(sequence: job.sequence)
                return retire(job, error: error)
            }
        })
        telemetry?.emit(.error(ErrorReport(message: (error as? LocalizedError)?.errorDescription ?? "\(error)", stage: nil)))
    }

    /// After a step: the sessions table for the HUD's sessions view (at most ten a second).
    private func emitSessions() {
        guard let telemetry else { return }
        sessionsReporter.report(stats(), to: telemetry)
    }

    private func emitTelemetry(_ token: GeneratedToken, sequence: Int) {
        guard let telemetry else { return }
        telemetry.emit(.token(TokenSample(
            position: token.position, id: token.id, text: tokenText(token.id), channel: .other,
            top: token.top.map { TokenCandidate(id: $0.id, text: tokenText($0.id), probability: $0.probability) },
            entropy: token.entropy, sequence: sequence)))
    }
}
