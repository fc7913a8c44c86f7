import Foundation
import Telemetry

extension Painter {
    /// A red banner across the middle of the frame with the latest error, wrapped.
    mutating func errorOverlay(_ screen: Rect, _ error: HUDState.TimedError) {
        let width = min(screen.w * 0.7, 900 * style.scale)
        let columns = max(10, Int((width - style.pad * 4) / Float(style.body.advance)))
        let lines = Wrap.lines(error.report.message, columns: columns).prefix(6)
        let height = Float(style.big.lineHeight) + style.line * Float(lines.count + 1) + style.pad * 4
        let box = Rect(((screen.w - width) / 2).rounded(), ((screen.h - height) / 2).rounded(), width, height)
        let age = Float(time - error.time)
        let flash = max(0, 1 - age / 0.6)
        list.fill(screen, Theme.red.alpha(0.06 + 0.1 * flash))
        list.fill(box, Color(hex: 0x1A0508, alpha: 0.94))
        list.stroke(box, Theme.red, thickness: style.thin * 2)
        list.corners(box.inset(-4 * style.scale), length: 18 * style.scale, thickness: style.thin * 2, Theme.red.alpha(Time.blink(time) ? 1 : 0.4))
        // Hazard stripes along the top edge.
        let stripe = Rect(box.x, box.y, box.w, 4 * style.scale + 2)
        var x = stripe.x
        var index = 0
        while x < stripe.maxX {
            let w = min(10 * style.scale + 2, stripe.maxX - x)
            list.fill(Rect(x, stripe.y, w, stripe.h), index % 2 == 0 ? Theme.red : Theme.amber.alpha(0.8))
            x += w; index += 1
        }
        var y = box.y + stripe.h + style.pad
        let stage = error.report.stage.map { "  ·  STAGE " + $0.rawValue.uppercased() } ?? ""
        list.text("⚠ FAULT" + stage, x: box.x + style.pad * 2, y: y, face: style.big, Theme.red, maxWidth: box.w - style.pad * 4)
        y += Float(style.big.lineHeight) + style.pad
        for line in lines {
            list.text(line, x: box.x + style.pad * 2, y: y, face: style.body, Theme.text)
            y += style.line
        }
        list.text(String(format: "at T+%@", Format.clock(error.time)), x: box.x + style.pad * 2, y: y, face: style.small, Theme.textDim)
    }
}

/// Word wrapping for fixed-width text.
enum Wrap {
    static func lines(_ text: String, columns: Int) -> [String] {
        var result: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            for word in paragraph.split(separator: " ") {
                var word = Substring(word)
                while word.count > columns {
                    if !line.isEmpty { result.append(line); line = "" }
                    result.append(String(word.prefix(columns)))
                    word = word.dropFirst(columns)
                }
                if line.isEmpty { line = String(word) }
                else if line.count + 1 + word.count <= columns { line += " " + word }
                else { result.append(line); line = String(word) }
            }
            result.append(line)
        }
        return result
    }
}
