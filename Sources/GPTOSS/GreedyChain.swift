import Foundation
import GLES
import Kernels

/// Greedy decoding run one step ahead: step n + 1 takes its token, the argmax of step n, from
/// the GPU (a 4-byte buffer copy), so it is queued before step n's result is read back and the
/// GPU never idles while the CPU reads, chooses and queues (on the H200 that gap was about
/// 0.26 ms of a 4.6 ms token, plus the queueing of the next step).
///
/// Each step's reduction is copied into one of two snapshot buffers behind a fence, so reading
/// step n waits for step n only, not for step n + 1 behind it. Positions advance as steps are
/// queued; `discardQueued()` gives back the position of a step queued past a stop.
///
///     let chain = try GreedyChain(model: model, sampler: sampler)
///     try chain.queue(token: first)                 // a token the CPU knows
///     while … {
///         try chain.queueFromGPU()                  // the next, fed by the GPU's argmax
///         let summary = try chain.next()            // the oldest queued step's reduction
///     }
public final class GreedyChain {
    private let model: GPTOSSModel
    private let sampler: Sampler
    private let snapshots: [GPUBuffer]
    private var queued: [(snapshot: Int, fence: GPUFence, position: Int)] = []
    private var nextSnapshot = 0

    public init(model: GPTOSSModel, sampler: Sampler) throws {
        guard sampler.parameters.isGreedy else {
            throw GPTOSSError.badSamplingParameter("the GPU-fed decode chain is greedy only (temperature 0)")
        }
        self.model = model
        self.sampler = sampler
        let bytes = LogitSummary.wordCount(candidates: min(sampler.candidateCount, model.config.vocabularySize)) * 4
        snapshots = try (0 ..< 2).map { try model.kernels.context.makeBuffer(byteCount: bytes, label: "greedy_chain.summary.\($0)") }
    }

    /// Whether greedy decoding uses the chain: yes unless `GPTOSS_GL_CHAIN=0` (for measuring the
    /// difference).
    public static func enabled(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        environment["GPTOSS_GL_CHAIN"] != "0"
    }

    /// Steps queued and not yet returned by `next()`.
    public var pending: Int { queued.count }

    /// Queues the step of `token` (one the CPU chose, e.g. after the prompt).
    public func queue(token: Int) throws {
        try ensureRoom()
        let position = model.position
        _ = try model.queueDecode(token)
        try finishQueueing(position: position)
    }

    /// Queues a step whose token is the argmax of the last queued step, never leaving the GPU.
    public func queueFromGPU() throws {
        guard !queued.isEmpty else {
            throw GPTOSSError.badSequence("the chain has no queued step to take a token from; queue(token:) first")
        }
        try ensureRoom()
        let position = model.position
        try model.stepOnGPUArgmax()
        try finishQueueing(position: position)
    }

    /// The reduction of the oldest queued step (waits for that step only).
    public func next() throws -> LogitSummary {
        guard !queued.isEmpty else { throw GPTOSSError.badSequence("no queued decode step to read") }
        let step = queued.removeFirst()
        try step.fence.wait()
        return try model.readSummary(from: snapshots[step.snapshot], sampler: sampler, position: step.position)
    }

    /// Forgets the queued steps not yet read (after a stop token or the last wanted one): the
    /// model's position goes back to just after the last step read. Their cache rows lie past
    /// that position, so nothing reads them before they are written again.
    public func discardQueued() {
        guard let first = queued.first else { return }
        model.rewind(to: first.position)
        queued.removeAll()
    }

    /// Two snapshots: at most two steps may be in flight.
    private func ensureRoom() throws {
        if queued.count >= snapshots.count {
            throw GPTOSSError.badSequence("the chain holds \(snapshots.count) queued steps; read one with next() first")
        }
    }

    private func finishQueueing(position: Int) throws {
        try model.queueSummary(sampler)
        let snapshot = nextSnapshot
        nextSnapshot = (nextSnapshot + 1) % snapshots.count
        try snapshots[snapshot].copy(from: model.buffers.summary, byteCount: snapshots[snapshot].byteCount)
        queued.append((snapshot, try GPUFence(context: model.kernels.context), position))
    }
}
