import CGLES
import Foundation

/// Which buffers launches still queued on the GPU may read, so that an upload never changes
/// data under them.
///
/// GL orders glBufferSubData after every command queued before it, but on the H100 (driver
/// 580.159.04) an upload of a prefill step's token ids, queued while the step before was still
/// waiting to run, reached the buffer before that step's embedding launch read it: a prompt
/// prefilled in several steps then embedded the wrong tokens (BENCHMARKS.md, session 11; a
/// glFinish before every upload made the output right). So every launch stamps the buffers it
/// binds with its serial number, and an upload into a buffer stamped after the last completed
/// wait first waits for the queued work (a fence: cheap when the GPU is already idle, as it is
/// between decode steps, which read their results back).
struct QueuedReads {
    /// Launches issued so far; the serial of the latest.
    private(set) var issued: UInt64 = 0
    /// Every launch with a serial at or below this has finished on the GPU.
    private(set) var finished: UInt64 = 0
    /// Waits for queued work done because of this bookkeeping (the tests count them).
    private(set) var waits = 0

    /// The serial of the launch about to be issued.
    mutating func nextLaunch() -> UInt64 {
        issued += 1
        return issued
    }

    /// Whether a buffer last bound by launch `serial` may still be read by queued work.
    func mayBeRead(lastLaunch serial: UInt64) -> Bool { serial > finished }

    /// Everything issued so far has finished (after glFinish or a signalled fence).
    mutating func allFinished(counting wait: Bool) {
        finished = issued
        if wait { waits += 1 }
    }

    /// Every launch up to `serial` has finished (a fence placed after it has signalled).
    mutating func finished(upTo serial: UInt64) {
        finished = max(finished, serial)
    }
}

extension GLContext {
    /// A fence after everything queued, placed before a readback: once the readback has waited
    /// for its buffer, `noteFinished(_:)` checks the fence without waiting. A decode step reads
    /// its sampler's record after its last launch, so the fence has signalled by then and the
    /// next step's upload of its token id need not wait.
    func fenceBeforeReadback() -> (sync: GLsync, serial: UInt64)? {
        guard let sync = glFenceSync(GLenum(GL_SYNC_GPU_COMMANDS_COMPLETE), 0) else { return nil }
        return (sync, queuedReads.issued)
    }

    func noteFinished(_ fence: (sync: GLsync, serial: UInt64)?) {
        guard let fence else { return }
        switch glClientWaitSync(fence.sync, 0, 0) {
        case GLenum(GL_ALREADY_SIGNALED), GLenum(GL_CONDITION_SATISFIED): queuedReads.finished(upTo: fence.serial)
        default: break
        }
        glDeleteSync(fence.sync)
    }

    /// Waits until no queued launch may read `buffer` (see `QueuedReads`): a fence placed now
    /// and waited for (`waitForFence`: a GPU that makes no progress for a minute is an error,
    /// not a hang).
    func waitForQueuedReads(of buffer: GPUBuffer) throws {
        guard queuedReads.mayBeRead(lastLaunch: buffer.lastLaunch) else { return }
        guard let sync = glFenceSync(GLenum(GL_SYNC_GPU_COMMANDS_COMPLETE), 0) else {
            glFinish()
            queuedReads.allFinished(counting: true)
            return
        }
        defer { glDeleteSync(sync) }
        try waitForFence(sync, operation: "waiting for queued launches that read '\(buffer.label)' before uploading into it")
        queuedReads.allFinished(counting: true)
    }
}
