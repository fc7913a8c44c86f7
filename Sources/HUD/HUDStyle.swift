import Foundation
import Telemetry

/// Sizes and faces for one frame size: everything scales with the frame, and fonts step between
/// the atlas's sizes so glyphs stay pixel-exact.
struct HUDStyle {
    let scale: Float
    let body: FontFace
    let bold: FontFace
    let small: FontFace
    let big: FontFace
    let pad: Float
    let gap: Float
    let line: Float
    let thin: Float

    init(size: FrameSize, atlas: FontAtlas) {
        scale = min(Float(size.width) / 1280, Float(size.height) / 720)
        func face(_ index: Int, _ scale: Int) -> FontFace {
            let font = atlas.fonts[index]
            return FontFace(fontIndex: index, scale: scale, advance: font.width * scale, lineHeight: font.height * scale)
        }
        // Font indices follow HUDFonts.names: 6x12, 8x16, bold 8x16, 12x24, bold 12x24, bold 16x32.
        if scale < 0.75 {
            body = face(0, 1); bold = face(0, 1); small = face(0, 1); big = face(2, 1)
        } else if scale < 1.25 {
            body = face(1, 1); bold = face(2, 1); small = face(0, 1); big = face(5, 1)
        } else {
            body = face(3, 1); bold = face(4, 1); small = face(1, 1); big = face(4, 2)
        }
        pad = max(3, (8 * scale).rounded())
        gap = max(3, (8 * scale).rounded())
        line = Float(body.lineHeight) + max(1, (3 * scale).rounded())
        thin = max(1, scale.rounded(.down))
    }

    /// Pixels a string takes in `face`.
    func width(_ text: String, _ face: FontFace) -> Float { Float(text.unicodeScalars.count * face.advance) }
}

/// Small deterministic pseudo-random numbers for decoration (signal meters), so frames depend
/// only on state and time.
enum Jitter {
    static func value(_ a: Int, _ b: Int) -> Float {
        var x = UInt64(bitPattern: Int64(a &* 73_856_093 ^ b &* 19_349_663)) &+ 0x9E37_79B9_7F4A_7C15
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        x ^= x >> 31
        return Float(x % 10_000) / 10_000
    }
}

/// Number formats used across panels.
enum Format {
    static func bytes(_ value: Int) -> String { ByteCount.format(value) }

    static func ms(_ value: Double) -> String {
        value >= 1000 ? String(format: "%.2fs", value / 1000) : value >= 10 ? String(format: "%.0fms", value) : String(format: "%.1fms", value)
    }

    static func clock(_ seconds: Double) -> String {
        let clamped = max(0, seconds)
        let minutes = Int(clamped / 60)
        return String(format: "%02d:%06.3f", minutes, clamped - Double(minutes * 60))
    }

    static func shape(_ shape: [Int]) -> String { shape.map(String.init).joined(separator: "×") }

    /// A token piece made visible: newlines and tabs as symbols, control bytes as dots.
    static func visible(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "↵"
            case "\t": out += "→"
            case " ": out += "·"
            default: out.unicodeScalars.append(scalar.value < 0x20 ? "." : scalar)
            }
        }
        return out
    }
}
