import GLES
import Kernels

/// Rows of an intermediate in a scratch buffer: `rows` rows of `width` floats, row r starting at
/// `offset + r·stride`.
struct RowsView {
    let buffer: GPUBuffer
    let stride: Int
    var offset = 0
    let width: Int
    let rows: Int

    func read() throws -> [Float] {
        let all = try buffer.readFloats(count: (rows - 1) * stride + offset + width)
        return (0 ..< rows).flatMap { all[$0 * stride + offset ..< $0 * stride + offset + width] }
    }
}

/// Watches a forward step from outside the layer body: dumps of intermediates, the attention
/// probe, the router trace and the grouped-MoE check all hang here. Every hook is called in
/// launch order (so an observer may queue GPU work of its own) and does nothing by default.
protocol StepObserver: AnyObject {
    /// A named intermediate now holds its values in `view` (for every name, whether wanted or not).
    func computed(_ name: Intermediate, _ view: RowsView) throws
    /// Layer `layer`'s attention is done and every sequence's keys are in its cache.
    func attended(layer: Int, pass: ForwardPass) throws
    /// The output projection `project` is about to add into the residual (in this launch or a
    /// fused one).
    func projecting(layer: Int, _ project: LinearArgs, pass: ForwardPass) throws
    /// The router of `layer` has written the chosen experts and their weights.
    func routed(layer: Int, pass: ForwardPass) throws
    /// An expert pass computed gate/up into `down.input`; `down` is about to run.
    func expertPass(layer: Int, gateUp: MoEGateUpArgs, down: MoEDownArgs, groups: MoEGroups?, first: Bool,
                    pass: ForwardPass) throws
    /// Every expert pass of `layer` is done.
    func expertsDone(layer: Int, pass: ForwardPass) throws
}

extension StepObserver {
    func computed(_ name: Intermediate, _ view: RowsView) throws {}
    func attended(layer: Int, pass: ForwardPass) throws {}
    func projecting(layer: Int, _ project: LinearArgs, pass: ForwardPass) throws {}
    func routed(layer: Int, pass: ForwardPass) throws {}
    func expertPass(layer: Int, gateUp: MoEGateUpArgs, down: MoEDownArgs, groups: MoEGroups?, first: Bool,
                    pass: ForwardPass) throws {}
    func expertsDone(layer: Int, pass: ForwardPass) throws {}
}

/// Reads back the wanted intermediates. Two of them never exist in the fused pass (the output
/// projection and the expert sum go straight into the residual): those are recomputed alone
/// into a scratch buffer.
final class IntermediateDumps: StepObserver {
    let wanted: Set<Intermediate>
    let scratch: GPUBuffer
    /// What was read back: [rows][width] floats each.
    private(set) var captured: [Intermediate: [Float]] = [:]

    init(wanted: Set<Intermediate>, scratch: GPUBuffer) {
        self.wanted = wanted
        self.scratch = scratch
    }

    private func capture(_ name: Intermediate, _ values: [Float]) { captured[name] = values }

    func computed(_ name: Intermediate, _ view: RowsView) throws {
        guard wanted.contains(name) else { return }
        capture(name, try view.read())
    }

    func projecting(layer: Int, _ project: LinearArgs, pass: ForwardPass) throws {
        let name = Intermediate.layer(layer, .attentionOutput)
        guard wanted.contains(name) else { return }
        var alone = project
        alone.output = scratch
        alone.accumulate = false
        try pass.kernels.linear(alone)
        capture(name, try RowsView(buffer: scratch, stride: project.outputStride, width: project.weights.rows,
                                   rows: project.tokens).read())
    }

    func expertPass(layer: Int, gateUp: MoEGateUpArgs, down: MoEDownArgs, groups: MoEGroups?, first: Bool,
                    pass: ForwardPass) throws {
        guard wanted.contains(.layer(layer, .feedForwardOutput)) else { return }
        if first { try scratch.zero() }
        var alone = down
        alone.residual = scratch
        try pass.kernels.moeDown(alone, groups: groups)
    }

    func expertsDone(layer: Int, pass: ForwardPass) throws {
        let name = Intermediate.layer(layer, .feedForwardOutput), h = pass.config.embeddingLength
        guard wanted.contains(name) else { return }
        capture(name, try RowsView(buffer: scratch, stride: h, width: h, rows: pass.plan.shape.rows).read())
    }
}

/// Copies each layer's chosen experts and weights of the step's last row into `buffer` on the
/// GPU ([layers][k] u32 ids, then [layers][k] f32 weights) for the router telemetry.
final class RouterTrace: StepObserver {
    let buffer: GPUBuffer

    init(buffer: GPUBuffer) { self.buffer = buffer }

    func routed(layer: Int, pass: ForwardPass) throws {
        let k = pass.config.expertUsedCount, row = (pass.plan.shape.rows - 1) * k * 4
        pass.kernels.context.barrier(.all)
        try buffer.copy(from: pass.buffers.expertIDs, sourceOffset: row, to: layer * k * 4, byteCount: k * 4)
        try buffer.copy(from: pass.buffers.expertWeights, sourceOffset: row, to: (pass.config.blockCount + layer) * k * 4,
                        byteCount: k * 4)
    }
}

extension AttentionProbe: StepObserver {
    /// Probes the step's first sequence at its last token.
    func attended(layer n: Int, pass: ForwardPass) throws {
        let s = pass.plan.shape.sequences[0], width = pass.buffers.qkvWidth
        // Reported like the pass's own launches: the telemetry lists attention_probe, and a
        // profile does not charge the probe's GPU time to the next kernel.
        if let launch = try record(layer: n, kernels: pass.kernels, query: pass.buffers.qkv,
                                   queryOffset: (s.firstRow + s.tokens - 1) * width, cache: s.cache.layers[n],
                                   sinks: pass.weights.layers[n].sinks, heads: pass.config.headCount, position: s.lastPosition) {
            pass.report(launch)
        }
    }
}
