import Foundation
import GLES
import Telemetry

/// A `CompletionEngine` with one slot: requests wait in a bounded queue and run one at a time
/// through a `Generator` on a thread that owns the model's GL context (GL contexts are bound to a
/// thread; see GLContext.swift). Cancellation (the consumer dropped the stream) and shutdown are
/// checked between steps, so a cancelled sequence stops within one decode step.
public final class SerialCompletionEngine: CompletionEngine, @unchecked Sendable {
    public var slots: Int { 1 }
    public var contextPerSequence: Int { queue.contextPerSequence }
    /// Requests that may wait for the slot; one more is refused with queueFull.
    public var queueCapacity: Int { queue.queueCapacity }

    /// The worker thread's: it drops the generator (and with it the model) when it stops, so
    /// the GPU buffers are freed on the thread that has the context; a buffer freed on another
    /// thread would make the context current there.
    private var generator: Generator!
    private let telemetry: TelemetryBus?
    /// Worker thread only: the HUD's sessions view, at most ten tables a second.
    private let sessionsReporter = SessionsReporter(perSecond: 10)
    /// Requests, their streams and the counters; its lock also guards `running`.
    private let queue: CompletionQueue
    private var running: Job?

    private typealias Job = CompletionQueue.Job

    /// Thrown inside the generator's event callback to stop a cancelled sequence between steps.
    private struct Cancelled: Error {}

    /// Takes over `model` (and its GL context, released from the calling thread here: do not use
    /// the model from this thread afterwards). `tokenText` labels tokens in telemetry.
    public init(model: GPTOSSModel, queueCapacity: Int, telemetry: TelemetryBus? = nil,
                tokenText: @escaping (Int) -> String = { "<\($0)>" }) {
        self.generator = Generator(model: model, telemetry: telemetry, tokenText: tokenText)
        self.telemetry = telemetry
        let context = model.kernels.context
        queue = CompletionQueue(slots: 1, contextPerSequence: model.cache.context, queueCapacity: queueCapacity,
                                gpuMemory: context.memory)
        context.releaseCurrent()
        let thread = Thread { [self] in workerLoop(context: context) }
        thread.name = "gptoss-gl engine"
        thread.start()
    }

    public func submit(_ request: CompletionRequest) throws -> AsyncThrowingStream<CompletionEvent, Error> {
        try queue.submit(request) { running == nil ? 0 : 1 }
    }

    public func stats() -> CompletionEngineStats {
        queue.locked { queue.stats(running: running.map { [$0] } ?? []) }
    }

    public func shutdown(within seconds: Double) async {
        // The running sequence, once cancelled, ends with shuttingDown within a step.
        await queue.shutdown(within: seconds, isIdle: { [self] in running == nil && queue.waiting.isEmpty },
                             cancelRunning: { [self] in running?.cancelled = true })
    }

    // MARK: - The worker thread

    private func workerLoop(context: GLContext) {
        while let job = nextJob() { run(job) }
        generator = nil
        context.releaseCurrent()
        queue.locked { queue.workerDone = true }
    }

    /// The next job to run, or nil once stopping with nothing running.
    private func nextJob() -> Job? {
        queue.condition.lock()
        defer { queue.condition.unlock() }
        while queue.waiting.isEmpty && !queue.stopping { queue.condition.wait() }
        guard !queue.stopping, let job = queue.takeWaiting() else { return nil }
        job.state = .prefill
        job.slot = 0
        running = job
        return job
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
            if queue.locked({ job.cancelled }) { throw Cancelled() }
            try generator.generate(request) { event in
                switch event {
                case .prefilled(_, let seconds):
                    queue.locked { queue.lastStepSeconds = seconds }
                case .token(let token):
                    generated += 1
                    let memory = generator.model.kernels.context.memory
                    let cache = generator.model.weights.expertCache
                    let cancelled = queue.locked {
                        job.countToken()
                        if generated > 1 { queue.lastStepSeconds = token.seconds }
                        if let cache { queue.expertCache = (cache.hits, cache.misses) }
                        queue.gpuMemory = memory
                        return job.cancelled
                    }
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
            failure = queue.locked { queue.cancellationError }
        } catch {
            failure = error
        }
        // The books are closed before the stream ends, so a consumer that reads stats() after
        // its last event sees this sequence counted and its slot free.
        let memory = generator.model.kernels.context.memory
        let rate = queue.locked {
            job.finishReason = finishReason
            queue.count(job)
            queue.gpuMemory = memory
            running = nil
            return job.tokensPerSecond
        }
        CompletionQueue.emitEnd(job, slot: 0, generated: generated, tokensPerSecond: rate, to: telemetry)
        if let telemetry { sessionsReporter.report(stats(), to: telemetry) }
        if let failure {
            job.continuation.finish(throwing: failure)
        } else {
            job.continuation.finish()
        }
    }
}
