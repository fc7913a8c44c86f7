import Foundation

/// All HUD fonts packed into one single-channel texture image, 32 glyphs a row per font,
/// fonts stacked top to bottom.
struct FontAtlas {
    static let columns = 32

    let fonts: [BitmapFont]
    /// Top row of each font's block in the atlas.
    let origins: [Int]
    let width: Int
    let height: Int
    /// width × height coverage bytes, 0 or 255.
    let pixels: [UInt8]

    init(fonts: [BitmapFont]) {
        var origins: [Int] = []
        var top = 0
        var width = 0
        for font in fonts {
            origins.append(top)
            top += (font.glyphCount + Self.columns - 1) / Self.columns * font.height
            width = max(width, Self.columns * font.width)
        }
        var pixels = [UInt8](repeating: 0, count: width * top)
        for (font, origin) in zip(fonts, origins) {
            for glyph in 0..<font.glyphCount {
                let left = glyph % Self.columns * font.width
                let row = origin + glyph / Self.columns * font.height
                for y in 0..<font.height {
                    for x in 0..<font.width where font.pixel(glyph: glyph, x: x, y: y) {
                        pixels[(row + y) * width + left + x] = 255
                    }
                }
            }
        }
        self.fonts = fonts
        self.origins = origins
        self.width = width
        self.height = top
        self.pixels = pixels
    }

    /// Top-left texel of `glyph` of font `index`.
    func texel(font index: Int, glyph: Int) -> (x: Int, y: Int) {
        let font = fonts[index]
        return (glyph % Self.columns * font.width, origins[index] + glyph / Self.columns * font.height)
    }
}

/// The faces the HUD uses, each a font of the atlas drawn at an integer scale so pixels stay sharp.
public struct FontFace: Sendable, Equatable {
    let fontIndex: Int
    let scale: Int
    public let advance: Int
    public let lineHeight: Int
}

/// The fonts the HUD loads, by name (files under Assets/fonts).
enum HUDFonts {
    static let names = ["hud-mono-6x12", "hud-mono-8x16", "hud-mono-bold-8x16", "hud-mono-12x24",
                        "hud-mono-bold-12x24", "hud-mono-bold-16x32"]

    static func load(from directory: String) throws -> [BitmapFont] {
        try names.map { try BitmapFont(path: directory + "/" + $0 + ".hudfont") }
    }
}
