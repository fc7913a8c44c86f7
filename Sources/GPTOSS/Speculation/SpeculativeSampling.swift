/// The verification rule of speculative sampling (Leviathan et al. 2023; Chen et al. 2023): the
/// tokens it emits are distributed exactly as the target model's own samples, whatever the drafter.
///
/// Draft token x_i, proposed with probability q_i(x_i), is accepted with probability
/// min(1, p_i(x_i) / q_i(x_i)). At the first rejection the emitted token is drawn from the residual
/// norm(max(0, p_i − q_i)); when every draft is accepted, a bonus token is drawn from p_k. Greedy
/// decoding is the special case of one-hot p: a draft is accepted iff it is the argmax, and the
/// correction or bonus is the argmax, so the output is plain greedy decoding's, token for token.
public enum SpeculativeSampling {
    /// A distribution over token ids (entries absent have probability 0).
    public typealias Distribution = [(id: Int, probability: Double)]

    /// `target` holds k + 1 distributions (one per draft position and one for the bonus);
    /// `draft` the k proposals with the distribution each was drawn from (one-hot for a
    /// deterministic drafter such as prompt lookup). `uniform` draws from [0, 1).
    public static func verify(drafts: [Int], draftDistributions: [Distribution], target: [Distribution],
                              uniform: () -> Double) -> (accepted: Int, next: Int) {
        precondition(target.count == drafts.count + 1 && draftDistributions.count == drafts.count)
        for (i, x) in drafts.enumerated() {
            let p = probability(of: x, in: target[i]), q = probability(of: x, in: draftDistributions[i])
            let accept: Bool
            if p == 0 { accept = false } else if p >= q { accept = true } else { accept = uniform() < p / q }
            if accept { continue }
            return (i, draw(residual(target[i], minus: draftDistributions[i]), uniform: uniform))
        }
        return (drafts.count, draw(target[drafts.count], uniform: uniform))
    }

    static func probability(of id: Int, in d: Distribution) -> Double {
        d.first { $0.id == id }?.probability ?? 0
    }

    /// norm(max(0, p − q)); p itself if that leaves nothing (then no draft could be rejected).
    static func residual(_ p: Distribution, minus q: Distribution) -> Distribution {
        let r = p.map { ($0.id, max(0, $0.probability - probability(of: $0.id, in: q))) }
        let mass = r.reduce(0) { $0 + $1.1 }
        guard mass > 0 else { return p }
        return r.map { ($0.0, $0.1 / mass) }
    }

    /// A draw from `d` (one-hot distributions use no randomness, so greedy stays deterministic).
    static func draw(_ d: Distribution, uniform: () -> Double) -> Int {
        let support = d.filter { $0.probability > 0 }
        if support.count == 1 { return support[0].id }
        let mass = support.reduce(0) { $0 + $1.probability }
        var target = uniform() * mass
        for (id, p) in support {
            target -= p
            if target < 0 { return id }
        }
        return support[support.count - 1].id
    }
}
