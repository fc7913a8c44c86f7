import Foundation
import Telemetry

/// A `CompletionEngine` over the model's sequence slots (`ModelOptions.sequences`): a thread that
/// owns the GL context runs `BatchDecoder` steps, each advancing every running sequence by one
/// token and prefilling one chunk of a new prompt beside them. Between steps it takes new
/// requests into free slots (the rest wait in a bounded queue) and drops the sequences whose
/// consumers went away, so a cancelled sequence frees its slot within one step.
public final class BatchedCompletionEngine: CompletionEngine, @unchecked Sendable {
    public let slots: Int
    public let contextPerSequence: Int
    /// Requests that may wait for a slot; one more is refused with queueFull.
    public let queueCapacity: Int

    private let model: GPTOSSModel
    private let decoder: BatchDecoder
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

    private final class Job: @unchecked Sendable {
        let sequence: Int
        let request: CompletionRequest
        let continuation: AsyncThrowingStream<CompletionEvent, Error>.Continuation
        // Guarded by the engine's condition.
        var cancelled = false
        var slot: Int?
        var state = SessionState.queued
        var generated = 0
        var kvUsed = 0
        var firstToken: Date?
        var tokensPerSecond = 0.0

        init(sequence: Int, request: CompletionRequest, continuation: AsyncThrowingStream<CompletionEvent, Error>.Continuation) {
            self.sequence = sequence; self.request = request; self.continuation = continuation
        }
    }

    /// Takes over `model` (loaded with `ModelOptions(sequences: N)`) and its GL context, released
    /// from the calling thread here: do not use the model from this thread afterwards.
    public init(model: GPTOSSModel, queueCapacity: Int, prefillChunk: Int? = nil, telemetry: TelemetryBus? = nil,
                tokenText: @escaping (Int) -> String = { "<\($0)>" }) throws {
        self.model = model
        slots = model.sequenceSlots
        contextPerSequence = model.cache.context
        self.queueCapacity = max(0, queueCapacity)
        decoder = try BatchDecoder(model: model, prefillChunk: prefillChunk)
        self.telemetry = telemetry
        self.tokenText = tokenText
        model.kernels.context.releaseCurrent()
        let thread = Thread { [self] in workerLoop() }
        thread.name = "gptoss-gl batched engine"
        thread.start()
    }

    public func submit(_ request: CompletionRequest) throws -> AsyncThrowingStream<CompletionEvent, Error> {
        guard !request.prompt.isEmpty else {
            throw GPTOSSError.badSequence("the prompt is empty; a request needs at least one token")
        }
        guard request.prompt.count < contextPerSequence else {
            throw CompletionEngineError.contextLengthExceeded(promptTokens: request.prompt.count, context: contextPerSequence)
        }
        guard request.maxTokens >= 1 else {
            throw GPTOSSError.badSamplingParameter("max tokens must be ≥ 1, got \(request.maxTokens)")
        }
        try request.sampling.validate()
        condition.lock()
        defer { condition.unlock() }
        if stopping { throw CompletionEngineError.shuttingDown }
        if running.count + waiting.count >= slots + queueCapacity { throw CompletionEngineError.queueFull(capacity: queueCapacity) }
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
        let jobs = running.values.sorted { $0.sequence < $1.sequence } + waiting
        let sessions = jobs.map { job in
            SessionStats(sequence: job.sequence, slot: job.slot, promptTokens: job.request.prompt.count,
                         generatedTokens: job.generated, tokensPerSecond: job.tokensPerSecond, kvUsedTokens: job.kvUsed,
                         state: job.state)
        }
        return CompletionEngineStats(
            slots: slots, activeSequences: running.count, queuedRequests: waiting.count, queueCapacity: queueCapacity,
            contextPerSequence: contextPerSequence, kvUsedTokens: sessions.reduce(0) { $0 + $1.kvUsedTokens },
            kvCapacityTokens: contextPerSequence * slots, requestsTotal: totals.requests, promptTokensTotal: totals.promptTokens,
            completionTokensTotal: totals.completionTokens, lastStepSeconds: lastStepSeconds,
            expertCacheHits: expertCache.hits, expertCacheMisses: expertCache.misses, sessions: sessions)
    }

    public func shutdown(within seconds: Double) async {
        for job in beginStopping() { job.continuation.finish(throwing: CompletionEngineError.shuttingDown) }
        let deadline = Date().addingTimeInterval(max(0, seconds))
        while Date() < deadline, !isIdle() { try? await Task.sleep(nanoseconds: 20_000_000) }
        cancelRunning()
        while !isWorkerDone() { try? await Task.sleep(nanoseconds: 10_000_000) }
    }

    // MARK: - Guarded helpers

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
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

    private func cancelRunning() { locked { for job in running.values { job.cancelled = true }; condition.broadcast() } }
    private func isIdle() -> Bool { locked { running.isEmpty && waiting.isEmpty } }
    private func isWorkerDone() -> Bool { locked { workerDone } }

    private func cancel(_ job: Job) {
        locked {
            job.cancelled = true
            waiting.removeAll { $0 === job }
            condition.broadcast()
        }
    }

    // MARK: - The worker thread

    private func workerLoop() {
        while let (admitted, dropped) = nextStep() {
            for job in dropped {
                decoder.cancel(sequence: job.sequence)
                end(job, reason: nil, error: locked { stopping } ? CompletionEngineError.shuttingDown : CancellationError())
            }
            for job in admitted { admit(job) }
            guard !decoder.isIdle else { continue }
            step()
        }
        model.kernels.context.releaseCurrent()
        locked { workerDone = true }
    }

    /// Waits for work; returns the jobs to admit now and the running ones to drop, or nil when
    /// stopping with nothing left to run.
    private func nextStep() -> (admit: [Job], drop: [Job])? {
        condition.lock()
        defer { condition.unlock() }
        while waiting.isEmpty && running.isEmpty && !stopping { condition.wait() }
        let drop = running.values.filter(\.cancelled)
        for job in drop { running[job.sequence] = nil }
        if stopping && running.isEmpty && drop.isEmpty { return nil }
        var admit: [Job] = []
        while running.count < slots, !waiting.isEmpty {
            let job = waiting.removeFirst()
            job.state = .prefill
            running[job.sequence] = job
            admit.append(job)
        }
        return (admit, drop)
    }

    private func admit(_ job: Job) {
        do {
            try decoder.admit(sequence: job.sequence, GenerationRequest(
                prompt: job.request.prompt, maxTokens: job.request.maxTokens, sampling: job.request.sampling,
                stopTokens: job.request.stopTokens))
        } catch {
            locked { running[job.sequence] = nil }
            end(job, reason: nil, error: error)
            return
        }
        let slot = decoder.running.first { $0.sequence == job.sequence }?.slot ?? 0
        locked { job.slot = slot }
        job.continuation.yield(.admitted(sequence: job.sequence, slot: slot))
        telemetry?.emit(.sequence(SequenceUpdate(sequence: job.sequence, slot: slot, state: .admitted,
                                                 promptTokens: job.request.prompt.count)))
    }

    private func step() {
        let start = Date()
        let outputs: [BatchDecoder.Output]
        do {
            outputs = try decoder.step()
        } catch {
            // A failed step leaves every running sequence's cache unknown: end them all with the error.
            let jobs = locked { () -> [Job] in
                let all = Array(running.values)
                running.removeAll()
                return all
            }
            for job in jobs {
                decoder.cancel(sequence: job.sequence)
                end(job, reason: nil, error: error)
            }
            return
        }
        let seconds = Date().timeIntervalSince(start)
        let positions = Dictionary(decoder.running.map { ($0.sequence, $0.prefilled + $0.generated.count) }, uniquingKeysWith: { a, _ in a })
        var finished: [(Job, FinishReason)] = []
        condition.lock()
        lastStepSeconds = seconds
        if let cache = model.weights.expertCache { expertCache = (cache.hits, cache.misses) }
        var emitted: [(Job, GeneratedToken)] = []
        for output in outputs {
            guard let job = running[output.sequence] else { continue }
            if let used = positions[output.sequence] { job.kvUsed = used }
            if let token = output.token {
                job.generated += 1
                job.state = .decode
                job.kvUsed = job.request.prompt.count + job.generated
                if let first = job.firstToken {
                    job.tokensPerSecond = Double(job.generated - 1) / max(Date().timeIntervalSince(first), 1e-9)
                } else {
                    job.firstToken = Date()
                }
                emitted.append((job, token))
            }
            if let reason = output.finished {
                running[output.sequence] = nil
                finished.append((job, reason))
            }
        }
        condition.unlock()
        for (job, token) in emitted {
            job.continuation.yield(.token(token))
            telemetry?.emit(.token(TokenSample(position: token.position, id: token.id, text: tokenText(token.id), channel: .other,
                                               top: token.top.map { TokenCandidate(id: $0.id, text: tokenText($0.id), probability: $0.probability) },
                                               entropy: token.entropy, sequence: job.sequence)))
        }
        for (job, reason) in finished { end(job, reason: reason, error: nil) }
    }

    /// Reports a sequence's end: `.finished` and a clean end, or the error.
    private func end(_ job: Job, reason: FinishReason?, error: Error?) {
        let (generated, rate, slot) = locked { () -> (Int, Double, Int?) in
            totals.requests += 1
            totals.promptTokens += job.request.prompt.count
            totals.completionTokens += job.generated
            return (job.generated, job.tokensPerSecond, job.slot)
        }
        if let reason {
            job.continuation.yield(.finished(reason, promptTokens: job.request.prompt.count, completionTokens: generated))
            job.continuation.finish()
        } else {
            job.continuation.finish(throwing: error ?? CancellationError())
        }
        telemetry?.emit(.sequence(SequenceUpdate(
            sequence: job.sequence, slot: slot ?? -1, state: reason == nil ? .cancelled : .finished,
            promptTokens: job.request.prompt.count, generatedTokens: generated, tokensPerSecond: rate,
            kvUsedTokens: job.request.prompt.count + generated, reason: reason?.rawValue)))
    }
}
