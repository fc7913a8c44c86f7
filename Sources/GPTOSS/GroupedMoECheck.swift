import Foundation
import GLES
import Kernels

/// `KernelLibrary.verifiesGroupedExperts` (GPTOSS_GL_CHECK_GROUPED=1): every grouped MoE pass of
/// prefill is recomputed by the per-slot kernels into scratch buffers and compared on the host, and each step's first layers and
/// every layer that differs are printed to stderr: which kernel (gate/up or down), how far off,
/// how many non-finite values each path gave, and the first bad slot with its expert. A device
/// diagnostic (it reads back a few MB per layer), for finding where the grouped path goes
/// wrong on a card where the kernel tests cannot run (docs/nan-hunt.md).
final class GroupedMoECheck: StepObserver {
    nonisolated(unsafe) private static var scratch: [String: GPUBuffer] = [:]
    nonisolated(unsafe) private static var step = -1
    nonisolated(unsafe) private static var printed = 0

    private static func buffer(_ name: String, floats: Int, context: GLContext) throws -> GPUBuffer {
        if let b = scratch[name], b.byteCount >= floats * 4 { return b }
        let b = try context.makeBuffer(byteCount: max(floats, 4) * 4, label: "check.\(name)")
        scratch[name] = b
        return b
    }

    func expertPass(layer: Int, gateUp: MoEGateUpArgs, down: MoEDownArgs, groups: MoEGroups?, first: Bool,
                    pass: ForwardPass) throws {
        try Self.compare(pass.kernels, groups, gateUp: gateUp.experts, gateUpBias: gateUp.bias, input: gateUp.input,
                         down: down, layer: layer)
    }

    /// Call after the grouped gate/up of `layer` and before its down projection: `down` is the
    /// forward pass's down call (its input holds the grouped gate/up output, its residual is
    /// not yet updated). Leaves the forward pass's buffers as they were.
    static func compare(_ kernels: KernelLibrary, _ groups: MoEGroups?, gateUp: GPUExperts, gateUpBias: GPUBuffer?,
                        input: GPUBuffer, down: MoEDownArgs, layer: Int) throws {
        guard kernels.verifiesGroupedExperts, let groups else { return }
        if layer == 0 { step += 1 }
        let context = kernels.context
        let slots = down.tokens * down.k, ff = gateUp.rowsPerExpert / 2
        let rows = down.experts.rowsPerExpert, stride = down.residualStride
        let residualFloats = (down.tokens - 1) * stride + rows

        let act = try buffer("act", floats: slots * ff, context: context)
        try kernels.moeGateUp(MoEGateUpArgs(experts: gateUp, bias: gateUpBias, input: input, ids: down.ids, k: down.k,
                                            tokens: down.tokens, output: act))
        let groupedResidual = try buffer("residual.grouped", floats: residualFloats, context: context)
        let slotResidual = try buffer("residual.slot", floats: residualFloats, context: context)
        context.barrier(.all)
        try groupedResidual.copy(from: down.residual, byteCount: residualFloats * 4)
        try slotResidual.copy(from: down.residual, byteCount: residualFloats * 4)
        context.barrier(.all)
        var grouped = down, perSlot = down
        grouped.residual = groupedResidual
        perSlot.residual = slotResidual
        try kernels.moeDown(grouped, groups: groups)
        try kernels.moeDown(perSlot, groups: nil)
        context.barrier(.all)

        let ids = try down.ids.readUInt32s(count: slots)
        let gateGot = try down.input.readFloats(count: slots * ff), gateWant = try act.readFloats(count: slots * ff)
        let downGot = try groupedResidual.readFloats(count: residualFloats), downWant = try slotResidual.readFloats(count: residualFloats)
        // Slots of other expert-cache passes are written by neither path.
        let gate = Difference(gateGot, gateWant) { ids[$0 / ff] >= UInt32(down.experts.count) }
        let sum = Difference(downGot, downWant) { $0 % stride >= rows }
        let bad = gate.suspicious || sum.suspicious
        guard bad || (step == 0 && layer < 2) || printed < 4 else { return }
        guard printed < 60 else { return }
        printed += 1
        var line = "grouped MoE check: step \(step) layer \(layer), \(down.tokens) tokens, tile \(groups.tokenTile), "
            + "\(groups.maxTiles) tiles dispatched: gate/up \(gate.summary), down+sum \(sum.summary)"
        if gate.suspicious, let i = gate.firstBad {
            let slot = i / ff
            line += "; first bad gate/up value: slot \(slot) (token \(slot / down.k), expert \(ids[slot])), row \(i % ff)"
        }
        if sum.suspicious, let i = sum.firstBad {
            let t = i / stride
            line += "; first bad residual value: token \(t) (experts \(ids[t * down.k ..< (t + 1) * down.k].map { $0 })), row \(i % stride)"
        }
        FileHandle.standardError.write(Data((line + (bad ? "  <-- MISMATCH" : "") + "\n").utf8))
    }

    /// Grouped against per-slot results: max |Δ| relative to the largest per-slot magnitude,
    /// non-finite counts, and the first value off by more than 1e-3 of that magnitude.
    private struct Difference {
        var maxDiff: Float = 0, scale: Float = 0
        var nonFiniteGot = 0, nonFiniteWant = 0
        var firstBad: Int?

        init(_ got: [Float], _ want: [Float], skip: (Int) -> Bool) {
            scale = max(want.lazy.filter(\.isFinite).map(abs).max() ?? 0, 1e-6)
            for i in got.indices where !skip(i) {
                if !got[i].isFinite { nonFiniteGot += 1 }
                if !want[i].isFinite { nonFiniteWant += 1 }
                let d = abs(got[i] - want[i])
                if d.isFinite { maxDiff = max(maxDiff, d) }
                if !(d <= 1e-3 * scale) && firstBad == nil { firstBad = i }
            }
        }

        var suspicious: Bool { firstBad != nil }
        var summary: String {
            String(format: "max |Δ| %.3g of %.3g", maxDiff, scale) + ", non-finite \(nonFiniteGot) grouped / \(nonFiniteWant) per-slot"
        }
    }
}
