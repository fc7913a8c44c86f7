import Foundation

/// Moves PNG encoding or the pipe write off the rendering thread: frames queue (at most
/// `depth` of them, so memory stays bounded) and a serial worker hands them to the real output
/// in order. The first failure is rethrown on the next write or at finish.
public final class BackgroundFrameOutput: FrameOutput {
    private let inner: FrameOutput
    private let queue = DispatchQueue(label: "gptoss-gl.hud.frames")
    private let slots: DispatchSemaphore
    private let lock = NSLock()
    private var failure: Error?

    public var destination: String { inner.destination }

    public init(_ inner: FrameOutput, depth: Int = 4) {
        self.inner = inner
        slots = DispatchSemaphore(value: depth)
    }

    public func write(_ frame: RGBAImage, index: Int) throws {
        try rethrowFailure()
        slots.wait()
        queue.async { [self] in
            defer { slots.signal() }
            guard currentFailure == nil else { return }
            do { try inner.write(frame, index: index) } catch { record(error) }
        }
    }

    public func finish() throws {
        queue.sync {}
        try rethrowFailure()
        try inner.finish()
    }

    private var currentFailure: Error? {
        lock.lock(); defer { lock.unlock() }
        return failure
    }

    private func record(_ error: Error) {
        lock.lock(); defer { lock.unlock() }
        if failure == nil { failure = error }
    }

    private func rethrowFailure() throws {
        if let error = currentFailure { throw error }
    }
}
