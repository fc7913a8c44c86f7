import Foundation

/// A fixed-width bitmap font read from Assets/fonts (*.hudfont, written by scripts/make_font.py).
public struct BitmapFont: Sendable {
    public let name: String
    public let width: Int
    public let height: Int
    let glyphCount: Int
    /// `glyphCount` bitmaps of `height` rows, `rowBytes` bytes a row, leftmost pixel in the top bit.
    let bitmaps: [UInt8]
    let glyphByCodePoint: [UInt32: Int]
    let fallbackGlyph: Int

    var rowBytes: Int { (width + 7) / 8 }

    /// Characters the font lacks, drawn as a close relative instead of the replacement glyph.
    private static let substitutes: [Character: Character] = ["✓": "√", "✔": "√", "⚠": "!"]

    public init(path: String) throws {
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HUDError.fontMissing(path: path)
        }
        try self.init(name: name, data: data, path: path)
    }

    init(name: String, data: Data, path: String) throws {
        let bytes = [UInt8](data)
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        guard bytes.count >= 20, bytes[0..<8].elementsEqual("HUDFONT1".utf8) else {
            throw HUDError.badFont(path: path, reason: "it does not start with HUDFONT1")
        }
        let width = u16(8), height = u16(10), glyphCount = u32(12), mapCount = u32(16)
        let rowBytes = (width + 7) / 8
        let bitmapBytes = glyphCount * height * rowBytes
        guard width > 0, height > 0, glyphCount > 0, bytes.count == 20 + bitmapBytes + mapCount * 8 else {
            throw HUDError.badFont(path: path, reason: "its size does not match its header (\(width)x\(height), \(glyphCount) glyphs, \(mapCount) code points)")
        }
        var map: [UInt32: Int] = [:]
        var offset = 20 + bitmapBytes
        for _ in 0..<mapCount {
            let glyph = u32(offset + 4)
            guard glyph < glyphCount else {
                throw HUDError.badFont(path: path, reason: "code point table points past glyph \(glyphCount)")
            }
            map[UInt32(u32(offset))] = glyph
            offset += 8
        }
        self.name = name
        self.width = width
        self.height = height
        self.glyphCount = glyphCount
        self.bitmaps = Array(bytes[20..<(20 + bitmapBytes)])
        self.glyphByCodePoint = map
        self.fallbackGlyph = map[0xFFFD] ?? map[UInt32(UInt8(ascii: "?"))] ?? 0
    }

    /// The glyph drawn for `scalar`: its own, a substitute's, or the replacement glyph.
    func glyph(for scalar: Unicode.Scalar) -> Int {
        if let glyph = glyphByCodePoint[scalar.value] { return glyph }
        if let substitute = Self.substitutes[Character(scalar)]?.unicodeScalars.first,
           let glyph = glyphByCodePoint[substitute.value] {
            return glyph
        }
        return fallbackGlyph
    }

    func pixel(glyph: Int, x: Int, y: Int) -> Bool {
        let byte = bitmaps[(glyph * height + y) * rowBytes + x / 8]
        return byte & (0x80 >> UInt8(x % 8)) != 0
    }
}
