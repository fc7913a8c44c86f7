import Foundation
import GLES
import Telemetry

/// A `CompletionEngine` that decodes up to `slots` sequences together (continuous batching):
/// one thread owns the model's GL context and runs `BatchDecoder` steps; each step advances
/// every running sequence by a token and prefills a chunk of at most one waiting prompt. Requests
/// join when a slot frees and leave when done or cancelled (their client dropped the stream),
/// between steps; beyond the slots, `queueCapacity` requests wait and more are refused.
public final class BatchCompletionEngine: CompletionEngine, @unchecked Sendable {
    public var slots: Int { queue.slots }
    public var contextPerSequence: Int { queue.contextPerSequence }
    public var queueCapacity: Int { queue.queueCapacity }

    /// The worker thread's: it drops both when it stops, so the GPU buffers are freed on the
    /// thread that has the context (a buffer freed elsewhere would take the context there).
    private var decoder: BatchDecoder?
    private let telemetry: TelemetryBus?
    private let tokenText: (Int) -> String
    /// Requests, their streams and the counters; its lock also guards `running`.
    private let queue: CompletionQueue
    private var running: [Int: Job] = [:]
    /// Worker thread only: `sessions` telemetry, at most ten tables a second (a log of hours
    /// of serving stays small).
    private let sessionsReporter = SessionsReporter(perSecond: 10)

    private typealias Job = CompletionQueue.Job

    /// Takes over `model` (sequence slots: `ModelOptions.sequences`) and its GL context, released
    /// from the calling thread here: do not use the model from this thread afterwards.
    /// `prefillChunk`: prompt tokens a step prefills beside the running streams.
    public init(model: GPTOSSModel, queueCapacity: Int, prefillChunk: Int? = nil, telemetry: TelemetryBus? = nil,
                tokenText: @escaping (Int) -> String = { "<\($0)>" }) throws {
        decoder = try BatchDecoder(model: model, prefillChunk: prefillChunk)
        self.telemetry = telemetry
        self.tokenText = tokenText
        let context = model.kernels.context
        queue = CompletionQueue(slots: model.sequenceSlots, contextPerSequence: model.cache.context, queueCapacity: queueCapacity,
                                gpuMemory: context.memory)
        context.releaseCurrent()
        let thread = Thread { [self] in workerLoop(context: context) }
        thread.name = "gptoss-gl batch engine"
        thread.start()
    }

    public func submit(_ request: CompletionRequest) throws -> AsyncThrowingStream<CompletionEvent, Error> {
        try queue.submit(request) { running.count }
    }

    public func stats() -> CompletionEngineStats {
        locked { queue.stats(running: running.values.sorted { $0.sequence < $1.sequence }) }
    }

    public func shutdown(within seconds: Double) async {
        await queue.shutdown(within: seconds, isIdle: { [self] in running.isEmpty },
                             cancelRunning: { [self] in for job in running.values { job.cancelled = true } })
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        try queue.locked(body)
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
                locked { queue.expertCache = (cache?.hits ?? 0, cache?.misses ?? 0); queue.gpuMemory = memory }
                report(outputs, seconds: Date().timeIntervalSince(start))
            } catch {
                fail(error)
            }
            emitSessions()
        }
        decoder = nil
        context.releaseCurrent()
        locked { queue.workerDone = true }
    }

    /// A stream to close and how (outside the lock: closing a stream runs its termination
    /// handler, which takes the lock).
    private typealias Ending = (job: Job, error: Error?)

    /// Between steps: drops cancelled sequences, admits waiting ones into free slots, and waits
    /// while there is nothing to run. Returns the jobs admitted now and the streams to close, or
    /// nil when the engine stops.
    private func nextRound() -> (admitted: [Job], ended: [Ending])? {
        queue.condition.lock()
        defer { queue.condition.unlock() }
        var ended: [Ending] = []
        while true {
            for job in running.values where job.cancelled {
                decoder?.cancel(sequence: job.sequence)
                if let e = retire(job, error: queue.cancellationError) { ended.append(e) }
            }
            var admitted: [Job] = []
            while let decoder, decoder.freeSlots > 0, let job = queue.takeWaiting() {
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
            if queue.stopping { return nil }
            queue.condition.wait()
        }
    }

    /// Hands each output to its stream (outside the lock: a consumer may call back into `stats`).
    private func report(_ outputs: [BatchDecoder.Output], seconds: Double) {
        var deliveries: [(Job, BatchDecoder.Output)] = []
        locked {
            queue.lastStepSeconds = seconds
            for out in outputs {
                guard let job = running[out.sequence] else { continue }
                if out.token != nil { job.countToken() }
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
        queue.count(job)
        return (job, error)
    }

    /// Closes streams (lock not held) and tells the telemetry.
    private func end(_ endings: [Ending]) {
        for (job, error) in endings {
            let (generated, rate) = locked { (job.generated, job.tokensPerSecond) }
            CompletionQueue.emitEnd(job, slot: job.slot ?? 0, generated: generated, tokensPerSecond: rate, to: telemetry)
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
