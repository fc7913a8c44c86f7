import Foundation
import Telemetry

// The loading side: the LOAD MODEL button with the overall progress, the stage lights and the
// scrolling list of tensor transfers.
extension Painter {
    mutating func loadPanel(_ rect: Rect) {
        let content = panel(rect, "Model link", meterSeed: 1)
        guard content.h > 0 else { return }
        let phase = state.phase
        let fraction = state.loadFraction
        let buttonHeight = Float(style.bold.lineHeight) * 2.2
        let (button, rest) = content.splitTop(buttonHeight, gap: style.pad)

        let failed = phase == .failed && state.stages[.runtime]?.status != .completed
        let loading = phase == .loading
        let accent = failed ? Theme.red : loading ? Theme.amber : Theme.cyan
        list.fill(button, accent.alpha(0.08))
        if loading {
            // Moving stripes inside the filled part: the button is busy.
            let filled = Rect(button.x, button.y, (button.w * Float(fraction)).rounded(), button.h)
            list.fill(filled, accent.alpha(0.18))
            let pitch = 14 * style.scale + 2
            var x = filled.x - pitch + Float((time * 30).truncatingRemainder(dividingBy: Double(pitch)))
            while x < filled.maxX {
                let left = max(x, filled.x), right = min(x + pitch * 0.45, filled.maxX)
                if right > left { list.fill(Rect(left, filled.y, right - left, filled.h), accent.alpha(0.16)) }
                x += pitch
            }
        }
        list.stroke(button, accent, thickness: style.thin * 2)
        list.corners(button.inset(-3 * style.scale), length: 8 * style.scale + 2, thickness: style.thin, accent)
        let label: String
        switch phase {
        case .idle: label = "▶ LOAD MODEL"
        case .loading: label = String(format: "LOADING MODEL  %.0f%%", fraction * 100)
        case .failed: label = failed ? "✗ LOAD FAILED" : "✗ RUN FAULT"
        default: label = "● MODEL ONLINE"
        }
        let labelWidth = style.width(label, style.bold)
        list.text(label, x: button.x + (button.w - labelWidth) / 2, y: button.y + (button.h - Float(style.bold.lineHeight)) / 2,
                  face: style.bold, failed ? Theme.red : loading ? Theme.amber : Theme.cyan)

        let (barRow, infoRow) = rest.splitTop(style.line, gap: 0)
        bar(Rect(barRow.x, barRow.y + 2, barRow.w, barRow.h - 4), fraction: fraction, accent)
        let load = state.load
        var info = "\(Format.bytes(load.fetchedBytes)) / \(Format.bytes(load.totalBytes))"
        if phase == .loading, let rate = load.bytesPerSecond(at: time) {
            info += "  \(Format.bytes(Int(rate)))/s"
            if let eta = load.etaSeconds(at: time) { info += String(format: "  ETA %.1fs", eta) }
        } else if let total = totalLoadSeconds {
            info += String(format: "  in %.2fs", total)
        }
        list.text(info, x: infoRow.x, y: infoRow.y + 2, face: style.body, Theme.text, maxWidth: infoRow.w)
    }

    private var totalLoadSeconds: Double? {
        guard let start = state.stages[.ggufParse]?.startTime, let end = state.stages[.runtime]?.endTime else { return nil }
        return end - start
    }

    mutating func stagePanel(_ rect: Rect) {
        let content = panel(rect, "Pipeline stages", meterSeed: 2)
        guard content.h > 0 else { return }
        var y = content.y
        for stage in LoadStage.allCases {
            guard y + style.line <= content.maxY + 1 else { break }
            let info = state.stages[stage]
            // After a fault nothing is still running: open stages read as halted.
            let halted = info?.status == .started && state.phase == .failed
            let color: Color, status: String
            switch info?.status {
            case nil: color = Theme.textDim; status = "STANDBY"
            case .started: color = halted ? Theme.amberDim : Theme.amber; status = halted ? "HALTED" : "ACTIVE"
            case .completed: color = Theme.cyan; status = "DONE"
            case .failed: color = Theme.red; status = "FAILED"
            }
            let lightSize = max(4, (6 * style.scale).rounded())
            let midY = y + (Float(style.body.lineHeight) - lightSize) / 2
            let running = info?.status == .started && !halted
            light(x: content.x + 2, y: midY, size: lightSize, color, pulse: running)
            let nameX = content.x + lightSize + style.pad * 1.5
            list.text(stage.rawValue.uppercased(), x: nameX, y: y, face: style.body, info == nil ? Theme.textDim : Theme.text)
            var detail = status
            if let ms = info?.durationMs {
                detail = Format.ms(ms) + "  " + status
            } else if running, let start = info?.startTime {
                detail = Format.ms((time - start) * 1000) + "  " + status
            }
            list.textRight(detail, right: content.maxX, y: y, face: style.body, color)
            if running {
                // A running stage gets a sweeping underline.
                let phase = Float((time * 0.8).truncatingRemainder(dividingBy: 1))
                let lineY = y + Float(style.body.lineHeight) + 1
                let span = content.w * 0.25
                list.horizontalGradient(Rect(content.x + (content.w - span) * phase, lineY, span, style.thin),
                                        left: color.alpha(0), right: color)
            }
            y += style.line
        }
    }

    mutating func tensorPanel(_ rect: Rect) {
        let count = state.load.tensorCount
        let title = count > 0 ? "Tensor stream  \(state.load.fetchedTensors)/\(count)" : "Tensor stream"
        let content = panel(rect, title, accent: Theme.cyan, meterSeed: 3)
        guard content.h > style.line * 2 else { return }
        let (head, rows) = content.splitTop(style.line, gap: style.thin)
        let typeWidth = style.width("mxfp4 ", style.small)
        let sizeWidth = style.width("000.0 MiB ", style.small)
        // The timing columns go first when the panel is narrow: names matter more.
        let showTimes = content.w - typeWidth - sizeWidth - style.width("0000ms 000ms", style.small) >= content.w * 0.4
        let timeWidth = showTimes ? style.width("0000ms ", style.small) : 0
        let upWidth = showTimes ? style.width("000ms", style.small) : 0
        let nameWidth = content.w - typeWidth - sizeWidth - timeWidth - upWidth
        let smallY = (style.line - Float(style.small.lineHeight)) / 2
        var x = head.x
        for (text, width) in [("NAME", nameWidth), ("TYPE", typeWidth), ("SIZE", sizeWidth), ("FETCH", timeWidth), ("GPU", upWidth)] where width > 0 {
            list.text(text, x: x, y: head.y + smallY, face: style.small, Theme.cyanDim)
            x += width
        }
        list.fill(Rect(head.x, head.maxY - style.thin, head.w, style.thin), Theme.cyanFaint)

        let rowHeight = Float(style.small.lineHeight) + max(1, 2 * style.scale)
        let capacity = max(0, Int(rows.h / rowHeight))
        let shown = state.tensors.suffix(capacity)
        var y = rows.y
        for (index, row) in shown.enumerated() {
            let newest = index == shown.count - 1
            let fromNewest = shown.count - 1 - index
            if fromNewest < 3 {
                list.fill(Rect(rows.x - 2, y, rows.w + 4, rowHeight), Theme.amber.alpha(0.18 / Float(1 + fromNewest * 2)))
            }
            var x = rows.x
            let fade: Float = 0.55 + 0.45 * Float(index + 1) / Float(max(1, shown.count))
            list.text(row.name, x: x, y: y, face: style.small, (newest ? Theme.amber : Theme.text).alpha(fade), maxWidth: nameWidth - style.pad)
            x += nameWidth
            list.text(row.type, x: x, y: y, face: style.small, Theme.cyan.alpha(fade), maxWidth: typeWidth)
            x += typeWidth
            list.text(Format.bytes(row.bytes), x: x, y: y, face: style.small, Theme.text.alpha(fade))
            x += sizeWidth
            guard showTimes else { y += rowHeight; continue }
            list.text(Format.ms(row.fetchMs), x: x, y: y, face: style.small, Theme.textDim)
            x += timeWidth
            list.text(row.uploadMs.map(Format.ms) ?? "…", x: x, y: y, face: style.small, row.uploadMs == nil ? Theme.amber : Theme.green.alpha(fade))
            y += rowHeight
        }
        if shown.isEmpty {
            list.text("NO TENSORS YET", x: rows.x, y: rows.y, face: style.small, Theme.textDim)
        }
    }
}
