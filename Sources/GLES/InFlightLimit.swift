import CGLES
import Foundation

/// Bounds how far the CPU may queue work ahead of the GPU, counted in numbered uses (here: the
/// uniform blocks bound, one per dispatch with host-written parameters).
///
/// Every `interval` uses a fence goes into the command stream; before use n is handed out, the
/// fences placed up to use n - `limit` are waited for. So when use n is queued, every use
/// numbered below `completedBefore` (≥ n - limit - interval) has finished on the GPU, and its
/// storage may be overwritten. Without this, a CPU that queues thousands of dispatches ahead
/// (a long prefill queues several steps without a readback) would come round to uniform slots
/// that queued dispatches have not read yet, which `.mapped` (unsynchronized writes) and the
/// `.cached` eviction would overwrite under them.
final class InFlightLimit {
    let interval: Int
    let limit: Int
    /// Uses handed out so far.
    private(set) var count = 0
    /// Every use numbered below this has finished on the GPU.
    private(set) var completedBefore = 0
    private var fences: [(before: Int, sync: GLsync)] = []

    init(interval: Int, limit: Int) {
        precondition(interval > 0 && limit >= interval)
        self.interval = interval
        self.limit = limit
    }

    deinit {
        for fence in fences { glDeleteSync(fence.sync) }
    }

    /// The number of the next use, after fencing and waiting as described above.
    func next() throws -> Int {
        if count > 0 && count % interval == 0, let sync = glFenceSync(GLenum(GL_SYNC_GPU_COMMANDS_COMPLETE), 0) {
            fences.append((count, sync))
        }
        while let oldest = fences.first, oldest.before <= count - limit {
            try waitForFence(oldest.sync, operation: "waiting for the GPU to finish queued dispatches")
            glDeleteSync(oldest.sync)
            fences.removeFirst()
            completedBefore = oldest.before
        }
        defer { count += 1 }
        return count
    }

    /// Waits for everything queued (for the rare case a fence could not be placed).
    func drain() {
        glFinish()
        for fence in fences { glDeleteSync(fence.sync) }
        fences.removeAll()
        completedBefore = count
    }
}

/// Waits for `sync` in slices of 100 ms; a GPU that makes no progress for a minute is an error
/// naming `operation`, not a hang. The caller deletes the sync.
func waitForFence(_ sync: GLsync, operation: String) throws {
    let deadline = Date().addingTimeInterval(60)
    while true {
        switch glClientWaitSync(sync, GLbitfield(GL_SYNC_FLUSH_COMMANDS_BIT), 100_000_000) {
        case GLenum(GL_ALREADY_SIGNALED), GLenum(GL_CONDITION_SATISFIED):
            return
        case GLenum(GL_TIMEOUT_EXPIRED):
            if Date() > deadline { throw GLESError.glError(operation: operation, code: "no progress in 60 s") }
        default:
            throw GLESError.glError(operation: "glClientWaitSync (\(operation))", code: takeGLError().map(glErrorName) ?? "GL_WAIT_FAILED")
        }
    }
}
