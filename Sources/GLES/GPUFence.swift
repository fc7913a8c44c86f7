import CGLES
import Foundation

/// A point in the GL command stream that the CPU can wait for (glFenceSync) without waiting
/// for the work queued after it: what lets a step be queued before the previous one's result is
/// read back.
public final class GPUFence {
    private let context: GLContext
    private var sync: GLsync?

    /// Inserts the fence after everything queued so far and flushes, so it will signal.
    public init(context: GLContext) throws {
        self.context = context
        try context.makeCurrent()
        guard let sync = glFenceSync(GLenum(GL_SYNC_GPU_COMMANDS_COMPLETE), 0) else {
            throw GLESError.glError(operation: "glFenceSync", code: takeGLError().map(glErrorName) ?? "no GL error")
        }
        self.sync = sync
        glFlush()
    }

    /// Blocks until the GPU has passed the fence; a GPU that does not get there within
    /// `timeoutSeconds` is an error, not a hang.
    public func wait(timeoutSeconds: Double = 60) throws {
        guard let sync else { return }
        try context.makeCurrent()
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while true {
            switch glClientWaitSync(sync, GLbitfield(GL_SYNC_FLUSH_COMMANDS_BIT), 100_000_000) {
            case GLenum(GL_ALREADY_SIGNALED), GLenum(GL_CONDITION_SATISFIED):
                release()
                return
            case GLenum(GL_TIMEOUT_EXPIRED):
                if Date() > deadline { throw GLESError.fenceWaitFailed("no progress in \(Int(timeoutSeconds)) s") }
            default:
                throw GLESError.fenceWaitFailed("glClientWaitSync: \(takeGLError().map(glErrorName) ?? "GL_WAIT_FAILED")")
            }
        }
    }

    private func release() {
        if let sync, (try? context.makeCurrent()) != nil { glDeleteSync(sync) }
        sync = nil
    }

    deinit { release() }
}
