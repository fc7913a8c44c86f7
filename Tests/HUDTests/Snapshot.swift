import Foundation
import XCTest
@testable import HUD

/// Golden-image comparison for HUD frames. A channel may differ by `tolerance` (drivers round
/// blends and gradients slightly differently); at most `allowedFraction` of the pixels may
/// exceed it. On failure the actual frame and a diff image are written to a temporary folder
/// and their paths printed. GPTOSS_GL_UPDATE_GOLDENS=1 rewrites the goldens instead.
enum Snapshot {
    static let tolerance = 12
    static let allowedFraction = 0.002

    static var updating: Bool { ProcessInfo.processInfo.environment["GPTOSS_GL_UPDATE_GOLDENS"] == "1" }

    static let failureDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("gptoss-gl-hud-snapshots")

    struct Difference {
        var pixelsOver: Int
        var maxChannelDelta: Int
        var diff: RGBAImage
    }

    static func compare(_ actual: RGBAImage, _ expected: RGBAImage) -> Difference {
        var diff = RGBAImage(width: actual.width, height: actual.height)
        var over = 0, maxDelta = 0
        for pixel in 0..<(actual.width * actual.height) {
            var worst = 0
            for channel in 0..<4 {
                let index = pixel * 4 + channel
                worst = max(worst, abs(Int(actual.pixels[index]) - Int(expected.pixels[index])))
            }
            maxDelta = max(maxDelta, worst)
            // Diff image: the expected frame dimmed, pixels over tolerance in red, near misses in yellow.
            let base = UInt8(Int(expected.pixels[pixel * 4 + 1]) / 4)
            let (r, g, b): (UInt8, UInt8, UInt8) = worst > tolerance ? (255, 0, 0) : worst > 0 ? (255, 220, 0) : (base, base, base)
            diff.pixels[pixel * 4] = r; diff.pixels[pixel * 4 + 1] = g; diff.pixels[pixel * 4 + 2] = b; diff.pixels[pixel * 4 + 3] = 255
            if worst > tolerance { over += 1 }
        }
        return Difference(pixelsOver: over, maxChannelDelta: maxDelta, diff: diff)
    }

    /// Drivers whose rasterisation of thin features (glyph and gauge edges) differs beyond the
    /// tolerance on some frames keep their own goldens for those frames, in Golden/<driver>/
    /// (docs/fuzzing.md, "A second driver"); every other frame is compared with the shared one.
    static let driversWithOwnGoldens = ["softpipe"]

    /// The golden `name` for the renderer running the tests: its driver's own, where one exists,
    /// else the shared one (llvmpipe's). Recording (GPTOSS_GL_UPDATE_GOLDENS=1) on such a driver
    /// writes its own folder, never the shared goldens; keep only the frames that differ.
    static func goldenPath(_ name: String) throws -> String {
        let renderer = try HUDTestSupport.context().limits.renderer.lowercased()
        let shared = HUDTestSupport.goldens.appendingPathComponent(name + ".png").path
        guard let driver = driversWithOwnGoldens.first(where: renderer.contains) else { return shared }
        let own = HUDTestSupport.goldens.appendingPathComponent(driver).appendingPathComponent(name + ".png").path
        return updating || FileManager.default.fileExists(atPath: own) ? own : shared
    }

    static func assertMatches(_ actual: RGBAImage, golden name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let goldenPath = try goldenPath(name)
        if updating {
            try PNGFile.write(actual, to: goldenPath, fast: false)
            print("updated golden \(goldenPath)")
            return
        }
        guard FileManager.default.fileExists(atPath: goldenPath) else {
            let actualPath = try writeFailure(actual, name: name + ".actual")
            XCTFail("no golden \(goldenPath); the frame is at \(actualPath). Run with GPTOSS_GL_UPDATE_GOLDENS=1 to record it.", file: file, line: line)
            return
        }
        let expected = try PNGFile.read(path: goldenPath)
        guard expected.width == actual.width, expected.height == actual.height else {
            let actualPath = try writeFailure(actual, name: name + ".actual")
            XCTFail("\(name): golden is \(expected.width)x\(expected.height), frame is \(actual.width)x\(actual.height); frame at \(actualPath)", file: file, line: line)
            return
        }
        let difference = compare(actual, expected)
        let limit = Int(Double(actual.width * actual.height) * allowedFraction)
        if difference.pixelsOver > limit {
            let actualPath = try writeFailure(actual, name: name + ".actual")
            let diffPath = try writeFailure(difference.diff, name: name + ".diff")
            XCTFail("""
                \(name): \(difference.pixelsOver) pixels differ by more than \(tolerance) (allowed \(limit)); max delta \(difference.maxChannelDelta).
                  golden: \(goldenPath)
                  actual: \(actualPath)
                  diff:   \(diffPath)
                If the change is intended, rerun with GPTOSS_GL_UPDATE_GOLDENS=1.
                """, file: file, line: line)
        }
    }

    private static func writeFailure(_ image: RGBAImage, name: String) throws -> String {
        try FileManager.default.createDirectory(at: failureDirectory, withIntermediateDirectories: true)
        let path = failureDirectory.appendingPathComponent(name + ".png").path
        try PNGFile.write(image, to: path)
        print("wrote \(path)")
        return path
    }
}
