import Foundation

/// The latest live HUD frame in memory, for a web dashboard: the live HUD's renderer puts each
/// frame here (encoded to JPEG on its thread, so no request handler pays for it), `/hud.png`
/// asks for it as PNG (encoded once per frame, on demand) and each MJPEG client waits for the
/// next frame it has not sent yet.
public final class LiveFrameStore: @unchecked Sendable {
    public struct Frame: Sendable {
        /// 1, 2, 3, … in the order frames were put.
        public let index: Int
        /// Run time the frame shows.
        public let time: Double
        public let jpeg: Data
        public let image: RGBAImage
    }

    public let quality: Int
    private let lock = NSLock()
    private var current: Frame?
    private var png: (index: Int, data: Data)?

    /// `quality`: JPEG quality 1...100.
    public init(quality: Int = 80) {
        self.quality = quality
    }

    /// Stores `image` as the current frame (call from the renderer thread: it encodes the JPEG).
    public func put(_ image: RGBAImage, time: Double) throws {
        let jpeg = try JPEGCodec.encode(image, quality: quality)
        lock.lock(); defer { lock.unlock() }
        current = Frame(index: (current?.index ?? 0) + 1, time: time, jpeg: jpeg, image: image)
    }

    public var latest: Frame? {
        lock.lock(); defer { lock.unlock() }
        return current
    }

    /// The current frame as PNG, nil before the first frame.
    public func latestPNG() throws -> Data? {
        guard let frame = latest else { return nil }
        lock.lock()
        if let png, png.index == frame.index { lock.unlock(); return png.data }
        lock.unlock()
        let data = try PNGFile.encode(frame.image)
        lock.lock(); defer { lock.unlock() }
        if (png?.index ?? 0) < frame.index { png = (frame.index, data) }
        return data
    }

    /// The first frame newer than `index` (any frame when nil), waiting up to `timeout` seconds;
    /// nil on timeout or when the task is cancelled (the client went away).
    public func next(after index: Int?, timeout: Double) async -> Frame? {
        let deadline = Date().addingTimeInterval(timeout)
        while !Task.isCancelled {
            if let frame = latest, frame.index > (index ?? 0) { return frame }
            if Date() >= deadline { return nil }
            // Frames come a few times a second at most: polling at 50 Hz costs nothing and keeps
            // the wait free of locks an event loop could block on.
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        return nil
    }
}
