import Foundation

extension ReferenceModel {
    /// The softmax weights of one layer's attention, for checking the GPU's attention telemetry.
    public struct AttentionWeights: Sendable {
        /// The first position each query sees (0, or position + 1 − window on sliding layers).
        public var first: Int
        /// [heads][visible positions first … position]; the sink's share is in the denominator
        /// only, so a row sums to 1 − that share.
        public var weights: [[Float]]
    }

    /// Runs `tokens` (positions 0…n−1) like `logits(tokens:)` and returns, for every position, the
    /// attention weights of `layer`: softmax over q·k/√d of the visible keys and the head's sink,
    /// computed in Double from the reference's own roped queries and keys.
    public func attentionWeights(tokens: [Int], layer: Int) throws -> [AttentionWeights] {
        let c = config, d = c.headDim
        guard (0 ..< c.blockCount).contains(layer) else {
            throw GPTOSSError.badAttentionProbe("layer \(layer) does not exist; the model has layers 0…\(c.blockCount - 1)")
        }
        var queries = [[Float]](repeating: [], count: tokens.count)
        var keys = [[Float]](repeating: [], count: tokens.count)
        _ = try logits(tokens: tokens) { name, position, values in
            if name == .layer(layer, .query) { queries[position] = values }
            if name == .layer(layer, .key) { keys[position] = values }
        }
        let sinks = layers[layer].sinks
        let scale = 1 / Double(d).squareRoot()
        return (0 ..< tokens.count).map { position in
            let first = c.isSlidingLayer(layer) ? max(0, position - c.slidingWindow + 1) : 0
            let rows: [[Float]] = (0 ..< c.headCount).map { head in
                let kvHead = head / c.queryGroupSize
                let scores: [Double] = (first ... position).map { j in
                    var s = 0.0
                    for i in 0 ..< d { s += Double(queries[position][head * d + i]) * Double(keys[j][kvHead * d + i]) }
                    return s * scale
                }
                let sink = Double(sinks[head])
                let m = max(scores.max()!, sink)
                let denominator = scores.reduce(0) { $0 + exp($1 - m) } + exp(sink - m)
                return scores.map { Float(exp($0 - m) / denominator) }
            }
            return AttentionWeights(first: first, weights: rows)
        }
    }
}
