/// A rectangle in frame pixels, y down.
struct Rect: Equatable {
    var x: Float, y: Float, w: Float, h: Float

    init(_ x: Float, _ y: Float, _ w: Float, _ h: Float) {
        self.x = x; self.y = y; self.w = max(0, w); self.h = max(0, h)
    }

    var maxX: Float { x + w }
    var maxY: Float { y + h }

    func inset(_ dx: Float, _ dy: Float) -> Rect { Rect(x + dx, y + dy, w - 2 * dx, h - 2 * dy) }
    func inset(_ d: Float) -> Rect { inset(d, d) }

    /// The top `height` pixels, and the rest below with `gap` between.
    func splitTop(_ height: Float, gap: Float = 0) -> (Rect, Rect) {
        let top = min(height, h)
        return (Rect(x, y, w, top), Rect(x, y + top + gap, w, h - top - gap))
    }

    /// Splits into rows with the given weights and `gap` pixels between them; whole pixels.
    func rows(_ weights: [Float], gap: Float) -> [Rect] {
        let total = weights.reduce(0, +)
        let free = h - gap * Float(weights.count - 1)
        var top = y
        return weights.enumerated().map { index, weight in
            let height = index == weights.count - 1 ? maxY - top : (free * weight / total).rounded(.down)
            defer { top += height + gap }
            return Rect(x, top, w, height)
        }
    }

    func columns(_ weights: [Float], gap: Float) -> [Rect] {
        let total = weights.reduce(0, +)
        let free = w - gap * Float(weights.count - 1)
        var left = x
        return weights.enumerated().map { index, weight in
            let width = index == weights.count - 1 ? maxX - left : (free * weight / total).rounded(.down)
            defer { left += width + gap }
            return Rect(left, y, width, h)
        }
    }
}
