import Foundation
import GLES
import Kernels

/// One sequence's tokens in a step of several: `slot` names its KV cache (0 ..< `sequenceSlots`).
public struct SequenceTokens: Sendable, Equatable {
    public var slot: Int
    public var tokens: [Int]

    public init(slot: Int, tokens: [Int]) { self.slot = slot; self.tokens = tokens }
}

/// Several sequences in one forward step (continuous batching, speculative verification): each
/// slot has its own KV cache and position; the matrix and MoE kernels run over all their rows at
/// once. The single-stream API (`prefill`, `decode`) is slot 0.
extension GPTOSSModel {
    /// Sequence slots, each with a KV cache of `cache.context` positions.
    public var sequenceSlots: Int { caches.count }

    /// The next position of slot `slot`.
    public func position(slot: Int) -> Int { caches[slot].length }

    /// Starts a new sequence in `slot`.
    public func reset(slot: Int) { caches[slot].reset() }

    /// Forgets slot `slot`'s positions from `position` on (rejected speculative tokens). Their
    /// keys stay in the buffers but are never read: attention looks only below the length, and a
    /// sliding ring holds the window plus a batch, so up to `batch` rolled-back positions never
    /// overwrite a slot a later query still sees.
    public func rollback(slot: Int, to position: Int) throws {
        let cache = caches[slot]
        guard (0 ... cache.length).contains(position), cache.length - position <= batch else {
            throw GPTOSSError.badSequence("cannot roll slot \(slot) back from \(cache.length) to \(position) "
                                          + "(at most --batch = \(batch) positions)")
        }
        cache.length = position
    }

    /// Queues one step of several sequences. Only the first may bring more than one token (a
    /// prefill chunk or a verification). With `.last`, logits row i is the last token of
    /// `parts[i]`; with `.all`, rows follow the tokens in order.
    public func step(_ parts: [SequenceTokens], logits: LogitRows = .last) throws {
        guard Set(parts.map(\.slot)).count == parts.count, parts.allSatisfy({ caches.indices.contains($0.slot) }) else {
            throw GPTOSSError.badSequence("a step names slots \(parts.map(\.slot)); each must be distinct and below \(caches.count)")
        }
        for part in parts { try check(part.tokens, cache: caches[part.slot]) }
        let shape = StepShape(parts: parts.map { (caches[$0.slot], $0.tokens.count) }, logits: logits)
        try shape.validate(batch: batch)
        try buffers.nextTokenIDs().upload(parts.flatMap(\.tokens).map { UInt32($0) })
        try run(shape)
    }

    /// Reduces logits rows of the last step, one sampler each (row i into record i), and reads
    /// every record back at once.
    public func summarize(rows: [(row: Int, sampler: Sampler)]) throws -> [LogitSummary] {
        guard rows.count <= buffers.sequenceSummaries.count else {
            throw GPTOSSError.badSequence("\(rows.count) rows to sample, but only \(buffers.sequenceSummaries.count) records")
        }
        let vocab = config.vocabularySize, words = LogitSummary.wordCount(candidates: SamplingParameters.maxCandidates)
        for (i, r) in rows.enumerated() {
            reportMode(try kernels.reduceLogits(LogitReductionArgs(
                logits: buffers.logits, offset: r.row * vocab, vocab: vocab,
                candidates: min(r.sampler.candidateCount, vocab), temperature: r.sampler.reductionTemperature,
                result: buffers.sequenceSummaries[i])))
        }
        guard !rows.isEmpty else { return [] }
        let all: [UInt32]
        if rows.count == 1 {
            // One record (a single stream): read it where it is, as `decode` does, without the gather.
            all = try buffers.sequenceSummaries[0].readUInt32s(count: words)
        } else {
            kernels.context.barrier(.all)
            for i in rows.indices {
                try buffers.gatheredSummaries.copy(from: buffers.sequenceSummaries[i], sourceOffset: 0, to: i * words * 4,
                                                   byteCount: words * 4)
            }
            all = try buffers.gatheredSummaries.readUInt32s(count: rows.count * words)
        }
        try kernels.checkChainedLaunches()
        return try rows.enumerated().map { i, r in
            let candidates = min(r.sampler.candidateCount, vocab)
            let summary = LogitSummary(words: Array(all[i * words ..< i * words + LogitSummary.wordCount(candidates: candidates)]),
                                       candidates: candidates, temperature: r.sampler.reductionTemperature)
            guard summary.argmax < vocab, summary.maxLogit.isFinite, summary.logSumExp.isFinite, summary.entropy.isFinite else {
                throw GPTOSSError.nonFiniteLogits(position: r.row)
            }
            return summary
        }
    }

    /// Row `row` of the last step's logits, read back in full (tests and `logits`).
    public func logits(row: Int) throws -> [Float] {
        let vocab = config.vocabularySize
        return Array(try buffers.logits.readFloats(count: (row + 1) * vocab)[(row * vocab)...])
    }
}
