import Foundation

/// GPT-OSS on the CPU, straight from docs/gpt-oss.md §5: plain loops over dequantised weights,
/// dot products accumulated in Double. Slow and simple on purpose: it is the yardstick the GPU
/// forward pass is debugged against (same intermediate names), not an execution path.
public struct ReferenceModel: Sendable {
    public let config: ModelConfig
    let rope: RotaryEmbedding
    let embedding: [Float]          // [vocab][hidden]
    let outputNorm: [Float]         // [hidden]
    let output: [Float]             // [vocab][hidden]
    let layers: [Layer]

    /// One block's weights, dequantised; matrices are row-major [out][in] as ggml stores them.
    struct Layer: Sendable {
        let attnNorm: [Float]
        let q: [Float], qBias: [Float]          // [heads·headDim][hidden]
        let k: [Float], kBias: [Float]          // [kvHeads·headDim][hidden]
        let v: [Float], vBias: [Float]
        let o: [Float], oBias: [Float]          // [hidden][heads·headDim]
        let sinks: [Float]                      // [heads]
        let postNorm: [Float]
        let router: [Float], routerBias: [Float]    // [experts][hidden]
        let gate: [Float], gateBias: [Float]        // [experts][ffn][hidden], [experts][ffn]
        let up: [Float], upBias: [Float]
        let down: [Float], downBias: [Float]        // [experts][hidden][ffn], [experts][hidden]
    }

    /// Builds the model from dequantised tensors; `tensor(name)` returns a tensor's values in
    /// ggml element order (ne0 fastest). Shapes are assumed checked by `TensorTable`.
    public init(config: ModelConfig, tensor: (String) throws -> [Float]) throws {
        self.config = config
        rope = RotaryEmbedding(config: config)
        embedding = try tensor("token_embd.weight")
        outputNorm = try tensor("output_norm.weight")
        output = try tensor("output.weight")
        layers = try (0 ..< config.blockCount).map { n in
            func t(_ suffix: String) throws -> [Float] { try tensor("blk.\(n).\(suffix)") }
            return Layer(
                attnNorm: try t("attn_norm.weight"),
                q: try t("attn_q.weight"), qBias: try t("attn_q.bias"),
                k: try t("attn_k.weight"), kBias: try t("attn_k.bias"),
                v: try t("attn_v.weight"), vBias: try t("attn_v.bias"),
                o: try t("attn_output.weight"), oBias: try t("attn_output.bias"),
                sinks: try t("attn_sinks.weight"),
                postNorm: try t("post_attention_norm.weight"),
                router: try t("ffn_gate_inp.weight"), routerBias: try t("ffn_gate_inp.bias"),
                gate: try t("ffn_gate_exps.weight"), gateBias: try t("ffn_gate_exps.bias"),
                up: try t("ffn_up_exps.weight"), upBias: try t("ffn_up_exps.bias"),
                down: try t("ffn_down_exps.weight"), downBias: try t("ffn_down_exps.bias"))
        }
    }

    /// Runs all `tokens` (positions 0…n−1) and returns the logits, [n][vocab]. `observe` sees
    /// every intermediate of every position, named as in `Intermediate`.
    public func logits(tokens: [Int], observe: ((Intermediate, Int, [Float]) -> Void)? = nil) throws -> [[Float]] {
        let c = config
        for t in tokens where !(0 ..< c.vocabularySize).contains(t) {
            throw GPTOSSError.tokenOutOfRange(token: t, vocabularySize: c.vocabularySize)
        }
        let h = c.embeddingLength
        // The residual stream of every position: [n][hidden].
        var x: [[Float]] = tokens.enumerated().map { pos, t in
            let row = Array(embedding[t * h ..< (t + 1) * h])
            observe?(.embedding, pos, row)
            return row
        }
        for (n, layer) in layers.enumerated() {
            func emit(_ t: Intermediate.LayerTensor, _ pos: Int, _ values: [Float]) { observe?(.layer(n, t), pos, values) }

            // MARK: - Attention: norm → QKV → RoPE → causal attention with sinks (and window) → Wo
            var keys: [[Float]] = [], values: [[Float]] = []
            var queries: [[Float]] = []
            for pos in 0 ..< x.count {
                let hNorm = rmsnorm(x[pos], weight: layer.attnNorm)
                emit(.attentionNorm, pos, hNorm)
                var q = matvec(layer.q, hNorm, bias: layer.qBias)
                var k = matvec(layer.k, hNorm, bias: layer.kBias)
                let v = matvec(layer.v, hNorm, bias: layer.vBias)
                applyRope(&q, heads: c.headCount, position: pos)
                applyRope(&k, heads: c.headCountKV, position: pos)
                emit(.query, pos, q); emit(.key, pos, k); emit(.value, pos, v)
                queries.append(q); keys.append(k); values.append(v)
            }
            for pos in 0 ..< x.count {
                let mix = attend(query: queries[pos], position: pos, keys: keys, values: values,
                                 sinks: layer.sinks, sliding: c.isSlidingLayer(n))
                emit(.attentionMix, pos, mix)
                let attnOut = matvec(layer.o, mix, bias: layer.oBias)
                emit(.attentionOutput, pos, attnOut)
                for i in 0 ..< h { x[pos][i] += attnOut[i] }
                emit(.feedForwardInput, pos, x[pos])

                // MARK: - Mixture of experts: norm → router top-k softmax → SwiGLU experts → weighted sum
                let h2 = rmsnorm(x[pos], weight: layer.postNorm)
                emit(.feedForwardNorm, pos, h2)
                let routerLogits = matvec(layer.router, h2, bias: layer.routerBias)
                emit(.routerLogits, pos, routerLogits)
                let moe = mixtureOfExperts(layer, h2, routerLogits: routerLogits)
                emit(.feedForwardOutput, pos, moe)
                for i in 0 ..< h { x[pos][i] += moe[i] }
                emit(.layerOutput, pos, x[pos])
            }
        }
        // MARK: - Output head
        return x.enumerated().map { pos, row in
            let normed = rmsnorm(row, weight: outputNorm)
            observe?(.outputNorm, pos, normed)
            let logits = matvec(output, normed, bias: nil)
            observe?(.logits, pos, logits)
            return logits
        }
    }

    // MARK: - Pieces of the math

    func rmsnorm(_ x: [Float], weight: [Float]) -> [Float] {
        let meanSquare = x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(x.count)
        let scale = 1 / (meanSquare + config.rmsEpsilon).squareRoot()
        return zip(x, weight).map { Float(Double($0) * scale) * $1 }
    }

    /// y = W·x + b for W stored row-major [rows][x.count].
    func matvec(_ w: [Float], _ x: [Float], bias: [Float]?, offset: Int = 0, rows: Int? = nil) -> [Float] {
        let cols = x.count
        let rowCount = rows ?? (w.count / cols)
        return (0 ..< rowCount).map { r in
            var sum = 0.0
            let base = offset + r * cols
            for i in 0 ..< cols { sum += Double(w[base + i]) * Double(x[i]) }
            return Float(sum + Double(bias?[r] ?? 0))
        }
    }

    func applyRope(_ v: inout [Float], heads: Int, position: Int) {
        let d = config.headDim
        for head in 0 ..< heads {
            var slice = v[head * d ..< (head + 1) * d]
            rope.rotate(&slice, position: position)
            v.replaceSubrange(head * d ..< (head + 1) * d, with: slice)
        }
    }

    /// Causal attention of one query position over keys 0…position, GQA, with sinks in the
    /// denominator and, on sliding layers, only the last `window` positions visible.
    func attend(query: [Float], position: Int, keys: [[Float]], values: [[Float]], sinks: [Float], sliding: Bool) -> [Float] {
        let c = config, d = c.headDim
        let first = sliding ? max(0, position - c.slidingWindow + 1) : 0
        let scale = 1 / Double(d).squareRoot()
        var out = [Float](repeating: 0, count: c.qWidth)
        for head in 0 ..< c.headCount {
            let kvHead = head / c.queryGroupSize
            let scores: [Double] = (first ... position).map { j in
                var s = 0.0
                for i in 0 ..< d { s += Double(query[head * d + i]) * Double(keys[j][kvHead * d + i]) }
                return s * scale
            }
            let sink = Double(sinks[head])
            let m = max(scores.max()!, sink)
            let exps = scores.map { exp($0 - m) }
            let denominator = exps.reduce(0, +) + exp(sink - m)
            for i in 0 ..< d {
                var acc = 0.0
                for (idx, j) in (first ... position).enumerated() { acc += exps[idx] * Double(values[j][kvHead * d + i]) }
                out[head * d + i] = Float(acc / denominator)
            }
        }
        return out
    }

    /// The router picks the top-k raw logits, softmaxes over those k, and sums the chosen experts'
    /// SwiGLU-OAI outputs (down bias inside the weighting).
    func mixtureOfExperts(_ layer: Layer, _ h2: [Float], routerLogits: [Float]) -> [Float] {
        let c = config, hidden = c.embeddingLength, ffn = c.expertFeedForwardLength
        let chosen = Self.topK(routerLogits, c.expertUsedCount)
        let m = Double(routerLogits[chosen[0]])
        let exps = chosen.map { exp(Double(routerLogits[$0]) - m) }
        let total = exps.reduce(0, +)
        var out = [Double](repeating: 0, count: hidden)
        let limit = c.swigluLimit, alpha = c.swigluAlpha
        for (slot, e) in chosen.enumerated() {
            let weight = exps[slot] / total
            let gate = matvec(layer.gate, h2, bias: nil, offset: e * ffn * hidden, rows: ffn)
            let up = matvec(layer.up, h2, bias: nil, offset: e * ffn * hidden, rows: ffn)
            let activated: [Float] = (0 ..< ffn).map { i in
                let g = min(Double(gate[i]) + Double(layer.gateBias[e * ffn + i]), limit)
                let u = min(max(Double(up[i]) + Double(layer.upBias[e * ffn + i]), -limit), limit)
                return Float(g / (1 + exp(-alpha * g)) * (u + 1))
            }
            let y = matvec(layer.down, activated, bias: nil, offset: e * hidden * ffn, rows: hidden)
            for i in 0 ..< hidden { out[i] += weight * (Double(y[i]) + Double(layer.downBias[e * hidden + i])) }
        }
        return out.map { Float($0) }
    }

    /// Indices of the k largest values, largest first; ties go to the lower index.
    static func topK(_ values: [Float], _ k: Int) -> [Int] {
        Array(values.indices.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }.prefix(k))
    }
}
