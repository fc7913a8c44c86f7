/// An RGBA colour, components 0...1 (straight alpha).
public struct Color: Sendable, Equatable {
    public var r: Float, g: Float, b: Float, a: Float

    public init(_ r: Float, _ g: Float, _ b: Float, _ a: Float = 1) {
        self.r = r; self.g = g; self.b = b; self.a = a
    }

    /// From 0xRRGGBB.
    public init(hex: UInt32, alpha: Float = 1) {
        self.init(Float((hex >> 16) & 0xFF) / 255, Float((hex >> 8) & 0xFF) / 255, Float(hex & 0xFF) / 255, alpha)
    }

    public func alpha(_ value: Float) -> Color { Color(r, g, b, value) }

    /// Mixes toward `other` by `amount` (0 = self, 1 = other).
    public func mix(_ other: Color, _ amount: Float) -> Color {
        let t = min(max(amount, 0), 1)
        return Color(r + (other.r - r) * t, g + (other.g - g) * t, b + (other.b - b) * t, a + (other.a - a) * t)
    }
}

/// The HUD's palette: a dark blue-black field, cyan for the machine, amber for attention,
/// red for faults.
enum Theme {
    static let background = Color(hex: 0x05090E)
    static let panel = Color(hex: 0x08131B, alpha: 0.88)
    static let panelHeader = Color(hex: 0x0C2430, alpha: 0.95)
    static let cyan = Color(hex: 0x3FE6FF)
    static let cyanDim = Color(hex: 0x1C7A8C)
    static let cyanFaint = Color(hex: 0x12434E)
    static let amber = Color(hex: 0xFFB547)
    static let amberDim = Color(hex: 0x8A5A1C)
    static let red = Color(hex: 0xFF4A5C)
    static let green = Color(hex: 0x6CFFB0)
    static let text = Color(hex: 0xCDEFF5)
    static let textDim = Color(hex: 0x6F95A0)
    static let analysis = Color(hex: 0xC9A86A)
    static let white = Color(1, 1, 1)
}
