/// The vertices of one frame, built on the CPU and drawn in order. Everything is a quad; the
/// mode of its vertices says how it is filled (see GLDrawProgram.Mode), and consecutive quads of
/// the same pass form one draw call.
struct DrawList {
    struct Run {
        var pass: GLDrawProgram.Pass
        var firstVertex: Int
        var vertexCount: Int
    }

    private(set) var vertices: [Float] = []
    private(set) var runs: [Run] = []
    let atlas: FontAtlas

    init(atlas: FontAtlas) {
        self.atlas = atlas
        vertices.reserveCapacity(1 << 16)
    }

    var vertexCount: Int { vertices.count / GLDrawProgram.floatsPerVertex }

    // MARK: - Quads

    /// A quad with a colour at each corner (top-left, top-right, bottom-left, bottom-right).
    mutating func quad(_ rect: Rect, colors: (Color, Color, Color, Color), mode: GLDrawProgram.Mode = .solid,
                       uv: (Float, Float, Float, Float) = (0, 0, 0, 0), params: (Float, Float, Float) = (0, 0, 0)) {
        if runs.last?.pass == mode.pass {
            runs[runs.count - 1].vertexCount += 6
        } else {
            runs.append(Run(pass: mode.pass, firstVertex: vertexCount, vertexCount: 6))
        }
        let (u0, v0, u1, v1) = uv
        let corners: [(Float, Float, Float, Float, Color)] = [
            (rect.x, rect.y, u0, v0, colors.0), (rect.maxX, rect.y, u1, v0, colors.1),
            (rect.x, rect.maxY, u0, v1, colors.2), (rect.maxX, rect.maxY, u1, v1, colors.3),
        ]
        for index in [0, 1, 2, 1, 3, 2] {
            let (x, y, u, v, c) = corners[index]
            vertices.append(contentsOf: [x, y, u, v, c.r, c.g, c.b, c.a, mode.rawValue, params.0, params.1, params.2])
        }
    }

    mutating func fill(_ rect: Rect, _ color: Color) {
        guard rect.w > 0, rect.h > 0 else { return }
        quad(rect, colors: (color, color, color, color))
    }

    mutating func verticalGradient(_ rect: Rect, top: Color, bottom: Color) {
        quad(rect, colors: (top, top, bottom, bottom))
    }

    mutating func horizontalGradient(_ rect: Rect, left: Color, right: Color) {
        quad(rect, colors: (left, right, left, right))
    }

    /// An outline `thickness` pixels wide, inside `rect`.
    mutating func stroke(_ rect: Rect, _ color: Color, thickness: Float = 1) {
        fill(Rect(rect.x, rect.y, rect.w, thickness), color)
        fill(Rect(rect.x, rect.maxY - thickness, rect.w, thickness), color)
        fill(Rect(rect.x, rect.y + thickness, thickness, rect.h - 2 * thickness), color)
        fill(Rect(rect.maxX - thickness, rect.y + thickness, thickness, rect.h - 2 * thickness), color)
    }

    /// L-shaped brackets at the four corners: the HUD's frame motif.
    mutating func corners(_ rect: Rect, length: Float, thickness: Float, _ color: Color) {
        let l = min(length, rect.w / 2, rect.h / 2), t = thickness
        fill(Rect(rect.x, rect.y, l, t), color); fill(Rect(rect.x, rect.y, t, l), color)
        fill(Rect(rect.maxX - l, rect.y, l, t), color); fill(Rect(rect.maxX - t, rect.y, t, l), color)
        fill(Rect(rect.x, rect.maxY - t, l, t), color); fill(Rect(rect.x, rect.maxY - l, t, l), color)
        fill(Rect(rect.maxX - l, rect.maxY - t, l, t), color); fill(Rect(rect.maxX - t, rect.maxY - l, t, l), color)
    }

    /// A ring around (cx, cy), filled clockwise from 12 o'clock over `fraction` of a turn.
    mutating func ring(centerX cx: Float, centerY cy: Float, radius: Float, thickness: Float, fraction: Float, _ color: Color) {
        let rect = Rect(cx - radius, cy - radius, 2 * radius, 2 * radius)
        quad(rect, colors: (color, color, color, color), mode: .ring, uv: (-1, -1, 1, 1),
             params: (1 - thickness / radius, min(max(fraction, 0), 1), 0))
    }

    mutating func backdrop(width: Float, height: Float, pitch: Float) {
        let top = Theme.background.mix(Color(hex: 0x0A1A24), 0.6), bottom = Theme.background
        quad(Rect(0, 0, width, height), colors: (top, top, bottom, bottom), mode: .backdrop, params: (pitch, 0, 0))
    }

    mutating func scanlines(width: Float, height: Float, pitch: Float, sweepRow: Float) {
        let clear = Color(0, 0, 0, 0)
        quad(Rect(0, 0, width, height), colors: (clear, clear, clear, clear), mode: .scanlines, params: (pitch, sweepRow, 0))
    }

    // MARK: - Text

    /// Draws `text` with its top-left at (x, y); returns the width drawn. With `maxWidth`, text
    /// that would not fit ends in "…".
    @discardableResult
    mutating func text(_ text: String, x: Float, y: Float, face: FontFace, _ color: Color, maxWidth: Float? = nil) -> Float {
        let advance = Float(face.advance)
        var scalars = Array(text.unicodeScalars)
        if let maxWidth {
            let fits = max(0, Int(maxWidth / advance))
            if scalars.count > fits {
                scalars = fits > 0 ? Array(scalars.prefix(fits - 1)) + ["…"] : []
            }
        }
        var pen = x
        for scalar in scalars {
            if scalar != " " { glyph(scalar, x: pen, y: y, face: face, color) }
            pen += advance
        }
        return pen - x
    }

    /// Draws `text` right-aligned so it ends at `right`.
    @discardableResult
    mutating func textRight(_ text: String, right: Float, y: Float, face: FontFace, _ color: Color) -> Float {
        let width = Float(text.unicodeScalars.count * face.advance)
        return self.text(text, x: right - width, y: y, face: face, color)
    }

    mutating func glyph(_ scalar: Unicode.Scalar, x: Float, y: Float, face: FontFace, _ color: Color) {
        let font = atlas.fonts[face.fontIndex]
        let glyph = font.glyph(for: scalar)
        let (tx, ty) = atlas.texel(font: face.fontIndex, glyph: glyph)
        let rect = Rect(x.rounded(.down), y.rounded(.down), Float(font.width * face.scale), Float(font.height * face.scale))
        quad(rect, colors: (color, color, color, color), mode: .glyph,
             uv: (Float(tx), Float(ty), Float(tx + font.width), Float(ty + font.height)))
    }
}
