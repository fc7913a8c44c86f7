import Foundation

/// Anything that takes telemetry events: the JSONL recorder, the terminal progress, the HUD.
/// `receive` is called in event order, one call at a time (the bus serialises), from whatever
/// thread emits; a sink that needs another thread hands the event over itself.
public protocol TelemetrySink: AnyObject {
    func receive(_ event: TelemetryEvent)
    /// The run is over: flush and close. Called once.
    func finish() throws
}

extension TelemetrySink {
    public func finish() throws {}
}

/// Keeps every event in memory: for tests, and for rendering the HUD after a run.
public final class EventCollector: TelemetrySink, @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [TelemetryEvent] = []

    public init() {}

    public func receive(_ event: TelemetryEvent) {
        lock.lock(); defer { lock.unlock() }
        stored.append(event)
    }

    public var events: [TelemetryEvent] {
        lock.lock(); defer { lock.unlock() }
        return stored
    }
}
