import Foundation
import Kernels

/// Chooses the next token from the GPU's reduction of the logits.
///
/// The GPU reduces the whole vocabulary to a record of a few hundred bytes (argmax, log-sum-exp
/// and entropy at the sampling temperature, the best `candidateCount` ids and logits); the CPU
/// reads back only that record, applies top-k / top-p to the candidates and draws one with a
/// seeded generator. The draw is a loop over ≤ 64 numbers: it never grows with the vocabulary or
/// the sequence.
public struct Sampler: Sendable {
    public let parameters: SamplingParameters
    private var rng: SeededGenerator

    public init(_ parameters: SamplingParameters) throws {
        try parameters.validate()
        self.parameters = parameters
        rng = SeededGenerator(seed: parameters.seed)
    }

    /// The temperature the GPU reduction runs at: the sampling temperature, or 1 when greedy so
    /// that the reported probabilities and entropy are the model's own.
    public var reductionTemperature: Float { parameters.isGreedy ? 1 : Float(parameters.temperature) }

    /// How many candidates the reduction keeps: 5 are always kept for the telemetry's top-5.
    public var candidateCount: Int { max(parameters.candidateCount, 5) }

    /// Picks the token: the argmax when greedy, otherwise a draw among the candidates left by
    /// top-k and top-p, weighted by their probabilities.
    public mutating func choose(from summary: LogitSummary) -> Int {
        guard !parameters.isGreedy, summary.candidates.count > 1 else { return summary.argmax }
        let kept = keptCandidates(summary)
        guard kept.mass > 0 else { return summary.argmax }
        var target = Double.random(in: 0 ..< kept.mass, using: &rng)
        for (id, p) in kept.candidates {
            target -= p
            if target < 0 { return id }
        }
        return kept.candidates[kept.candidates.count - 1].id
    }

    /// The distribution `choose` draws from, normalised: one id with probability 1 when greedy.
    public func distribution(from summary: LogitSummary) -> [(id: Int, probability: Double)] {
        guard !parameters.isGreedy, summary.candidates.count > 1 else { return [(summary.argmax, 1)] }
        let kept = keptCandidates(summary)
        guard kept.mass > 0 else { return [(summary.argmax, 1)] }
        return kept.candidates.map { ($0.id, $0.probability / kept.mass) }
    }

    /// A uniform draw in [0, 1) from this sampler's seeded stream (speculative acceptance).
    public mutating func uniform() -> Double { Double.random(in: 0 ..< 1, using: &rng) }

    /// The candidates top-k and top-p keep, best first, with their probabilities (not normalised).
    private func keptCandidates(_ summary: LogitSummary) -> (candidates: [(id: Int, probability: Double)], mass: Double) {
        let limit = parameters.topK > 0 ? min(parameters.topK, summary.candidates.count) : summary.candidates.count
        var kept: [(id: Int, probability: Double)] = []
        var mass = 0.0
        for candidate in summary.candidates.prefix(limit) {
            let p = Double(summary.probability(ofLogit: candidate.logit))
            kept.append((candidate.id, p))
            mass += p
            if mass >= parameters.topP { break }
        }
        return (kept, mass)
    }
}
