import CGLES
import Foundation

/// GPU time between consecutive marks, for a per-kernel profile of a queue of dispatches.
///
/// `start()` puts a GPU timestamp in the queue; each `mark(label)` puts another and charges the
/// time since the previous one to `label`. Dispatches separated by storage barriers run one
/// after another, so the interval before a mark is the GPU time of the dispatches queued since
/// the previous mark (including the barrier's drain, which is part of their cost). Nothing
/// waits until `resolve()`. Where timestamps are missing it falls back to the CPU clock around
/// glFinish at every mark, which is exact per kernel but hides all overlap.
public final class GPUTimeline {
    private enum Stamp {
        case query(GLuint)
        case cpu(UInt64)
    }

    public let context: GLContext
    /// True when the marks are GPU timestamps (GL_EXT_disjoint_timer_query).
    public let usesGPUTimestamps: Bool
    /// Seconds and marks per label, summed over every resolved interval.
    public private(set) var totals: [String: TimerTotal] = [:]
    /// Labels in the order they were first seen (for stable tables).
    public private(set) var order: [String] = []
    /// Resolves whose GPU times were dropped because the driver reported a disjoint event.
    public private(set) var disjointDrops = 0

    private var start: Stamp?
    private var marks: [(label: String, stamp: Stamp)] = []
    private let queries: TimerQueryPool

    public init(context: GLContext) throws {
        self.context = context
        usesGPUTimestamps = context.limits.timerQueries.timestampBits > 0 && context.procs.hasTimerQueries
        queries = TimerQueryPool(context: context)
        if usesGPUTimestamps {
            try context.makeCurrent()
            _ = queries.takeDisjoint()  // start from a clear flag
        }
    }

    /// Begins a run of intervals (the first mark's time counts from here).
    public func begin() throws {
        try context.makeCurrent()
        if let start { release(start) }
        start = stamp()
    }

    /// Ends the interval since the previous mark (or `begin`) and charges it to `label`.
    public func mark(_ label: String) throws {
        guard start != nil else {
            throw GLESError.invalidArgument("GPU timeline: mark('\(label)') before begin().")
        }
        try context.makeCurrent()
        marks.append((label, stamp()))
    }

    /// Waits for the queued marks, adds their intervals to `totals` and starts a new run at the
    /// last mark's time. Returns the total seconds between `begin` and the last mark.
    @discardableResult
    public func resolve() throws -> Double {
        try context.makeCurrent()
        guard let first = start, !marks.isEmpty else { return 0 }
        var disjoint = false
        if usesGPUTimestamps {
            glFinish()
            disjoint = queries.takeDisjoint()
        }
        var previous = seconds(first)
        let origin = previous
        var intervals: [(String, Double)] = []
        for (label, stamp) in marks {
            let now = seconds(stamp)
            intervals.append((label, now - previous))
            previous = now
        }
        release(first)
        for (_, stamp) in marks.dropLast() { release(stamp) }
        start = marks.last!.stamp
        marks.removeAll()
        try checkGL("resolving GPU timeline queries")
        guard !disjoint else {
            disjointDrops += 1
            return 0
        }
        for (label, secs) in intervals {
            if totals[label] == nil { order.append(label) }
            totals[label, default: TimerTotal(seconds: 0, count: 0)].seconds += secs
            totals[label, default: TimerTotal(seconds: 0, count: 0)].count += 1
        }
        return previous - origin
    }

    /// Forgets the totals (the current run of marks goes on).
    public func reset() {
        totals = [:]
        order = []
        disjointDrops = 0
    }

    private func stamp() -> Stamp {
        guard usesGPUTimestamps else {
            glFinish()
            return .cpu(DispatchTime.now().uptimeNanoseconds)
        }
        let query = queries.take()
        context.procs.queryCounter?(query, gl(GL_TIMESTAMP_EXT))
        return .query(query)
    }

    private func seconds(_ stamp: Stamp) -> Double {
        switch stamp {
        case .cpu(let ns):
            return Double(ns) / 1e9
        case .query(let query):
            return Double(queries.result(query)) / 1e9
        }
    }

    private func release(_ stamp: Stamp) {
        if case .query(let query) = stamp { queries.release(query) }
    }
}
