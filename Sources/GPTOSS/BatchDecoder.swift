import Foundation
import Kernels

/// Continuous batching over a model's sequence slots: every `step()` advances each running
/// sequence by one token in a single forward step, and prefills at most one chunk of a waiting
/// prompt beside them, so a long prompt never stalls the streams already producing.
///
/// Not thread-safe and bound to the model's GL context: one thread owns it (the engine's).
public final class BatchDecoder {
    /// What one step produced for one sequence.
    public struct Output: Sendable {
        public let sequence: Int
        /// The token chosen this step (nil: the sequence only prefilled part of its prompt).
        public let token: GeneratedToken?
        /// Set when the sequence is done; its slot is free again.
        public let finished: FinishReason?
        /// The full logits row the token was drawn from (only with `keepsLogits`, for tests).
        public let logits: [Float]?
    }

    /// A sequence in a slot.
    public struct Running: Sendable {
        public let sequence: Int
        public let slot: Int
        public let request: GenerationRequest
        /// Prompt tokens already in the cache.
        public fileprivate(set) var prefilled = 0
        public fileprivate(set) var generated: [Int] = []
        fileprivate var sampler: Sampler
        fileprivate var started = Date()

        public var isPrefilling: Bool { prefilled < request.prompt.count }
    }

    public let model: GPTOSSModel
    /// Prompt tokens one step may prefill (beside one row per decoding sequence).
    public let prefillChunk: Int
    /// Reads every sampled row's logits back in full (tests compare them; slow on a real model).
    public var keepsLogits = false
    public private(set) var running: [Running] = []

    public init(model: GPTOSSModel, prefillChunk: Int? = nil) throws {
        self.model = model
        self.prefillChunk = max(1, min(prefillChunk ?? model.batch, model.batch))
    }

    public var freeSlots: Int { model.sequenceSlots - running.count }
    public var isIdle: Bool { running.isEmpty }

    /// Takes a new sequence into a free slot (its prefill starts with the next step).
    public func admit(sequence: Int, _ request: GenerationRequest) throws {
        guard let slot = (0 ..< model.sequenceSlots).first(where: { s in !running.contains { $0.slot == s } }) else {
            throw GPTOSSError.badSequence("no free sequence slot (all \(model.sequenceSlots) in use)")
        }
        guard !request.prompt.isEmpty else { throw GPTOSSError.badSequence("an empty prompt. Hint: pass at least one token id.") }
        guard request.prompt.count < model.cache.context else {
            throw GPTOSSError.badSequence("a prompt of \(request.prompt.count) tokens leaves no room in a context of "
                                          + "\(model.cache.context) positions. Hint: pass a larger --context.")
        }
        guard request.maxTokens >= 1 else {
            throw GPTOSSError.badSamplingParameter("max tokens must be ≥ 1, got \(request.maxTokens)")
        }
        model.reset(slot: slot)
        running.append(Running(sequence: sequence, slot: slot, request: request, sampler: try Sampler(request.sampling)))
    }

    /// Drops a sequence (its client went away); its slot is free for the next step.
    public func cancel(sequence: Int) {
        running.removeAll { $0.sequence == sequence }
    }

    /// One forward step over every running sequence. Returns what each sampled sequence got.
    @discardableResult
    public func step() throws -> [Output] {
        // Decoding sequences bring their last token; the oldest waiting prompt fills what is left.
        let decoding = running.indices.filter { !running[$0].isPrefilling }
        let room = model.batch - decoding.count
        let prefilling = room > 0 ? running.indices.first { running[$0].isPrefilling } : nil
        var parts: [SequenceTokens] = []
        // Each part's running index and whether its row is sampled.
        var sampled: [(index: Int, row: Int)] = []
        if let p = prefilling {
            let r = running[p], end = min(r.request.prompt.count, r.prefilled + min(room, prefillChunk))
            parts.append(SequenceTokens(slot: r.slot, tokens: Array(r.request.prompt[r.prefilled ..< end])))
            running[p].prefilled = end
            if end == r.request.prompt.count { sampled.append((p, 0)) }
        }
        for d in decoding {
            sampled.append((d, parts.count))
            parts.append(SequenceTokens(slot: running[d].slot, tokens: [running[d].generated.last!]))
        }
        guard !parts.isEmpty else { return [] }
        let stepStart = Date()
        try model.step(parts, logits: .last)
        let summaries = try model.summarize(rows: sampled.map { ($0.row, running[$0.index].sampler) })

        var outputs: [Output] = []
        var finishedIndices: [Int] = []
        for ((index, row), summary) in zip(sampled, summaries) {
            let logits = keepsLogits ? try model.logits(row: row) : nil
            let id = running[index].sampler.choose(from: summary)
            let slot = running[index].slot
            let token = Generator.token(id, at: model.position(slot: slot), summary, since: stepStart)
            running[index].generated.append(id)
            let r = running[index]
            var reason: FinishReason?
            if r.request.stopTokens.contains(id) {
                reason = .stopToken
            } else if r.generated.count >= r.request.maxTokens {
                reason = .maxTokens
            } else if model.position(slot: slot) >= model.cache.context {
                reason = .contextFull
            }
            if reason != nil { finishedIndices.append(index) }
            outputs.append(Output(sequence: r.sequence, token: token, finished: reason, logits: logits))
        }
        if let p = prefilling, !sampled.contains(where: { $0.index == p }) {
            outputs.insert(Output(sequence: running[p].sequence, token: nil, finished: nil, logits: nil), at: 0)
        }
        for i in finishedIndices.sorted(by: >) { running.remove(at: i) }
        return outputs
    }
}
