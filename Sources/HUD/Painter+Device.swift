import Foundation
import Telemetry

// The machine side: GPU memory and limits, where each kernel runs, the MoE router and the
// attention heatmap.
extension Painter {
    mutating func gpuPanel(_ rect: Rect) {
        let content = panel(rect, "GPU core", meterSeed: 7)
        guard content.h > 0 else { return }
        let renderer = state.limits?.renderer ?? "NO DEVICE PROBED"
        list.text(renderer, x: content.x, y: content.y, face: style.small, Theme.text, maxWidth: content.w)
        let (_, body) = content.splitTop(Float(style.small.lineHeight), gap: style.pad * 0.5)

        // Memory ring: in use against the budget (or the model's size when no budget is known).
        let radius = min(body.h * 0.5, body.w * 0.2).rounded(.down)
        let inUse = state.memory?.inUseBytes ?? 0
        let budget = state.memory?.budgetBytes ?? max(state.peakMemoryBytes, Int(Double(state.load.totalBytes) * 1.15), 1)
        let fraction = Float(inUse) / Float(max(1, budget))
        let centerX = body.x + radius, centerY = body.y + radius
        if radius > 8 {
            list.ring(centerX: centerX, centerY: centerY, radius: radius, thickness: radius * 0.12, fraction: 1, Theme.cyanFaint)
            list.ring(centerX: centerX, centerY: centerY, radius: radius, thickness: radius * 0.12, fraction: fraction,
                      fraction > 0.9 ? Theme.amber : Theme.cyan)
            list.ring(centerX: centerX, centerY: centerY, radius: radius * 0.8, thickness: max(1, radius * 0.03),
                      fraction: Float((time * 0.5).truncatingRemainder(dividingBy: 1)), Theme.cyanDim)
            let percent = String(format: "%.0f%%", fraction * 100)
            list.text(percent, x: centerX - style.width(percent, style.bold) / 2, y: centerY - Float(style.bold.lineHeight) / 2,
                      face: style.bold, Theme.text)
        }
        let info = Rect(body.x + radius * 2 + style.pad * 1.5, body.y, body.w - radius * 2 - style.pad * 1.5, body.h)
        var y = info.y
        func row(_ key: String, _ value: String, _ color: Color = Theme.text) {
            guard y + style.line <= info.maxY + 1 else { return }
            keyValue(info, y: y, key, value, valueColor: color)
            y += style.line
        }
        row("VRAM", Format.bytes(inUse))
        row("RESIDENT", "\(state.memory?.residentTensors ?? 0) tensors")
        let limits = state.limits
        row("MAX BUFFER", limits?.value(LimitKey.maxBufferBytes).flatMap(Int.init).map(Format.bytes) ?? "?")
        row("MAX BINDING", limits?.value(LimitKey.maxStorageBlockBytes).flatMap(Int.init).map(Format.bytes) ?? "?")
        row("SSBO BLOCKS", limits?.value(LimitKey.storageBlocksPerShader) ?? "?")
        let f16 = limits?.value(LimitKey.f16)
        row("F16", f16 == nil ? "?" : f16 == "yes" ? "☑ YES" : "☒ NO", f16 == "yes" ? Theme.green : Theme.amber)
        let subgroups = limits?.value(LimitKey.subgroups)
        let hasSubgroups = subgroups?.hasPrefix("yes") ?? false
        row("SUBGROUPS", subgroups.map { hasSubgroups ? "☑ YES" + $0.dropFirst(3) : "☒ NO" } ?? "?", hasSubgroups ? Theme.green : Theme.amber)
    }

    /// The kernel panel's row label of every op in `KernelOp.all`.
    static let kernelLabels = [KernelOp.embedding: "EMBEDDING", KernelOp.rmsnorm: "RMSNORM", KernelOp.matmul: "MATMUL",
                               KernelOp.rope: "ROPE", KernelOp.kvAppend: "KV APPEND", KernelOp.attentionDecode: "ATTN DECODE",
                               KernelOp.attentionPrefill: "ATTN PREFILL", KernelOp.attentionProbe: "ATTN PROBE",
                               KernelOp.router: "ROUTER", KernelOp.moe: "MOE EXPERTS", KernelOp.sampling: "SAMPLING"]

    mutating func kernelPanel(_ rect: Rect) {
        let content = panel(rect, "Kernels", accent: Theme.cyan, meterSeed: 8)
        guard content.h > 0 else { return }
        let labels = Self.kernelLabels
        // A log from another version may name an op this one does not know: listed after the rest.
        let extra = state.kernelModes.map(\.op).filter { !KernelOp.all.contains($0) }
        var ops = KernelOp.all + extra
        // Two columns when the rows would not fit in one; when two are not enough either, the
        // ops that have not run yet give way to those that have.
        let rowsFit = max(1, Int(content.h / style.line))
        if ops.count > 2 * rowsFit {
            let reported = Set(state.kernelModes.map(\.op))
            ops = ops.filter { reported.contains($0) }
        }
        let columnCount = ops.count > rowsFit ? 2 : 1
        let columns = content.columns(Array(repeating: 1, count: columnCount), gap: style.pad * 2)
        for (index, op) in ops.enumerated() {
            let column = columns[min(columnCount - 1, index / rowsFit)]
            let row = index % rowsFit
            guard index / rowsFit < columnCount else { break }
            let y = column.y + Float(row) * style.line
            let mode = state.kernelModes.first { $0.op == op }
            // Every op runs on the GPU; a row lights up once its first launch is reported.
            let (tag, color) = mode == nil ? (" --- ", Theme.textDim) : (" GPU ", Theme.cyan)
            list.text(labels[op] ?? op.uppercased(), x: column.x, y: y, face: style.body, mode == nil ? Theme.textDim : Theme.text,
                      maxWidth: column.w - style.width(tag, style.body) - style.pad)
            let tagWidth = style.width(tag, style.body)
            let tagRect = Rect(column.maxX - tagWidth, y - 1, tagWidth, style.line - 2)
            list.fill(tagRect, color.alpha(mode == nil ? 0.05 : 0.2))
            list.text(tag, x: tagRect.x, y: y, face: style.body, color)
        }
    }

    mutating func moePanel(_ rect: Rect) {
        let content = panel(rect, "MoE router", meterSeed: 9)
        guard content.h > style.line else { return }
        let layers = max(state.plan?.layers ?? 0, (state.routerByLayer.keys.max() ?? -1) + 1)
        let experts = max(state.plan?.experts ?? 0, (state.expertPicks.keys.max() ?? -1) + 1)
        let (grid, footer) = content.splitTop(content.h - style.line, gap: 0)
        if layers > 0, experts > 0 {
            let labelWidth = style.width("L00 ", style.small)
            let cellW = ((grid.w - labelWidth) / Float(experts)).rounded(.down)
            let cellH = max(1, (grid.h / Float(layers)).rounded(.down))
            let gapPx: Float = cellW >= 4 && cellH >= 4 ? 1 : 0
            for layer in 0..<layers {
                let y = grid.y + Float(layer) * cellH
                if cellH >= Float(style.small.lineHeight) || layer % max(1, Int(Float(style.small.lineHeight) / cellH) + 1) == 0 {
                    list.text(String(format: "L%02d", layer), x: grid.x, y: y, face: style.small, Theme.textDim)
                }
                let choice = state.routerByLayer[layer]
                for expert in 0..<experts {
                    let x = grid.x + labelWidth + Float(expert) * cellW
                    let cell = Rect(x, y, cellW - gapPx, cellH - gapPx)
                    if let slot = choice?.experts.firstIndex(of: expert) {
                        let weight = slot < (choice?.weights.count ?? 0) ? choice!.weights[slot] : 0.5
                        list.fill(cell, Theme.cyan.mix(Theme.amber, 1 - min(1, weight * 2)).alpha(0.55 + 0.45 * min(1, weight * 2)))
                    } else {
                        list.fill(cell, Theme.cyanFaint.alpha(0.45))
                    }
                }
            }
        } else {
            list.text("NO ROUTING YET", x: grid.x, y: grid.y, face: style.small, Theme.textDim)
        }
        let stats = state.expertCache
        let hits = stats?.hits ?? 0, misses = stats?.misses ?? 0
        let ratio = hits + misses > 0 ? Double(hits) / Double(hits + misses) : 0
        let text = stats == nil ? "EXPERT CACHE --" : String(format: "CACHE HIT %.1f%%  %d/%d", ratio * 100, hits, misses)
        let textWidth = list.text(text, x: footer.x, y: footer.y + 2, face: style.small, Theme.text, maxWidth: footer.w * 0.6)
        bar(Rect(footer.x + textWidth + style.pad, footer.y + 3, footer.w - textWidth - style.pad, footer.h - 5),
            fraction: ratio, Theme.green, ticks: false)
    }

    mutating func attentionPanel(_ rect: Rect) {
        let summary = state.attention
        let title = summary.map { "Attention  ·  L\($0.layer) \($0.heads)h × \($0.positions.count)" } ?? "Attention"
        let content = panel(rect, title, meterSeed: 10)
        guard content.h > 0 else { return }
        guard let summary, summary.heads > 0, !summary.positions.isEmpty else {
            list.text("NO ATTENTION SUMMARY", x: content.x, y: content.y, face: style.small, Theme.textDim)
            return
        }
        let columns = summary.positions.count
        let labelHeight = Float(style.small.lineHeight)
        let grid = Rect(content.x, content.y, content.w, content.h - labelHeight - 2)
        let cellW = (grid.w / Float(columns)).rounded(.down)
        let cellH = max(1, (grid.h / Float(summary.heads)).rounded(.down))
        for head in 0..<summary.heads {
            // Each head's row is scaled to its own peak so weak heads still show their shape.
            let peak = max(1e-6, (0..<columns).map { summary.weight(head: head, column: $0) }.max() ?? 1)
            for column in 0..<columns {
                let value = summary.weight(head: head, column: column) / peak
                let color = Heat.color(value)
                list.fill(Rect(grid.x + Float(column) * cellW, grid.y + Float(head) * cellH, max(1, cellW - 1), max(1, cellH - 1)), color)
            }
        }
        let labelY = grid.y + cellH * Float(summary.heads) + 2
        list.text("pos \(summary.positions.first!)", x: grid.x, y: labelY, face: style.small, Theme.textDim)
        list.textRight("pos \(summary.positions.last!)", right: grid.x + cellW * Float(columns), y: labelY, face: style.small, Theme.textDim)
    }
}

/// The heatmap's colour ramp: near-black → cyan → amber → white.
enum Heat {
    static func color(_ value: Float) -> Color {
        let v = min(max(value, 0), 1)
        if v < 0.5 { return Theme.background.mix(Theme.cyan, v * 2) }
        if v < 0.85 { return Theme.cyan.mix(Theme.amber, (v - 0.5) / 0.35) }
        return Theme.amber.mix(Theme.white, (v - 0.85) / 0.15)
    }
}

enum Time {
    /// On half of each second: for warnings that blink.
    static func blink(_ time: Double) -> Bool { Int(time * 2) % 2 == 0 }
}
