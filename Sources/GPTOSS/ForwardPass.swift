import Foundation
import GLES
import Kernels

/// The forward pass of GPT-OSS as one explicit list of kernel launches (docs/gpt-oss.md §5),
/// following a `StepPlan`: which kernels run was decided before the first launch.
///
/// A step runs the rows of its sequences through every layer. One token of one sequence is the
/// decode step (matrix × vector, fused norm/RoPE/router launches, split-key attention over the
/// cache); more rows run the matrix × matrix kernels, with RoPE and attention per sequence (each
/// has its own positions and cache). Every launch is queued without waiting: nothing is read back
/// unless an observer asks. The CPU twin is `ReferenceModel.forward`.
struct ForwardPass {
    let config: ModelConfig
    let weights: GPUModelWeights
    let kernels: KernelLibrary
    let buffers: Activations
    let plan: StepPlan
    /// Dumps, probes, traces and checks (StepObserver.swift).
    let observers: [StepObserver]
    /// Sees every launch's report (the kernel-mode telemetry and the profile).
    let report: (KernelReport) -> Void

    func run() throws {
        let b = buffers, h = config.embeddingLength
        // x[t] = token_embd[id_t]
        report(try kernels.embedding(EmbeddingArgs(table: weights.tokenEmbedding, tokenIDs: b.tokenIDs,
                                                   output: b.residual, tokens: rows)))
        try computed(.embedding, b.residual, width: h)
        for n in weights.layers.indices {
            try attention(n)
            try moe(n)
        }
        try head()
    }

    private var rows: Int { plan.shape.rows }
    private var eps: Float { Float(config.rmsEpsilon) }

    // MARK: - Attention: x += Wo · softmax(q·kᵀ/√d, sink) · v + bo, q and k rotated (YaRN)

    private func attention(_ n: Int) throws {
        let layer = weights.layers[n], b = buffers, c = config, h = c.embeddingLength, w = b.qkvWidth
        let projection = plan.layers[n].projection
        // h = rmsnorm(x)·attn_norm (inside the QKV launch when fused)
        let norm = projection == .separate ? nil : (weight: layer.attentionNorm, eps: eps)
        if norm == nil {
            report(try kernels.rmsNorm(RMSNormArgs(input: b.residual, weight: layer.attentionNorm, output: b.normed,
                                                   width: h, tokens: rows, eps: eps)))
            try computed(.layer(n, .attentionNorm), b.normed, width: h)
        }
        // [q | k | v] = W·h + b, one row per token
        try projectQKV(layer.qkv, input: norm == nil ? b.normed : b.residual, norm: norm,
                       rope: projection == .normRopeAppendInProjection ? n : nil)
        for s in plan.shape.sequences where projection != .normRopeAppendInProjection {
            report(try kernels.rope(ropeArgs(s, layer: n)))
        }
        try computed(.layer(n, .query), b.qkv, stride: w, width: c.qWidth)
        try computed(.layer(n, .key), b.qkv, stride: w, offset: c.qWidth, width: c.kvWidth)
        try computed(.layer(n, .value), b.qkv, stride: w, offset: c.qWidth + c.kvWidth, width: c.kvWidth)
        // Wo into L2 while attention (few bytes, mostly waiting) runs beside it.
        if plan.warmsAttentionOutput { report(try kernels.warmL2(layer.attentionOutput)) }
        // softmax(q·kᵀ/√d, sink) · v over each sequence's cache (window on sliding layers)
        for s in plan.shape.sequences {
            try attend(s, layer: n, keysInCache: projection == .normRopeAppendInProjection || appendsInRope(s, layer: n))
        }
        for o in observers { try o.attended(layer: n, pass: self) }
        try computed(.layer(n, .attentionMix), b.attention, stride: c.qWidth, width: c.qWidth)
    }

    private func projectQKV(_ qkv: GPUModelWeights.QKVProjection, input: GPUBuffer, norm: (weight: GPUBuffer, eps: Float)?,
                            rope layer: Int?) throws {
        switch qkv {
        case .fused(let w, let bias):
            var project = LinearArgs(weights: w, bias: bias, input: input, output: buffers.qkv, tokens: rows, normalize: norm)
            if let layer {
                let s = plan.shape.sequences[0]
                project.rope = LinearRope(table: weights.rope, position: s.position0, qHeads: config.headCount,
                                          cache: s.cache.layers[layer])
            }
            report(try kernels.linear(project))
        case .separate(let parts):
            var offset = 0
            for (w, bias) in parts {
                report(try kernels.linear(LinearArgs(weights: w, bias: bias, input: input, output: buffers.qkv, tokens: rows,
                                                     outputStride: buffers.qkvWidth, outputOffset: offset, normalize: norm)))
                offset += w.rows
            }
        }
    }

    /// A one-token share appends its rotated key and value to an f32 cache in the RoPE launch.
    private func appendsInRope(_ s: StepSequence, layer n: Int) -> Bool {
        s.tokens == 1 && s.cache.layers[n].storage == .f32
    }

    /// RoPE on the q and k heads of one sequence's rows (the K heads follow the Q heads in a row).
    private func ropeArgs(_ s: StepSequence, layer n: Int) -> RopeArgs {
        let c = config, w = buffers.qkvWidth
        var rope = RopeArgs(table: weights.rope, buffer: buffers.qkv, tokens: s.tokens, heads: c.headCount + c.headCountKV,
                            position0: s.position0, stride: w, offset: s.firstRow * w)
        if appendsInRope(s, layer: n) { rope.append = (s.cache.layers[n], c.headCount, c.kvWidth) }
        return rope
    }

    /// One sequence's attention: a single token over its cache (keys appended first), or a
    /// chunk causally over the cache and itself (keys appended after).
    private func attend(_ s: StepSequence, layer n: Int, keysInCache: Bool) throws {
        let c = config, b = buffers, w = b.qkvWidth, kv = s.cache.layers[n], sinks = weights.layers[n].sinks
        let append = KVAppendArgs(cache: kv, keys: b.qkv, values: b.qkv, tokens: s.tokens, position0: s.position0,
                                  sourceStride: w, keyOffset: s.firstRow * w + c.qWidth,
                                  valueOffset: s.firstRow * w + c.qWidth + c.kvWidth)
        if s.tokens == 1 {
            if !keysInCache { report(try kernels.appendKV(append)) }
            report(try kernels.attentionDecode(AttentionDecodeArgs(
                query: b.qkv, queryOffset: s.firstRow * w, cache: kv, sinks: sinks, heads: c.headCount,
                position: s.position0, output: b.attention, outputOffset: s.firstRow * c.qWidth)))
        } else {
            // The tiled kernel writes from output row 0: StepShape puts a multi-token share first.
            report(try kernels.attentionPrefill(AttentionPrefillArgs(
                query: b.qkv, queryStride: w, queryOffset: s.firstRow * w, keys: b.qkv, values: b.qkv, kvStride: w,
                keyOffset: append.keyOffset, valueOffset: append.valueOffset, cache: kv, sinks: sinks, heads: c.headCount,
                tokens: s.tokens, position0: s.position0, output: b.attention)))
            report(try kernels.appendKV(append))
        }
    }

    // MARK: - MoE: x += Σ_e w_e · (down_e · SwiGLU-OAI(gate_e·h2, up_e·h2) + b_e), h2 = rmsnorm(x)·ffn_norm

    private func moe(_ n: Int) throws {
        let layer = weights.layers[n], b = buffers, c = config, h = c.embeddingLength, k = c.expertUsedCount
        try route(n)
        for o in observers { try o.routed(layer: n, pass: self) }
        // One pass with the router's ids; under a GPU memory budget, passes over slot ids (ExpertCache).
        try weights.forEachExpertPass(layer: n, routed: b.expertIDs, tokens: rows, k: k) { ids, first in
            // Prefill-sized steps group the slots by expert (each expert's weights read once per tile).
            let groups = plan.groupedExperts
                ? try kernels.groupExperts(MoEGroupArgs(ids: ids, experts: layer.down.count, k: k, tokens: rows)) : nil
            if let groups { report(groups.report) }
            let gateUp = MoEGateUpArgs(experts: layer.gateUp, bias: layer.gateUpBias, input: b.normed, ids: ids, k: k,
                                       tokens: rows, output: b.expertActivations)
            report(try kernels.moeGateUp(gateUp, groups: groups))
            let down = MoEDownArgs(experts: layer.down, bias: layer.downBias, input: b.expertActivations, ids: ids,
                                   routeWeights: b.expertWeights, k: k, tokens: rows, residual: b.residual, residualStride: h)
            for o in observers { try o.expertPass(layer: n, gateUp: gateUp, down: down, groups: groups, first: first, pass: self) }
            if first, plan.warmsNextProjection, n + 1 < weights.layers.count { try warmQKV(of: n + 1) }
            report(try kernels.moeDown(down, groups: groups))
        }
        for o in observers { try o.expertsDone(layer: n, pass: self) }
        try computed(.layer(n, .layerOutput), b.residual, width: h)
    }

    /// The next layer's QKV weights into L2, beside this layer's MoE down launch.
    private func warmQKV(of n: Int) throws {
        switch weights.layers[n].qkv {
        case .fused(let w, _): report(try kernels.warmL2(w))
        case .separate(let parts): for (w, _) in parts { report(try kernels.warmL2(w)) }
        }
    }

    /// x += Wo·attn + bo; h2 = rmsnorm(x)·post_attention_norm; the router's top-k experts and
    /// the softmax of their k logits: in one, two or four launches as the plan says.
    private func route(_ n: Int) throws {
        let layer = weights.layers[n], b = buffers, c = config, h = c.embeddingLength, k = c.expertUsedCount
        let project = LinearArgs(weights: layer.attentionOutput, bias: layer.attentionOutputBias, input: b.attention,
                                 output: b.residual, tokens: rows, accumulate: true)
        for o in observers { try o.projecting(layer: n, project, pass: self) }
        let router = RouterDecodeArgs(input: b.residual, norm: layer.postAttentionNorm, eps: eps, router: layer.router,
                                      bias: layer.routerBias, k: k, normed: b.normed, ids: b.expertIDs, weights: b.expertWeights)
        switch plan.layers[n].router {
        case .withOutputProjection:
            report(try kernels.outRouterDecode(OutRouterDecodeArgs(projection: layer.attentionOutput,
                projectionBias: layer.attentionOutputBias, input: b.attention, residual: b.residual, router: router)))
        case .fused:
            report(try kernels.linear(project))
            try computed(.layer(n, .feedForwardInput), b.residual, width: h)
            report(try kernels.routerDecode(router))
        case .separate:
            report(try kernels.linear(project))
            try computed(.layer(n, .feedForwardInput), b.residual, width: h)
            report(try kernels.rmsNorm(RMSNormArgs(input: b.residual, weight: layer.postAttentionNorm, output: b.normed,
                                                   width: h, tokens: rows, eps: eps)))
            report(try kernels.linear(LinearArgs(weights: layer.router, bias: layer.routerBias, input: b.normed,
                                                 output: b.routerLogits, tokens: rows)))
            try computed(.layer(n, .routerLogits), b.routerLogits, width: c.expertCount)
            report(try kernels.routerTopK(RouterTopKArgs(logits: b.routerLogits, experts: c.expertCount, k: k,
                                                         tokens: rows, ids: b.expertIDs, weights: b.expertWeights)))
        }
        try computed(.layer(n, .feedForwardNorm), b.normed, width: h)
    }

    // MARK: - Output head: logits = output · (rmsnorm(x)·output_norm), for the rows the step wants

    private func head() throws {
        guard let (first, count) = plan.shape.headRows else { return }
        let b = buffers, h = config.embeddingLength
        // The rows are contiguous (StepShape): read them in place, from row `first`.
        if !plan.normInHead {
            report(try kernels.rmsNorm(RMSNormArgs(input: b.residual, weight: weights.outputNorm, output: b.normed,
                                                   width: h, tokens: count, eps: eps, inputOffset: first * h)))
            try computed(.outputNorm, b.normed, width: h, rows: count)
        }
        report(try kernels.linear(LinearArgs(weights: weights.output, bias: nil, input: plan.normInHead ? b.residual : b.normed,
                                             output: b.logits, tokens: count, inputOffset: plan.normInHead ? first * h : 0,
                                             normalize: plan.normInHead ? (weights.outputNorm, eps) : nil)))
        try computed(.logits, b.logits, width: config.vocabularySize, rows: count)
    }

    private func computed(_ name: Intermediate, _ buffer: GPUBuffer, stride: Int? = nil, offset: Int = 0, width: Int,
                          rows: Int? = nil) throws {
        guard !observers.isEmpty else { return }
        let view = RowsView(buffer: buffer, stride: stride ?? width, offset: offset, width: width, rows: rows ?? self.rows)
        for o in observers { try o.computed(name, view) }
    }
}
