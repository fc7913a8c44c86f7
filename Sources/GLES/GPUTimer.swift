import CGLES
import Foundation

/// Time spent in one label, summed over every scope resolved so far.
public struct TimerTotal: Codable, Equatable, Sendable {
    public var seconds: Double
    public var count: Int
}

/// Labelled GPU time measurement, so a benchmark can sum time per kernel family.
///
/// With GL_EXT_disjoint_timer_query it records GPU timestamps (or TIME_ELAPSED queries where
/// timestamps are unavailable) and does not stall the pipeline until `resolve()`. Without it,
/// it falls back to CPU wall time around glFinish, which serialises the GPU: fine for
/// per-kernel breakdowns, not for measuring overlap.
public final class GPUTimer {
    public enum Mode: String, Codable, Sendable {
        /// glQueryCounterEXT(GL_TIMESTAMP_EXT) at each begin and end: scopes may nest.
        case gpuTimestamps
        /// glBeginQueryEXT(GL_TIME_ELAPSED_EXT): scopes may not nest.
        case gpuElapsed
        /// CPU clock around glFinish.
        case cpuFinish
    }

    private enum Mark {
        case query(GLuint)
        case cpu(UInt64)
    }

    private struct OpenScope { let label: String; let start: Mark }
    private struct ClosedScope { let label: String; let start: Mark; let end: Mark }

    public let mode: Mode
    public let context: GLContext
    public private(set) var totals: [String: TimerTotal] = [:]
    /// How many resolves found GL_GPU_DISJOINT_EXT set (their GPU times were dropped as unreliable).
    public private(set) var disjointDrops = 0

    private var open: [OpenScope] = []
    private var closed: [ClosedScope] = []
    private let queries: TimerQueryPool

    /// `mode` nil picks the best the device offers.
    public init(context: GLContext, mode: Mode? = nil) throws {
        let timers = context.limits.timerQueries
        let best: Mode = timers.timestampBits > 0 ? .gpuTimestamps : (timers.elapsedBits > 0 ? .gpuElapsed : .cpuFinish)
        let chosen = mode ?? best
        if chosen == .gpuTimestamps && timers.timestampBits == 0 || chosen == .gpuElapsed && timers.elapsedBits == 0 {
            throw GLESError.invalidArgument("GPU timer mode \(chosen.rawValue) is not supported by \(context.limits.renderer) "
                                            + "(GL_EXT_disjoint_timer_query counter bits are 0); use \(best.rawValue).")
        }
        self.mode = chosen
        self.context = context
        queries = TimerQueryPool(context: context)
        if chosen != .cpuFinish {
            try context.makeCurrent()
            _ = queries.takeDisjoint()  // start from a clear flag
        }
    }

    /// Starts a scope named `label`; close it with `end()`.
    public func begin(_ label: String) throws {
        try context.makeCurrent()
        if mode == .gpuElapsed && !open.isEmpty {
            throw GLESError.invalidArgument("GPU timer: scope '\(label)' opened inside '\(open.last!.label)', but TIME_ELAPSED queries cannot nest on this device.")
        }
        open.append(OpenScope(label: label, start: try mark(beginning: true)))
    }

    /// Ends the innermost open scope.
    public func end() throws {
        guard let scope = open.popLast() else {
            throw GLESError.invalidArgument("GPU timer: end() without a matching begin().")
        }
        try context.makeCurrent()
        closed.append(ClosedScope(label: scope.label, start: scope.start, end: try mark(beginning: false)))
    }

    /// Runs `body` inside a scope named `label`.
    public func measure<T>(_ label: String, _ body: () throws -> T) throws -> T {
        try begin(label)
        let result: T
        do { result = try body() } catch {
            try? end()
            throw error
        }
        try end()
        return result
    }

    /// Waits for every closed scope's result and adds it to `totals`. Returns the durations of
    /// the scopes resolved by this call, in the order they were closed.
    @discardableResult
    public func resolve() throws -> [(label: String, seconds: Double)] {
        try context.makeCurrent()
        var resolved: [(label: String, seconds: Double)] = []
        var disjoint = false
        if mode != .cpuFinish {
            glFinish()
            disjoint = queries.takeDisjoint()
        }
        for scope in closed {
            let seconds: Double
            switch (scope.start, scope.end) {
            case (.cpu(let start), .cpu(let end)):
                seconds = Double(end - start) / 1e9
            case (.query(let start), .query(let end)) where mode == .gpuTimestamps:
                seconds = Double(Int64(bitPattern: queries.result(end) &- queries.result(start))) / 1e9
            case (.query(let query), _):
                seconds = Double(queries.result(query)) / 1e9
            default:
                seconds = 0
            }
            if case .query(let start) = scope.start { queries.release(start) }
            if case .query(let end) = scope.end, mode == .gpuTimestamps { queries.release(end) }
            guard !disjoint else { continue }
            resolved.append((scope.label, seconds))
            totals[scope.label, default: TimerTotal(seconds: 0, count: 0)].seconds += seconds
            totals[scope.label, default: TimerTotal(seconds: 0, count: 0)].count += 1
        }
        if disjoint { disjointDrops += 1 }
        closed.removeAll()
        try checkGL("resolving GPU timer queries")
        return resolved
    }

    /// Forgets all totals (open scopes stay open).
    public func reset() {
        totals = [:]
        disjointDrops = 0
    }

    private func mark(beginning: Bool) throws -> Mark {
        switch mode {
        case .cpuFinish:
            glFinish()
            return .cpu(DispatchTime.now().uptimeNanoseconds)
        case .gpuTimestamps:
            let query = queries.take()
            context.procs.queryCounter?(query, gl(GL_TIMESTAMP_EXT))
            return .query(query)
        case .gpuElapsed:
            if beginning {
                let query = queries.take()
                context.procs.beginQuery?(gl(GL_TIME_ELAPSED_EXT), query)
                return .query(query)
            }
            context.procs.endQuery?(gl(GL_TIME_ELAPSED_EXT))
            return .query(0)
        }
    }
}
