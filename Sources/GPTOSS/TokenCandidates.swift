import Foundation

/// What the GPU's sampling reduction reads back for one position: a few bytes, never the logits.
/// `ids`/`logits` are the most likely tokens, best first; `maxLogit` and `logSumExp` describe the
/// whole vocabulary's distribution at the sampling temperature, so candidate probabilities are
/// exact even though only a few tokens come back.
public struct TokenCandidates: Sendable, Equatable {
    public var ids: [Int]
    public var logits: [Float]
    /// log Σ_v exp(logit_v / T) over the whole vocabulary (T = 1 when greedy).
    public var logSumExp: Double
    /// Entropy of softmax(logits / T) over the whole vocabulary, in nats.
    public var entropy: Double
    /// The temperature `logSumExp` and `entropy` were taken at.
    public var temperature: Double

    public init(ids: [Int], logits: [Float], logSumExp: Double, entropy: Double, temperature: Double) {
        self.ids = ids; self.logits = logits; self.logSumExp = logSumExp
        self.entropy = entropy; self.temperature = temperature
    }

    /// Probability of candidate i under softmax(logits / T) over the whole vocabulary.
    public func probability(_ i: Int) -> Double {
        exp(Double(logits[i]) / max(temperature, 1e-30) - logSumExp)
    }

    /// Picks the token: the best candidate when greedy, otherwise a draw among the candidates
    /// left by top-k and top-p, weighted by their probabilities.
    public func choose(_ p: SamplingParameters, using rng: inout SeededGenerator) -> Int {
        guard !p.isGreedy, ids.count > 1 else { return ids[0] }
        let limit = p.topK > 0 ? min(p.topK, ids.count) : ids.count
        var kept: [Double] = []
        var mass = 0.0
        for i in 0 ..< limit {
            let prob = probability(i)
            kept.append(prob)
            mass += prob
            if mass >= p.topP { break }
        }
        var target = Double.random(in: 0 ..< mass, using: &rng)
        for (i, prob) in kept.enumerated() {
            target -= prob
            if target < 0 { return ids[i] }
        }
        return ids[kept.count - 1]
    }
}
