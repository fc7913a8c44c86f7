import Foundation
import XCTest
@testable import HUD
import Telemetry

/// JPEG and in-memory PNG of HUD frames (the server's dashboard), and the latest-frame store.
final class JPEGAndFrameStoreTests: XCTestCase {
    private func frame(at time: Double) throws -> RGBAImage {
        let events = try HUDTestSupport.events("run.jsonl")
        return try HUDTestSupport.renderer().render(HUDState(events: events, upTo: time), time: time,
                                                    size: FrameSize(width: 320, height: 180))
    }

    func testJPEGRoundTripIsClose() throws {
        let image = try frame(at: 9.5)
        let jpeg = try JPEGCodec.encode(image, quality: 90)
        XCTAssertEqual(Array(jpeg.prefix(2)), [0xFF, 0xD8], "a JPEG starts with SOI")
        XCTAssertLessThan(jpeg.count, image.pixels.count / 4)
        let decoded = try JPEGCodec.decode(jpeg)
        XCTAssertEqual(decoded.width, image.width)
        XCTAssertEqual(decoded.height, image.height)
        var total = 0
        for index in stride(from: 0, to: image.pixels.count, by: 4) {
            for channel in 0..<3 { total += abs(Int(image.pixels[index + channel]) - Int(decoded.pixels[index + channel])) }
        }
        let mean = Double(total) / Double(image.width * image.height * 3)
        XCTAssertLessThan(mean, 12, "mean channel error of a quality-90 JPEG of thin lines and text")
        XCTAssertGreaterThan(mean, 0, "lossy: not the same bytes")
    }

    func testDamagedJPEGIsAnError() {
        XCTAssertThrowsError(try JPEGCodec.decode(Data([0xFF, 0xD8, 0x00, 0x01, 0x02]))) { error in
            XCTAssertTrue(error.localizedDescription.contains("JPEG"), error.localizedDescription)
        }
    }

    func testPNGInMemoryEqualsTheFrame() throws {
        let image = try frame(at: 3.0)
        let data = try PNGFile.encode(image)
        let path = try HUDTestSupport.temporaryDirectory(self).appendingPathComponent("f.png").path
        try data.write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try PNGFile.read(path: path), image)
    }

    /// A synthetic frame (async tests hop threads; the GL context belongs to the test thread).
    private func pattern(_ seed: Int) -> RGBAImage {
        var image = RGBAImage(width: 320, height: 180)
        for index in 0..<image.pixels.count { image.pixels[index] = UInt8((index / 4 * 7 + seed * 31) % 256) }
        return image
    }

    func testStoreHandsOutNewerFrames() async throws {
        let store = LiveFrameStore()
        let none = await store.next(after: nil, timeout: 0.05)
        XCTAssertNil(none)
        XCTAssertNil(try store.latestPNG())
        try store.put(pattern(1), time: 2.0)
        let first = await store.next(after: nil, timeout: 1)
        XCTAssertEqual(first?.index, 1)
        let stale = await store.next(after: 1, timeout: 0.05)
        XCTAssertNil(stale, "no frame newer than 1 yet")
        let later = pattern(2)
        Task.detached { try? await Task.sleep(nanoseconds: 50_000_000); try? store.put(later, time: 9.0) }
        let second = await store.next(after: 1, timeout: 5)
        XCTAssertEqual(second?.index, 2)
        XCTAssertEqual(second?.time, 9.0)
        XCTAssertEqual(try JPEGCodec.decode(try XCTUnwrap(second?.jpeg)).width, 320)
        let png = try XCTUnwrap(try store.latestPNG())
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
    }
}
