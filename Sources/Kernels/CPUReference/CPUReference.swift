import Foundation

/// Plain Swift versions of every kernel, written from the math in docs/gpt-oss.md §5 (not from
/// the WGSL), accumulating in Double. The GPU tests compare against these (the model has no
/// CPU fallback: every op runs on the GPU).
///
/// Shapes are row-major, `[a][b]` meaning b varies fastest.
public enum CPUReference {
    /// x: [tokens][width] → [tokens][width].
    public static func rmsNorm(_ x: [Float], weight: [Float], tokens: Int, eps: Float) -> [Float] {
        let width = weight.count
        var out = [Float](repeating: 0, count: tokens * width)
        for t in 0 ..< tokens {
            var sum = 0.0
            for i in 0 ..< width { sum += Double(x[t * width + i]) * Double(x[t * width + i]) }
            let scale = 1 / (sum / Double(width) + Double(eps)).squareRoot()
            for i in 0 ..< width { out[t * width + i] = Float(Double(x[t * width + i]) * scale * Double(weight[i])) }
        }
        return out
    }

    /// weights: [rows][cols], x: [tokens][cols] → [tokens][rows] = W·x + bias.
    public static func linear(weights: [Float], bias: [Float]?, x: [Float], rows: Int, cols: Int, tokens: Int) -> [Float] {
        var out = [Float](repeating: 0, count: tokens * rows)
        for t in 0 ..< tokens {
            for r in 0 ..< rows {
                var sum = Double(bias?[r] ?? 0)
                for c in 0 ..< cols { sum += Double(weights[r * cols + c]) * Double(x[t * cols + c]) }
                out[t * rows + r] = Float(sum)
            }
        }
        return out
    }

    /// table: [vocab][cols] → [ids.count][cols].
    public static func embedding(table: [Float], cols: Int, ids: [Int]) -> [Float] {
        ids.flatMap { table[$0 * cols ..< ($0 + 1) * cols] }
    }

    /// NEOX RoPE of `heads` heads per token in `x` ([tokens][stride], heads from `offset`), token t
    /// at position0 + t. The angle is rounded to Float like the GPU (and PyTorch) computes it.
    public static func rope(_ x: [Float], tokens: Int, heads: Int, position0: Int, stride: Int, offset: Int,
                            inverseFrequencies: [Float], concentration: Float) -> [Float] {
        var out = x
        let half = inverseFrequencies.count
        for t in 0 ..< tokens {
            for h in 0 ..< heads {
                let base = t * stride + offset + h * 2 * half
                for j in 0 ..< half {
                    let angle = Double(Float(position0 + t) * inverseFrequencies[j])
                    let c = cos(angle) * Double(concentration), s = sin(angle) * Double(concentration)
                    let a = Double(x[base + j]), b = Double(x[base + j + half])
                    out[base + j] = Float(a * c - b * s)
                    out[base + j + half] = Float(b * c + a * s)
                }
            }
        }
        return out
    }

    /// Causal attention with sinks, GQA and an optional window (0 = none).
    /// queries: [tokens][heads][d] at positions `queryPositions`; keys/values: [positions][kvHeads][d]
    /// holding every position 0 ..< keys.count / (kvHeads·d); sinks: [heads] → [tokens][heads][d].
    public static func attention(queries: [Float], queryPositions: [Int], keys: [Float], values: [Float], sinks: [Float],
                                 heads: Int, kvHeads: Int, headDim d: Int, window: Int, scale: Float? = nil) -> [Float] {
        let scale = Double(scale ?? 1 / Float(d).squareRoot())
        let group = heads / kvHeads
        var out = [Float](repeating: 0, count: queryPositions.count * heads * d)
        for (t, p) in queryPositions.enumerated() {
            let first = window > 0 ? max(0, p - window + 1) : 0
            for h in 0 ..< heads {
                let g = h / group
                let q = (t * heads + h) * d
                var scores: [Double] = []
                for kp in first ... p {
                    let k = (kp * kvHeads + g) * d
                    var s = 0.0
                    for i in 0 ..< d { s += Double(queries[q + i]) * Double(keys[k + i]) }
                    scores.append(s * scale)
                }
                let sink = Double(sinks[h])
                let m = max(scores.max() ?? sink, sink)
                let weights = scores.map { exp($0 - m) }
                let total = weights.reduce(0, +) + exp(sink - m)
                for i in 0 ..< d {
                    var acc = 0.0
                    for (j, kp) in (first ... p).enumerated() { acc += weights[j] * Double(values[(kp * kvHeads + g) * d + i]) }
                    out[q + i] = Float(acc / total)
                }
            }
        }
        return out
    }

    /// Top-k of each token's logits ([tokens][experts]; ties → lower id), softmax over the k.
    public static func topKSoftmax(_ logits: [Float], experts: Int, k: Int) -> (ids: [Int], weights: [Float]) {
        var ids: [Int] = [], weights: [Float] = []
        for t in 0 ..< logits.count / experts {
            let row = Array(logits[t * experts ..< (t + 1) * experts])
            let chosen = row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }.prefix(k)
            let m = Double(row[chosen.first!])
            let e = chosen.map { exp(Double(row[$0]) - m) }
            let total = e.reduce(0, +)
            ids += chosen
            weights += e.map { Float($0 / total) }
        }
        return (ids, weights)
    }

    /// SwiGLU as GPT-OSS computes it: min(g,7)·σ(1.702·min(g,7))·(clamp(u,−7,7)+1).
    public static func swigluOAI(gate: Double, up: Double) -> Double {
        let g = min(gate, 7), u = min(max(up, -7), 7)
        return g / (1 + exp(-1.702 * g)) * (u + 1)
    }

    /// gate, up: [experts][ff][hidden]; biases [experts][ff]; x: [tokens][hidden]; ids: [tokens][k]
    /// → [tokens·k][ff].
    public static func moeGateUp(gate: [Float], up: [Float], gateBias: [Float]?, upBias: [Float]?, x: [Float],
                                 ids: [Int], k: Int, ff: Int, hidden: Int) -> [Float] {
        var out = [Float](repeating: 0, count: ids.count * ff)
        for (slot, e) in ids.enumerated() {
            let t = slot / k
            for r in 0 ..< ff {
                var g = Double(gateBias?[e * ff + r] ?? 0), u = Double(upBias?[e * ff + r] ?? 0)
                let w = (e * ff + r) * hidden
                for c in 0 ..< hidden {
                    g += Double(gate[w + c]) * Double(x[t * hidden + c])
                    u += Double(up[w + c]) * Double(x[t * hidden + c])
                }
                out[slot * ff + r] = Float(swigluOAI(gate: g, up: u))
            }
        }
        return out
    }

    /// down: [experts][hidden][ff]; bias [experts][hidden]; act: [tokens·k][ff]; ids, weights:
    /// [tokens][k]; residual: [tokens][hidden] → residual + Σ_j w_j (down_e · act + bias_e).
    public static func moeDown(down: [Float], bias: [Float]?, act: [Float], ids: [Int], weights: [Float], k: Int,
                               residual: [Float], hidden: Int, ff: Int) -> [Float] {
        var out = residual
        for t in 0 ..< residual.count / hidden {
            for r in 0 ..< hidden {
                var sum = 0.0
                for j in 0 ..< k {
                    let slot = t * k + j, e = ids[slot]
                    var y = Double(bias?[e * hidden + r] ?? 0)
                    for c in 0 ..< ff { y += Double(down[(e * hidden + r) * ff + c]) * Double(act[slot * ff + c]) }
                    sum += Double(weights[slot]) * y
                }
                out[t * hidden + r] = Float(Double(residual[t * hidden + r]) + sum)
            }
        }
        return out
    }

    /// The sampler's record: argmax, max logit, ln Σ e^(l/T), entropy of softmax(l/T) and the
    /// k best (logit descending, ties → lower id).
    public static func logitSummary(_ logits: [Float], candidates k: Int, temperature: Float) -> LogitSummary {
        let invT = 1 / Double(temperature)
        let m = Double(logits.max()!)
        var z = 0.0, s = 0.0
        for l in logits {
            let shifted = (Double(l) - m) * invT
            z += exp(shifted)
            s += exp(shifted) * shifted
        }
        let order = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }.prefix(k)
        var words: [UInt32] = [UInt32(order.first!), Float(m).bitPattern, Float(m * invT + log(z)).bitPattern,
                               Float(log(z) - s / z).bitPattern]
        words += order.map { UInt32($0) }
        words += order.map { logits[$0].bitPattern }
        return LogitSummary(words: words, candidates: k, temperature: temperature)
    }
}
