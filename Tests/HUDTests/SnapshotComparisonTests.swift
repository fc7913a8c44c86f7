import XCTest
@testable import HUD

/// The golden comparison itself must catch real changes and forgive driver rounding.
final class SnapshotComparisonTests: XCTestCase {
    func testSmallRoundingPassesAndARealChangeFails() throws {
        let golden = try PNGFile.read(path: HUDTestSupport.goldens.appendingPathComponent("generating-640x360.png").path)
        var rounded = golden
        for index in stride(from: 0, to: rounded.pixels.count, by: 7) { rounded.pixels[index] = rounded.pixels[index] > 250 ? rounded.pixels[index] - 3 : rounded.pixels[index] + 3 }
        let gentle = Snapshot.compare(rounded, golden)
        XCTAssertEqual(gentle.pixelsOver, 0)

        var changed = golden
        // Blank out a 40×40 block, as a missing panel or glyph run would.
        for y in 100..<140 { for x in 200..<240 { for c in 0..<3 { changed.pixels[(y * golden.width + x) * 4 + c] = 0 } } }
        let real = Snapshot.compare(changed, golden)
        XCTAssertGreaterThan(real.pixelsOver, Int(Double(golden.width * golden.height) * Snapshot.allowedFraction))
        XCTAssertEqual(real.diff.pixels[(120 * golden.width + 220) * 4], 255, "changed pixels are red in the diff")
    }
}
