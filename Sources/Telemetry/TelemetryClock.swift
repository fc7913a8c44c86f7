import Foundation

/// Seconds since the run started, from a monotonic clock: wall-clock jumps cannot reorder a log,
/// and a log replays the same way whenever it is read.
public final class TelemetryClock: @unchecked Sendable {
    private let startNanoseconds: UInt64

    public init() {
        startNanoseconds = DispatchTime.now().uptimeNanoseconds
    }

    public func now() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds &- startNanoseconds) / 1e9
    }
}
