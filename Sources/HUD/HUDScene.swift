import Foundation
import Telemetry

/// One frame's drawing: the chrome (backdrop, header, footer, scanlines) and the panels laid
/// out for the frame size. Pure: the same state, time and size give the same vertices.
struct HUDScene {
    let state: HUDState
    let time: Double
    let size: FrameSize

    func draw(into list: inout DrawList) {
        let style = HUDStyle(size: size, atlas: list.atlas)
        let width = Float(size.width), height = Float(size.height)
        list.backdrop(width: width, height: height, pitch: max(8, (24 * style.scale).rounded()))

        let margin = style.gap * 1.5
        let headerHeight = Float(style.big.lineHeight) + 2 * style.pad
        let footerHeight = Float(style.small.lineHeight) + style.pad
        let screen = Rect(0, 0, width, height)
        let (header, rest) = screen.inset(margin, margin * 0.75).splitTop(headerHeight, gap: style.gap)
        let (body, footer) = rest.splitTop(rest.h - footerHeight - style.gap, gap: style.gap)

        var painter = Painter(list: list, style: style, state: state, time: time)
        painter.header(header)
        let columns = body.columns([0.3, 0.4, 0.3], gap: style.gap)
        layoutLeft(columns[0], &painter)
        layoutMiddle(columns[1], &painter)
        layoutRight(columns[2], &painter)
        painter.footer(footer)
        if let error = state.errors.last { painter.errorOverlay(screen, error) }
        list = painter.list
        list.corners(screen.inset(margin * 0.4), length: 28 * style.scale, thickness: style.thin * 2, Theme.cyanDim)
        let sweep = Float((time * 0.35).truncatingRemainder(dividingBy: 1)) * (height + 160) - 80
        list.scanlines(width: width, height: height, pitch: max(2, (3 * style.scale).rounded()), sweepRow: sweep)
    }

    private func layoutLeft(_ column: Rect, _ painter: inout Painter) {
        let style = painter.style
        let loadHeight = Float(style.bold.lineHeight) * 2.2 + style.line * 2 + style.pad * 3 + painter.headerHeight
        let stageHeight = style.line * 6 + style.pad * 2 + painter.headerHeight
        let (load, rest) = column.splitTop(loadHeight, gap: style.gap)
        let (stages, tensors) = rest.splitTop(stageHeight, gap: style.gap)
        painter.loadPanel(load)
        painter.stagePanel(stages)
        painter.tensorPanel(tensors)
    }

    private func layoutMiddle(_ column: Rect, _ painter: inout Painter) {
        let style = painter.style
        let topHeight = style.line * 5 + style.pad * 2 + painter.headerHeight
        let statsHeight = Float(style.big.lineHeight) + style.line * 2 + style.pad * 3 + painter.headerHeight
        var stream = column
        if let table = state.sessions {
            // A server: the sessions table on top, at most 40 % of the column.
            let (sessions, below) = column.splitTop(min(painter.sessionsPanelHeight(table), column.h * 0.4), gap: style.gap)
            painter.sessionsPanel(sessions, table)
            stream = below
        }
        let (tokens, rest) = stream.splitTop(stream.h - topHeight - statsHeight - 2 * style.gap, gap: style.gap)
        let (top, stats) = rest.splitTop(topHeight, gap: style.gap)
        painter.tokenPanel(tokens)
        painter.topPanel(top)
        painter.statsPanel(stats)
    }

    private func layoutRight(_ column: Rect, _ painter: inout Painter) {
        let rows = column.rows([1.35, 0.95, 0.9, 0.8], gap: painter.style.gap)
        painter.gpuPanel(rows[0])
        painter.kernelPanel(rows[1])
        painter.moePanel(rows[2])
        painter.attentionPanel(rows[3])
    }
}
