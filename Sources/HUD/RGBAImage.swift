/// A frame: width × height pixels, 4 bytes each (R, G, B, A), top row first.
public struct RGBAImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 4, "an RGBA image needs width × height × 4 bytes")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public init(width: Int, height: Int) {
        self.init(width: width, height: height, pixels: [UInt8](repeating: 0, count: width * height * 4))
    }
}

/// A frame size in pixels, parsed from "1280x720".
public struct FrameSize: Sendable, Equatable, CustomStringConvertible {
    public let width: Int
    public let height: Int

    public static let hd = FrameSize(width: 1280, height: 720)

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// Parses "WxH"; nil when malformed.
    public init?(parsing text: String) {
        let parts = text.lowercased().split(separator: "x")
        guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]) else { return nil }
        self.init(width: width, height: height)
    }

    public var description: String { "\(width)x\(height)" }

    /// Throws unless both sides are even and within 64...limit (encoders need even sizes).
    public func validate(limit: Int = 8192) throws {
        guard width >= 64, height >= 64, width <= limit, height <= limit, width % 2 == 0, height % 2 == 0 else {
            throw HUDError.badFrameSize(width: width, height: height, limit: limit)
        }
    }
}
