import Foundation

/// The one event stream of a run: stamps each payload with the run clock and hands it to every
/// sink, in order. Emitting from several threads is safe; sinks see one event at a time.
public final class TelemetryBus: TelemetrySink, @unchecked Sendable {
    public let clock: TelemetryClock
    private let lock = NSLock()
    private var sinks: [TelemetrySink]
    private var lastTime: Double = 0

    public init(clock: TelemetryClock = TelemetryClock(), sinks: [TelemetrySink] = []) {
        self.clock = clock
        self.sinks = sinks
    }

    public func add(_ sink: TelemetrySink) {
        lock.lock(); defer { lock.unlock() }
        sinks.append(sink)
    }

    /// Stamps `payload` with the clock and delivers it. Times never go backwards in a log.
    @discardableResult
    public func emit(_ payload: TelemetryPayload) -> TelemetryEvent {
        lock.lock(); defer { lock.unlock() }
        lastTime = max(lastTime, clock.now())
        let event = TelemetryEvent(time: lastTime, payload)
        for sink in sinks { sink.receive(event) }
        return event
    }

    /// Forwards an event that already has its time (e.g. one replayed from a log).
    public func receive(_ event: TelemetryEvent) {
        lock.lock(); defer { lock.unlock() }
        lastTime = max(lastTime, event.time)
        for sink in sinks { sink.receive(event) }
    }

    /// Finishes every sink, even when one fails; throws the first failure.
    public func finish() throws {
        lock.lock(); defer { lock.unlock() }
        var firstError: Error?
        for sink in sinks {
            do { try sink.finish() } catch { if firstError == nil { firstError = error } }
        }
        if let firstError { throw firstError }
    }
}

// MARK: - Shorthands for emitters

extension TelemetryBus {
    /// Runs `body` as `stage`: emits started, then completed with its duration, or failed with
    /// the error's message (and rethrows). `bytes` may be filled in by the body.
    public func measure<T>(_ stage: LoadStage, body: (_ bytes: inout Int?) throws -> T) rethrows -> T {
        emit(.stage(StageChange(stage: stage, status: .started)))
        let start = clock.now()
        var bytes: Int?
        do {
            let result = try body(&bytes)
            emit(.stage(StageChange(stage: stage, status: .completed, bytes: bytes,
                                    durationMs: (clock.now() - start) * 1000)))
            return result
        } catch {
            let message = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            emit(.stage(StageChange(stage: stage, status: .failed, bytes: bytes,
                                    durationMs: (clock.now() - start) * 1000, message: message)))
            emit(.error(ErrorReport(message: message, stage: stage)))
            throw error
        }
    }

    public func note(_ message: String) {
        emit(.note(Note(message: message)))
    }
}
