import Foundation
import Telemetry

// The generation side: the token stream, the top-5 of the latest token, and the speed,
// entropy and KV-cache meters.
extension Painter {
    /// One character cell of the wrapped token stream.
    private struct Cell {
        var scalar: Unicode.Scalar
        var color: Color
        var tokenIndex: Int
        var drafted: Bool
    }

    /// The tokens the stream shows: all of a single-stream run; on a server, those of the
    /// sequence that produced the latest token (interleaved sequences would be unreadable).
    private var streamTokens: (tokens: ArraySlice<HUDState.TimedToken>, sequence: Int?) {
        guard state.sessions != nil, let sequence = state.latestToken?.sample.sequence else { return (state.tokens[...], nil) }
        return (ArraySlice(state.tokens.filter { $0.sample.sequence == sequence }), sequence)
    }

    private var tokenPanelTitle: String {
        var title = streamTokens.sequence.map { "Token stream  ·  seq \($0)" } ?? "Token stream"
        if let speculation = state.speculation {
            // The legend gives way to the drafter's score: accepted drafts are underlined.
            title += String(format: "  ·  drafts %.0f%% accepted", speculation.acceptanceRate * 100)
        } else if streamTokens.sequence == nil {
            title += "  ·  analysis ░ final █"
        }
        return title
    }

    mutating func tokenPanel(_ rect: Rect) {
        let (tokens, _) = streamTokens
        let content = panel(rect, tokenPanelTitle, meterSeed: 4)
        guard content.h > style.line, content.w > 0 else { return }
        let columns = max(1, Int(content.w / Float(style.body.advance)))
        let rowsFit = max(1, Int(content.h / style.line))
        if tokens.isEmpty {
            let waiting = state.phase == .failed ? "NO OUTPUT" : state.phase == .loading || state.phase == .idle ? "AWAITING MODEL" : "AWAITING FIRST TOKEN"
            list.text(waiting, x: content.x, y: content.y, face: style.body, Theme.textDim)
            if Int(time * 2) % 2 == 0 {
                list.fill(Rect(content.x + style.width(waiting + " ", style.body), content.y, Float(style.body.advance),
                               Float(style.body.lineHeight)), Theme.cyan)
            }
            let (_, mapArea) = content.splitTop(style.line * 2)
            layerMap(mapArea)
            return
        }

        // Wrap by character cells; a channel change starts a new line with a tag.
        var lines: [[Cell]] = [[]]
        var channel: TokenChannel?
        func put(_ scalar: Unicode.Scalar, _ color: Color, _ token: Int, drafted: Bool = false) {
            if scalar == "\n" { lines.append([]); return }
            if lines[lines.count - 1].count >= columns { lines.append([]) }
            lines[lines.count - 1].append(Cell(scalar: scalar, color: color, tokenIndex: token, drafted: drafted))
        }
        for (index, timed) in tokens.enumerated() {
            let sample = timed.sample
            if sample.channel != channel, sample.channel != .other {
                if !(lines.last?.isEmpty ?? true) { lines.append([]) }
                let tag = sample.channel == .analysis ? "▌ANALYSIS " : "▌FINAL "
                for scalar in tag.unicodeScalars { put(scalar, sample.channel == .analysis ? Theme.amberDim : Theme.cyanDim, -1) }
                channel = sample.channel
            }
            let color: Color
            switch sample.channel {
            case .analysis: color = Theme.analysis
            case .final: color = Theme.text
            case .other: color = Theme.cyanDim
            }
            let drafted = sample.drafted == true
            for scalar in sample.text.unicodeScalars where scalar == "\n" || scalar.value >= 0x20 { put(scalar, color, index, drafted: drafted) }
        }

        let newest = tokens.count - 1
        let pulse = Float(max(0, 1 - (time - tokens[tokens.endIndex - 1].time) / 0.35))
        let shown = lines.suffix(rowsFit)
        var y = content.y
        for (lineIndex, line) in shown.enumerated() {
            for (column, cell) in line.enumerated() {
                let x = content.x + Float(column * style.body.advance)
                if cell.tokenIndex == newest {
                    list.fill(Rect(x, y - 1, Float(style.body.advance), style.line), Theme.amber.alpha(0.12 + 0.45 * pulse))
                }
                if cell.drafted {
                    // An accepted draft token: a green underline (the drafter guessed it; the model agreed).
                    let thickness = max(1, style.thin * 1.5)
                    list.fill(Rect(x, y + style.line - thickness - 2, Float(style.body.advance), thickness), Theme.green.alpha(0.8))
                }
                if cell.scalar != " " {
                    list.glyph(cell.scalar, x: x, y: y, face: style.body,
                               cell.tokenIndex == newest ? cell.color.mix(Theme.white, pulse) : cell.color)
                }
            }
            if lineIndex == shown.count - 1, Int(time * 2.5) % 2 == 0 || pulse > 0 {
                let x = content.x + Float(min(line.count, columns - 1) * style.body.advance)
                list.fill(Rect(x, y, Float(style.body.advance), Float(style.body.lineHeight)), Theme.cyan.alpha(0.85))
            }
            y += style.line
        }
    }

    /// While the model loads, the token area shows the layers filling up as their tensors land
    /// on the GPU.
    private mutating func layerMap(_ rect: Rect) {
        guard let plan = state.plan, let layers = plan.layers, layers > 0, rect.h > style.line * 2 else { return }
        let expected = max(1, plan.tensorCount / layers)
        let perRow = layers > 12 ? (layers + 1) / 2 : layers
        let rowCount = (layers + perRow - 1) / perRow
        list.text("LAYER MAP  ·  \(state.layerUploads.values.reduce(0, +)) layer tensors resident", x: rect.x, y: rect.y,
                  face: style.small, Theme.cyanDim, maxWidth: rect.w)
        let grid = Rect(rect.x, rect.y + style.line, rect.w, min(rect.h - style.line, rect.w / Float(perRow) * 2.2 * Float(rowCount)))
        let cellW = (grid.w / Float(perRow)).rounded(.down)
        let cellH = (grid.h / Float(rowCount)).rounded(.down)
        for layer in 0..<layers {
            let cell = Rect(grid.x + Float(layer % perRow) * cellW, grid.y + Float(layer / perRow) * cellH, cellW - style.gap * 0.5, cellH - style.gap * 0.5)
            let fraction = min(1, Float(state.layerUploads[layer] ?? 0) / Float(expected))
            let active = layer == state.currentLayer && fraction < 1 && state.phase == .loading
            let color = active ? Theme.amber : Theme.cyan
            list.fill(cell, Theme.cyanFaint.alpha(0.35))
            let filled = (cell.h * fraction).rounded()
            list.verticalGradient(Rect(cell.x, cell.maxY - filled, cell.w, filled), top: color, bottom: color.alpha(0.35))
            list.stroke(cell, color.alpha(active ? 1 : 0.45), thickness: style.thin)
            if active {
                let glow = 0.4 + 0.4 * Float(sin(time * 9))
                list.stroke(cell.inset(-2 * style.thin), Theme.amber.alpha(glow), thickness: style.thin)
            }
            let label = String(format: "%02d", layer)
            if cell.w >= style.width(label, style.small) + 2 {
                list.text(label, x: cell.x + (cell.w - style.width(label, style.small)) / 2, y: cell.y + 2, face: style.small,
                          fraction >= 1 ? Theme.background : Theme.text)
            }
        }
    }

    mutating func topPanel(_ rect: Rect) {
        let content = panel(rect, "Sampler  ·  top-5 of latest token", accent: Theme.amber, meterSeed: 5)
        guard content.h > 0 else { return }
        guard let latest = state.latestToken else {
            list.text("NO SAMPLES", x: content.x, y: content.y, face: style.body, Theme.textDim)
            return
        }
        let labelWidth = min(content.w * 0.35, style.width("#1 ", style.body) + 14 * Float(style.body.advance))
        let percentWidth = style.width(" 100.0%", style.body)
        let barWidth = content.w - labelWidth - percentWidth
        let pulse = Float(max(0, 1 - (time - latest.time) / 0.35))
        var y = content.y
        for (rank, candidate) in latest.sample.top.prefix(5).enumerated() {
            guard y + style.line <= content.maxY + 1 else { break }
            let chosen = candidate.id == latest.sample.id
            let color = chosen ? Theme.amber : Theme.cyan
            list.text("#\(rank + 1) " + "\"" + Format.visible(candidate.text) + "\"", x: content.x, y: y, face: style.body,
                      chosen ? Theme.amber : Theme.text, maxWidth: labelWidth - style.pad)
            let barRect = Rect(content.x + labelWidth, y + 2, barWidth, style.line - 5)
            let grow = chosen ? Double(1 - pulse * 0.3) : 1
            bar(barRect, fraction: Double(candidate.probability) * grow, color, ticks: false)
            list.textRight(String(format: "%5.1f%%", candidate.probability * 100), right: content.maxX, y: y,
                           face: style.body, color)
            y += style.line
        }
    }

    mutating func statsPanel(_ rect: Rect) {
        let content = panel(rect, "Throughput  ·  entropy  ·  KV cache", meterSeed: 6)
        guard content.h > 0 else { return }
        let cells = content.columns([1.2, 1, 1], gap: style.pad * 2)

        // Decode speed: a big number over its trace.
        let speed = state.decodeRate
        let speedText = speed.map { String(format: "%.1f", $0) } ?? "--.-"
        let numberWidth = list.text(speedText, x: cells[0].x, y: cells[0].y, face: style.big, speed == nil ? Theme.cyanFaint : Theme.cyan)
        list.text("TOK/S", x: cells[0].x + numberWidth + style.pad, y: cells[0].y + Float(style.big.lineHeight - style.small.lineHeight),
                  face: style.small, Theme.cyanDim)
        let traceTop = cells[0].y + Float(style.big.lineHeight) + style.pad * 0.5
        sparkline(Rect(cells[0].x, traceTop, cells[0].w, cells[0].maxY - traceTop), state.speedTrace, Theme.cyan)
        if let prefill = state.prefillSpeed,
           numberWidth + style.width("TOK/S PREFILL 0000", style.small) + style.pad * 2 < cells[0].w {
            list.textRight(String(format: "PREFILL %.0f", prefill.tokensPerSecond), right: cells[0].maxX, y: cells[0].y,
                           face: style.small, Theme.textDim)
        }

        // Entropy of the latest sampling distribution, on a 0...6 nat scale.
        let entropy = state.latestToken?.sample.entropy
        let entropyText = entropy.map { $0.isFinite ? String(format: "%.2f", $0) : "n/a" } ?? "-.--"
        list.text("ENTROPY", x: cells[1].x, y: cells[1].y, face: style.small, Theme.textDim)
        list.text(entropyText, x: cells[1].x, y: cells[1].y + Float(style.small.lineHeight) + 2, face: style.bold,
                  entropy == nil ? Theme.amberDim : Theme.amber)
        list.text("nats", x: cells[1].x + style.width(entropyText + " ", style.bold),
                  y: cells[1].y + Float(style.small.lineHeight) + 2 + Float(style.bold.lineHeight - style.small.lineHeight),
                  face: style.small, Theme.textDim)
        let entropyFraction = entropy.map { $0.isFinite ? Double($0) / 6 : 0 } ?? 0
        bar(Rect(cells[1].x, cells[1].maxY - style.line * 0.7, cells[1].w, style.line * 0.6), fraction: entropyFraction, Theme.amber, ticks: false)

        // KV cache fill.
        list.text("KV CACHE", x: cells[2].x, y: cells[2].y, face: style.small, Theme.textDim)
        // A server reports per-sequence use in its sessions table: show all slots together.
        let kvUse = state.sessions.map { table in
            KVCacheUse(usedTokens: table.rows.reduce(0) { $0 + $1.kvUsedTokens }, capacityTokens: table.slots * table.contextPerSequence)
        } ?? state.kvCache
        if let kv = kvUse {
            let text = "\(kv.usedTokens)/\(kv.capacityTokens)"
            list.text(text, x: cells[2].x, y: cells[2].y + Float(style.small.lineHeight) + 2, face: style.bold, Theme.text, maxWidth: cells[2].w)
            if let bytes = kv.bytes {
                list.text(Format.bytes(bytes), x: cells[2].x, y: cells[2].y + Float(style.small.lineHeight + style.bold.lineHeight) + 4,
                          face: style.small, Theme.textDim)
            }
            bar(Rect(cells[2].x, cells[2].maxY - style.line * 0.7, cells[2].w, style.line * 0.6),
                fraction: Double(kv.usedTokens) / Double(max(1, kv.capacityTokens)), Theme.cyan, ticks: false)
        } else {
            list.text("--", x: cells[2].x, y: cells[2].y + Float(style.small.lineHeight) + 2, face: style.bold, Theme.textDim)
        }
    }
}
