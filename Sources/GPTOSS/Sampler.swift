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
        let limit = parameters.topK > 0 ? min(parameters.topK, summary.candidates.count) : summary.candidates.count
        var kept: [Double] = []
        var mass = 0.0
        for candidate in summary.candidates.prefix(limit) {
            let p = Double(summary.probability(ofLogit: candidate.logit))
            kept.append(p)
            mass += p
            if mass >= parameters.topP { break }
        }
        guard mass > 0 else { return summary.argmax }
        var target = Double.random(in: 0 ..< mass, using: &rng)
        for (i, p) in kept.enumerated() {
            target -= p
            if target < 0 { return summary.candidates[i].id }
        }
        return summary.candidates[kept.count - 1].id
    }
}
