import Foundation
import Telemetry

// The server's view: one row per sequence (slot, state, tokens, tok/s, KV use, latest text),
// and a summary line (queue, slots in use, aggregate tok/s, expert-cache hit rate).
extension Painter {
    /// Height the sessions panel wants for `table` (header, column titles, rows, summary).
    func sessionsPanelHeight(_ table: SessionTable) -> Float {
        headerHeight + style.pad * 1.5 + style.line * Float(max(1, table.rows.count) + 2)
    }

    mutating func sessionsPanel(_ rect: Rect, _ table: SessionTable) {
        let content = panel(rect, "Sessions  ·  \(table.rows.filter { $0.state != .queued }.count)/\(table.slots) slots", meterSeed: 8)
        guard content.h >= style.line * 2, content.w > 0 else { return }
        let advance = Float(style.small.advance)
        // Fixed columns (in characters of the small face), the text tail takes the rest.
        let widths: [Float] = [5, 5, 8, 7, 7, 13].map { $0 * advance }
        let titles = ["SEQ", "SLOT", "STATE", "TOKENS", "TOK/S", "KV"]
        var x = content.x
        for (title, width) in zip(titles, widths) {
            list.text(title, x: x, y: content.y, face: style.small, Theme.textDim)
            x += width
        }
        list.text("LATEST TEXT", x: x, y: content.y, face: style.small, Theme.textDim, maxWidth: max(0, content.maxX - x))
        let rowsFit = max(0, Int((content.h - style.line * 2) / style.line))
        var y = content.y + style.line
        if table.rows.isEmpty {
            list.text("NO ACTIVE SEQUENCES", x: content.x, y: y, face: style.body, Theme.textDim)
        }
        for row in table.rows.prefix(rowsFit) {
            let color = row.state == .queued ? Theme.textDim : row.state == .prefill ? Theme.amber : Theme.text
            let kvFraction = Double(row.kvUsedTokens) / Double(max(1, table.contextPerSequence))
            let cells = ["\(row.sequence)", row.slot.map(String.init) ?? "-", row.state.rawValue.uppercased(), "\(row.tokens)",
                         row.tokensPerSecond > 0 ? String(format: "%.1f", row.tokensPerSecond) : "--"]
            x = content.x
            for (cell, width) in zip(cells, widths) {
                list.text(cell, x: x, y: y, face: style.small, color, maxWidth: width - advance * 0.5)
                x += width
            }
            let kvWidth = widths[5] - advance
            let kvText = "\(row.kvUsedTokens)"
            list.text(kvText, x: x, y: y, face: style.small, Theme.text)
            let textWidth = style.width(kvText + " ", style.small)
            bar(Rect(x + textWidth, y + 3, max(2, kvWidth - textWidth), style.line - 7), fraction: kvFraction,
                kvFraction > 0.9 ? Theme.amber : Theme.cyan, ticks: false)
            x += widths[5]
            if let text = state.sequenceText[row.sequence], content.maxX - x > advance * 4 {
                let columns = Int((content.maxX - x) / advance)
                let flat = text.replacingOccurrences(of: "\n", with: "↵").replacingOccurrences(of: "\t", with: " ")
                list.text(String(flat.suffix(columns)), x: x, y: y, face: style.small,
                          row.state == .decode ? Theme.cyan : Theme.cyanDim, maxWidth: content.maxX - x)
            }
            y += style.line
        }
        if table.rows.count > rowsFit, rowsFit > 0 {
            list.textRight("+\(table.rows.count - rowsFit) more", right: content.maxX, y: y - style.line, face: style.small, Theme.amber)
        }
        var summary = ["QUEUE \(table.queued)", String(format: "%.1f TOK/S ALL", table.tokensPerSecond)]
        if let cache = state.expertCache, cache.hits + cache.misses > 0 {
            summary.append(String(format: "EXPERT CACHE %.0f%% HIT", 100 * Double(cache.hits) / Double(cache.hits + cache.misses)))
        }
        list.text(summary.joined(separator: "  ·  "), x: content.x, y: content.maxY - style.line + 2, face: style.small,
                  table.queued > 0 ? Theme.amber : Theme.cyan, maxWidth: content.w)
    }
}
