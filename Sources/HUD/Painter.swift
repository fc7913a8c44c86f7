import Foundation
import Telemetry

/// Draws panels into a draw list: the shared parts (panel frames, bars, meters, header and
/// footer) live here, each panel in its own file as an extension.
struct Painter {
    var list: DrawList
    let style: HUDStyle
    let state: HUDState
    let time: Double

    var headerHeight: Float { Float(style.small.lineHeight) + style.pad }

    // MARK: - Panel frame

    /// Draws a panel's body, border, brackets and title strip; returns the content area.
    @discardableResult
    mutating func panel(_ rect: Rect, _ title: String, accent: Color = Theme.cyan, meterSeed: Int = 0) -> Rect {
        guard rect.h > headerHeight + style.pad, rect.w > 40 else { return Rect(rect.x, rect.y, 0, 0) }
        list.fill(rect, Theme.panel)
        list.stroke(rect, Theme.cyanFaint, thickness: style.thin)
        list.corners(rect, length: 10 * style.scale + 4, thickness: style.thin * 2, accent)
        let (strip, content) = rect.splitTop(headerHeight)
        list.horizontalGradient(strip.inset(style.thin, 0), left: accent.alpha(0.22), right: Theme.panelHeader.alpha(0))
        let textY = strip.y + (strip.h - Float(style.small.lineHeight)) / 2
        list.fill(Rect(strip.x + style.pad * 0.5, textY + 2, style.thin * 2, Float(style.small.lineHeight) - 4), accent)
        list.text(title.uppercased(), x: strip.x + style.pad * 0.5 + style.thin * 2 + max(3, style.pad * 0.5), y: textY,
                  face: style.small, accent, maxWidth: strip.w * 0.7)
        signalMeter(Rect(strip.maxX - 40 * style.scale - style.pad, strip.y + 3, 40 * style.scale, strip.h - 6),
                    seed: meterSeed, accent)
        return content.inset(style.pad, style.pad * 0.75)
    }

    /// A few bars that flicker with time: the "live instrument" decoration of a panel header.
    mutating func signalMeter(_ rect: Rect, seed: Int, _ color: Color) {
        let bars = 6
        let barWidth = max(1, (rect.w / Float(bars) - 1).rounded(.down))
        let tick = Int(time * 8)
        for index in 0..<bars {
            let level = 0.25 + 0.75 * Jitter.value(tick + seed * 31, index)
            let barHeight = (rect.h * level).rounded()
            list.fill(Rect(rect.x + Float(index) * (barWidth + 1), rect.maxY - barHeight, barWidth, barHeight),
                      color.alpha(0.35 + 0.4 * level))
        }
    }

    // MARK: - Bars and meters

    /// A horizontal bar: track, fill to `fraction`, and tick marks every 10 %.
    mutating func bar(_ rect: Rect, fraction: Double, _ color: Color, ticks: Bool = true) {
        list.fill(rect, Theme.cyanFaint.alpha(0.5))
        let filled = (rect.w * Float(min(max(fraction, 0), 1))).rounded()
        list.horizontalGradient(Rect(rect.x, rect.y, filled, rect.h), left: color.alpha(0.55), right: color)
        if ticks && rect.w > 100 {
            for index in 1..<10 {
                list.fill(Rect(rect.x + (rect.w * Float(index) / 10).rounded(), rect.y, style.thin, rect.h), Theme.background.alpha(0.6))
            }
        }
        list.stroke(rect, color.alpha(0.5), thickness: style.thin)
    }

    /// A trace of samples scaled to the rect: the newest at the right edge.
    mutating func sparkline(_ rect: Rect, _ samples: [HUDState.Sample], _ color: Color) {
        list.fill(rect, Theme.cyanFaint.alpha(0.25))
        guard samples.count > 1, rect.w > 4 else { return }
        let peak = max(samples.map(\.value).max() ?? 1, 1e-9)
        let columns = Int(rect.w / max(2, style.thin * 2))
        let shown = samples.suffix(columns)
        let step = rect.w / Float(columns)
        for (index, sample) in shown.enumerated() {
            let x = rect.maxX - Float(shown.count - index) * step
            let h = max(style.thin, (rect.h * Float(sample.value / peak)).rounded())
            list.fill(Rect(x, rect.maxY - h, max(1, step - 1), h), color.alpha(index == shown.count - 1 ? 1 : 0.6))
        }
    }

    /// A label left and a value right on one line.
    mutating func keyValue(_ rect: Rect, y: Float, _ key: String, _ value: String, valueColor: Color = Theme.text) {
        let valueWidth = style.width(value, style.body)
        list.text(key, x: rect.x, y: y, face: style.body, Theme.textDim, maxWidth: max(0, rect.w - valueWidth - style.pad))
        list.textRight(value, right: rect.maxX, y: y, face: style.body, valueColor)
    }

    /// A small status light; `pulse` makes it breathe with time.
    mutating func light(x: Float, y: Float, size: Float, _ color: Color, pulse: Bool = false) {
        let level: Float = pulse ? 0.55 + 0.45 * Float(sin(time * 7)) : 1
        list.fill(Rect(x - size * 0.5, y - size * 0.5, size * 2, size * 2), color.alpha(0.15 * level))
        list.fill(Rect(x, y, size, size), color.alpha(level))
    }

    // MARK: - Header and footer

    mutating func header(_ rect: Rect) {
        list.horizontalGradient(rect, left: Theme.panelHeader, right: Theme.panel.alpha(0.3))
        list.fill(Rect(rect.x, rect.maxY - style.thin, rect.w, style.thin), Theme.cyanDim)
        list.corners(rect, length: 14 * style.scale + 4, thickness: style.thin * 2, Theme.cyan)
        let titleY = rect.y + (rect.h - Float(style.big.lineHeight)) / 2
        var x = rect.x + style.pad * 1.5
        x += list.text("◈ GPTOSS-GL", x: x, y: titleY, face: style.big, Theme.cyan)
        let subtitleY = rect.y + (rect.h - Float(style.small.lineHeight)) / 2
        x += style.pad * 2
        x += list.text("NEURAL INFERENCE HUD", x: x, y: subtitleY, face: style.small, Theme.cyanDim)

        let phase = state.phase
        let tagColor = phase == .failed ? Theme.red : phase == .loading || phase == .prefill ? Theme.amber : Theme.cyan
        let clock = "T+" + Format.clock(time)
        let clockWidth = style.width(clock, style.bold)
        let right = rect.maxX - style.pad * 1.5
        list.text(clock, x: right - clockWidth, y: rect.y + (rect.h - Float(style.bold.lineHeight)) / 2, face: style.bold, Theme.text)
        let tag = " " + phase.rawValue + " "
        let tagWidth = style.width(tag, style.bold)
        let tagRect = Rect(right - clockWidth - style.pad * 2 - tagWidth, rect.y + style.pad, tagWidth, rect.h - 2 * style.pad)
        let blink: Float = phase == .failed ? (Int(time * 3) % 2 == 0 ? 1 : 0.5) : 1
        list.fill(tagRect, tagColor.alpha(0.18 * blink))
        list.stroke(tagRect, tagColor.alpha(blink), thickness: style.thin)
        list.text(tag, x: tagRect.x, y: tagRect.y + (tagRect.h - Float(style.bold.lineHeight)) / 2, face: style.bold, tagColor.alpha(blink))

        let modelLeft = x + style.pad * 3
        let modelRight = tagRect.x - style.pad * 2
        if let session = state.session, modelRight - modelLeft > 60 {
            let model = "MODEL " + session.model
            // Two lines when the header has room for them, else the model alone, centred.
            let twoLines = rect.h >= Float(style.small.lineHeight * 2) + style.pad * 2
            let modelY = twoLines ? rect.y + style.pad * 0.8 : rect.y + (rect.h - Float(style.small.lineHeight)) / 2
            list.text(model, x: modelLeft, y: modelY, face: style.small, Theme.text, maxWidth: modelRight - modelLeft)
            if twoLines {
                list.text(session.source, x: modelLeft, y: rect.maxY - style.pad * 0.8 - Float(style.small.lineHeight),
                          face: style.small, Theme.textDim, maxWidth: modelRight - modelLeft)
            }
        }
    }

    mutating func footer(_ rect: Rect) {
        list.fill(Rect(rect.x, rect.y, rect.w, style.thin), Theme.cyanFaint)
        let y = rect.maxY - Float(style.small.lineHeight)
        var parts = ["EVT \(state.eventCount)"]
        if state.load.tensorCount > 0 { parts.append("TENSORS \(state.load.uploadedTensors)/\(state.load.tensorCount)") }
        parts.append("TOKENS \(state.tokens.count)")
        if let note = state.notes.last { parts.append(note) }
        list.text(parts.joined(separator: "  ·  "), x: rect.x, y: y, face: style.small, Theme.textDim, maxWidth: rect.w * 0.75)
        let recording = Int(time * 2) % 2 == 0
        let right = "● REC  t=" + String(format: "%.3f", time) + "s"
        list.textRight(right, right: rect.maxX, y: y, face: style.small, recording ? Theme.red : Theme.red.alpha(0.45))
        // Tick ruler along the footer: a time scale that scrolls with the run.
        let pitch = 12 * style.scale + 2
        let offset = Float((time * 20).truncatingRemainder(dividingBy: Double(pitch)))
        var tickX = rect.x + rect.w * 0.76 - offset
        while tickX < rect.maxX - style.width(right, style.small) - style.pad {
            if tickX > rect.x + rect.w * 0.76 {
                list.fill(Rect(tickX, rect.y + style.thin * 2, style.thin, 3 * style.scale + 1), Theme.cyanDim)
            }
            tickX += pitch
        }
    }
}
