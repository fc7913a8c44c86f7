import Foundation
import GLES
import Kernels

/// Which positions of a step need logits.
public enum LogitRows: Sendable {
    /// None (a prefill chunk before the last).
    case none
    /// Only the last token's (generation).
    case last
    /// Every token's (the `logits` command, tests).
    case all
}

/// The forward pass of GPT-OSS as one explicit list of kernel launches (docs/gpt-oss.md §5).
///
/// A step runs `tokens` new tokens at positions `position0 …` through every layer; with one
/// token it is the decode step (matrix × vector, split-key attention over the cache), with more
/// the prefill (matrix × matrix, tiled causal attention). Every launch is queued without waiting:
/// nothing is read back unless a dump or the caller asks. Intermediates carry the names of
/// `Intermediate` (e.g. `blk.3.attn_out`) and any of them can be captured.
struct ForwardPass {
    let config: ModelConfig
    let weights: GPUModelWeights
    let kernels: KernelLibrary
    let cache: KVCache
    let buffers: Activations
    /// When set, each layer's chosen experts and weights of the step's last token are copied
    /// here on the GPU ([layers][k] u32 ids, then [layers][k] f32 weights) for the router telemetry.
    let routerTrace: GPUBuffer?
    /// When set, its layer's attention weights of the step's last token go to the HUD telemetry.
    let attentionProbe: AttentionProbe?
    /// Sees every launch's report (for the kernel-mode telemetry).
    let report: (KernelReport) -> Void

    /// Runs one step. `capture` is called for every intermediate in `wanted` with its rows
    /// ([tokens][width] floats), read back right after it is computed.
    func run(tokens count: Int, position0: Int, logits: LogitRows,
             wanted: Set<Intermediate> = [], capture: (Intermediate, [Float]) -> Void = { _, _ in }) throws {
        let c = config, b = buffers, h = c.embeddingLength
        let decode = count == 1
        func note(_ r: KernelReport) { report(r) }
        /// Reads rows of `width` floats starting `offset` into each `stride`-float row of `buffer`.
        func dump(_ name: Intermediate, _ buffer: GPUBuffer, stride: Int, offset: Int = 0, width: Int, rows: Int? = nil) throws {
            guard wanted.contains(name) else { return }
            let n = rows ?? count
            let all = try buffer.readFloats(count: (n - 1) * stride + offset + width)
            capture(name, (0 ..< n).flatMap { all[$0 * stride + offset ..< $0 * stride + offset + width] })
        }

        // MARK: - Embedding: x[t] = token_embd[id_t]
        note(try kernels.embedding(EmbeddingArgs(table: weights.tokenEmbedding, tokenIDs: b.tokenIDs,
            output: b.residual, tokens: count)))
        try dump(.embedding, b.residual, stride: h, width: h)

        for (n, layer) in weights.layers.enumerated() {
            let kv = cache.layers[n]
            func name(_ t: Intermediate.LayerTensor) -> Intermediate { .layer(n, t) }

            // MARK: - Attention: h = rmsnorm(x)·attn_norm; [q|k|v] = W·h + b; RoPE on q and k
            // A decode step folds the norm into the QKV launch (unless a dump wants h itself).
            let normInQKV = decode && !wanted.contains(name(.attentionNorm))
            let qkvNorm = normInQKV ? (weight: layer.attentionNorm, eps: Float(c.rmsEpsilon)) : nil
            if !normInQKV {
                note(try kernels.rmsNorm(RMSNormArgs(
                    input: b.residual, weight: layer.attentionNorm, output: b.normed, width: h, tokens: count, eps: Float(c.rmsEpsilon))))
                try dump(name(.attentionNorm), b.normed, stride: h, width: h)
            }
            let qkvInput = normInQKV ? b.residual : b.normed
            // q: [tokens][heads·headDim] at offset 0; k at qWidth; v at qWidth + kvWidth (stride qkvWidth).
            // A decode step with the fused QKV weights also rotates q and k and appends k and v
            // to an f32 cache in that launch; otherwise one RoPE launch rotates both (the K heads
            // follow the Q heads in each row), and a decode step appends in it too.
            let keyOffset = c.qWidth, valueOffset = c.qWidth + c.kvWidth
            var ropeInQKV = false
            switch layer.qkv {
            case .fused(let w, let bias):
                var project = LinearArgs(weights: w, bias: bias, input: qkvInput, output: b.qkv, tokens: count, normalize: qkvNorm)
                if decode && kernels.canFuseRope(into: w, cache: kv) {
                    project.rope = LinearRope(table: weights.rope, position: position0, qHeads: c.headCount, cache: kv)
                    ropeInQKV = true
                }
                note(try kernels.linear(project))
            case .separate(let parts):
                var offset = 0
                for (w, bias) in parts {
                    note(try kernels.linear(LinearArgs(weights: w, bias: bias, input: qkvInput, output: b.qkv, tokens: count,
                        outputStride: b.qkvWidth, outputOffset: offset, normalize: qkvNorm)))
                    offset += w.rows
                }
            }
            // Whether this decode step's k and v are in the cache already (no append launch).
            var kvAppended = ropeInQKV
            if !ropeInQKV {
                var rope = RopeArgs(table: weights.rope, buffer: b.qkv, tokens: count, heads: c.headCount + c.headCountKV,
                                    position0: position0, stride: b.qkvWidth, offset: 0)
                if decode && kv.storage == .f32 {
                    rope.append = (kv, c.headCount, valueOffset - keyOffset)
                    kvAppended = true
                }
                note(try kernels.rope(rope))
            }
            try dump(name(.query), b.qkv, stride: b.qkvWidth, width: c.qWidth)
            try dump(name(.key), b.qkv, stride: b.qkvWidth, offset: keyOffset, width: c.kvWidth)
            try dump(name(.value), b.qkv, stride: b.qkvWidth, offset: valueOffset, width: c.kvWidth)

            // MARK: - Attention: softmax(q·kᵀ/√d, sink) · v over the cache (window on sliding layers)
            let append = KVAppendArgs(cache: kv, keys: b.qkv, values: b.qkv, tokens: count, position0: position0,
                                      sourceStride: b.qkvWidth, keyOffset: keyOffset, valueOffset: valueOffset)
            if decode {
                if !kvAppended { note(try kernels.appendKV(append)) }
                note(try kernels.attentionDecode(AttentionDecodeArgs(
                    query: b.qkv, cache: kv, sinks: layer.sinks, heads: c.headCount, position: position0, output: b.attention)))
            } else {
                note(try kernels.attentionPrefill(AttentionPrefillArgs(
                    query: b.qkv, queryStride: b.qkvWidth, keys: b.qkv, values: b.qkv, kvStride: b.qkvWidth,
                    keyOffset: keyOffset, valueOffset: valueOffset, cache: kv, sinks: layer.sinks, heads: c.headCount,
                    tokens: count, position0: position0, output: b.attention)))
                note(try kernels.appendKV(append))
            }
            try attentionProbe?.record(layer: n, kernels: kernels, query: b.qkv, queryOffset: (count - 1) * b.qkvWidth, cache: kv,
                                       sinks: layer.sinks, heads: c.headCount, position: position0 + count - 1)
            try dump(name(.attentionMix), b.attention, stride: c.qWidth, width: c.qWidth)

            // MARK: - Attention: x += Wo·attn + bo
            let project = LinearArgs(weights: layer.attentionOutput, bias: layer.attentionOutputBias, input: b.attention,
                                     output: b.residual, tokens: count, accumulate: true)
            if wanted.contains(name(.attentionOutput)) {
                var alone = project
                alone.output = b.dumpScratch
                alone.accumulate = false
                try kernels.linear(alone)
                try dump(name(.attentionOutput), b.dumpScratch, stride: h, width: h)
            }
            // MARK: - MoE: h2 = rmsnorm(x)·post_attention_norm; router top-k, softmax over the k
            // A decode step runs all three in one launch unless a dump wants the router logits,
            // and that launch also does the projection above unless a dump wants the sum between.
            let router = RouterDecodeArgs(input: b.residual, norm: layer.postAttentionNorm,
                eps: Float(c.rmsEpsilon), router: layer.router, bias: layer.routerBias, k: c.expertUsedCount,
                normed: b.normed, ids: b.expertIDs, weights: b.expertWeights)
            let fusedRouter = decode && !wanted.contains(name(.routerLogits))
                && kernels.routerDecodeWorkgroup(for: layer.router, k: c.expertUsedCount) != nil
            if fusedRouter && !wanted.contains(name(.feedForwardInput)),
               kernels.outRouterDecodeWorkgroup(projection: layer.attentionOutput, router: layer.router, k: c.expertUsedCount) != nil {
                note(try kernels.outRouterDecode(OutRouterDecodeArgs(projection: layer.attentionOutput,
                    projectionBias: layer.attentionOutputBias, input: b.attention, residual: b.residual, router: router)))
                try dump(name(.feedForwardNorm), b.normed, stride: h, width: h)
            } else if fusedRouter {
                note(try kernels.linear(project))
                try dump(name(.feedForwardInput), b.residual, stride: h, width: h)
                note(try kernels.routerDecode(router))
                try dump(name(.feedForwardNorm), b.normed, stride: h, width: h)
            } else {
                note(try kernels.linear(project))
                try dump(name(.feedForwardInput), b.residual, stride: h, width: h)
                note(try kernels.rmsNorm(RMSNormArgs(
                    input: b.residual, weight: layer.postAttentionNorm, output: b.normed, width: h, tokens: count, eps: Float(c.rmsEpsilon))))
                try dump(name(.feedForwardNorm), b.normed, stride: h, width: h)
                note(try kernels.linear(LinearArgs(weights: layer.router, bias: layer.routerBias,
                    input: b.normed, output: b.routerLogits, tokens: count)))
                try dump(name(.routerLogits), b.routerLogits, stride: c.expertCount, width: c.expertCount)
                note(try kernels.routerTopK(RouterTopKArgs(logits: b.routerLogits, experts: c.expertCount, k: c.expertUsedCount,
                    tokens: count, ids: b.expertIDs, weights: b.expertWeights)))
            }
            if let trace = routerTrace {
                let k = c.expertUsedCount, row = (count - 1) * k * 4
                kernels.context.barrier(.all)
                try trace.copy(from: b.expertIDs, sourceOffset: row, to: n * k * 4, byteCount: k * 4)
                try trace.copy(from: b.expertWeights, sourceOffset: row, to: (c.blockCount + n) * k * 4, byteCount: k * 4)
            }

            // MARK: - MoE: a = SwiGLU-OAI(gate_e·h2, up_e·h2) for each chosen e; x += Σ w_e·(down_e·a + b_e)
            // One pass with the router's ids; under a GPU memory budget, passes over slot ids (ExpertCache).
            try weights.forEachExpertPass(layer: n, routed: b.expertIDs, tokens: count, k: c.expertUsedCount) { ids, first in
                // Prefill groups the slots by expert (each expert's weights read once per tile); nil: per-slot kernels.
                let groups = try kernels.groupExpertsIfWorthwhile(ids: ids, down: layer.down, k: c.expertUsedCount, tokens: count)
                if let groups { note(groups.report) }
                note(try kernels.moeGateUp(MoEGateUpArgs(experts: layer.gateUp, bias: layer.gateUpBias, input: b.normed,
                    ids: ids, k: c.expertUsedCount, tokens: count,
                    output: b.expertActivations), groups: groups))
                let down = MoEDownArgs(experts: layer.down, bias: layer.downBias, input: b.expertActivations, ids: ids,
                                       routeWeights: b.expertWeights, k: c.expertUsedCount, tokens: count,
                                       residual: b.residual, residualStride: h)
                try GroupedMoECheck.compare(kernels, groups, gateUp: layer.gateUp, gateUpBias: layer.gateUpBias, input: b.normed, down: down, layer: n)
                if wanted.contains(name(.feedForwardOutput)) {
                    if first { try b.dumpScratch.zero() }
                    var alone = down
                    alone.residual = b.dumpScratch
                    try kernels.moeDown(alone, groups: groups)
                }
                note(try kernels.moeDown(down, groups: groups))
            }
            try dump(name(.feedForwardOutput), b.dumpScratch, stride: h, width: h)
            try dump(name(.layerOutput), b.residual, stride: h, width: h)
        }

        // MARK: - Output head: logits = output · (rmsnorm(x)·output_norm)
        let headInput: GPUBuffer, headRows: Int
        switch logits {
        case .none:
            return
        case .all:
            headInput = b.residual; headRows = count
        case .last where count == 1:
            // A decode step's residual is its only row: no copy (and none of its barriers).
            headInput = b.residual; headRows = 1
        case .last:
            kernels.context.barrier(.all)
            try b.lastResidual.copy(from: b.residual, sourceOffset: (count - 1) * h * 4, to: 0, byteCount: h * 4)
            headInput = b.lastResidual; headRows = 1
        }
        // One row: the norm rides in the head's launch (unless a dump wants it).
        let normInHead = headRows == 1 && !wanted.contains(.outputNorm)
        if !normInHead {
            note(try kernels.rmsNorm(RMSNormArgs(input: headInput, weight: weights.outputNorm, output: b.normed,
                width: h, tokens: headRows, eps: Float(c.rmsEpsilon))))
            try dump(.outputNorm, b.normed, stride: h, width: h, rows: headRows)
        }
        note(try kernels.linear(LinearArgs(weights: weights.output, bias: nil, input: normInHead ? headInput : b.normed,
            output: b.logits, tokens: headRows, normalize: normInHead ? (weights.outputNorm, Float(c.rmsEpsilon)) : nil)))
        try dump(.logits, b.logits, stride: c.vocabularySize, width: c.vocabularySize, rows: headRows)
    }
}
