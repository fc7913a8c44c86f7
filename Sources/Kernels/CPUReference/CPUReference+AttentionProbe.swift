import Foundation

extension CPUReference {
    /// The attention probe's weights, in Double: for query heads 0 ..< probeHeads of the token at
    /// `position`, softmax(q·k·scale) over every visible key (window on sliding layers, 0 = none)
    /// with the head's sink in the denominator, reported for the last `columns` visible positions.
    /// query: [heads][d]; keys: [positions][kvHeads][d] holding every position 0 … position.
    /// Returns [probeHeads][min(columns, visible)].
    public static func attentionProbe(query: [Float], keys: [Float], sinks: [Float], heads: Int, kvHeads: Int, headDim d: Int,
                                      position: Int, window: Int, probeHeads: Int, columns: Int, scale: Float? = nil) -> [Float] {
        let scale = Double(scale ?? 1 / Float(d).squareRoot())
        let group = heads / kvHeads
        let first = window > 0 ? max(0, position - window + 1) : 0
        let shown = min(columns, position - first + 1)
        var out: [Float] = []
        for h in 0 ..< probeHeads {
            let g = h / group
            let scores: [Double] = (first ... position).map { p in
                var s = 0.0
                for i in 0 ..< d { s += Double(query[h * d + i]) * Double(keys[(p * kvHeads + g) * d + i]) }
                return s * scale
            }
            let sink = Double(sinks[h])
            let m = max(scores.max()!, sink)
            let denominator = scores.reduce(0) { $0 + exp($1 - m) } + exp(sink - m)
            out += scores.suffix(shown).map { Float(exp($0 - m) / denominator) }
        }
        return out
    }
}
