import XCTest
@testable import HUD

final class BitmapFontTests: XCTestCase {
    func testShippedFontsLoadWithTheirSizes() throws {
        let fonts = try HUDFonts.load(from: HUDTestSupport.fontsDirectory)
        XCTAssertEqual(fonts.map { "\($0.width)x\($0.height)" }, ["6x12", "8x16", "8x16", "12x24", "12x24", "16x32"])
    }

    func testGlyphsHaveInkWhereLettersDo() throws {
        let font = try BitmapFont(path: HUDTestSupport.fontsDirectory + "/hud-mono-8x16.hudfont")
        func ink(_ scalar: Unicode.Scalar) -> Int {
            let glyph = font.glyph(for: scalar)
            return (0..<font.height).reduce(0) { sum, y in sum + (0..<font.width).filter { font.pixel(glyph: glyph, x: $0, y: y) }.count }
        }
        XCTAssertEqual(ink(" "), 0)
        XCTAssertGreaterThan(ink("A"), 10)
        XCTAssertGreaterThan(ink("█"), ink("A"))
        XCTAssertNotEqual(font.glyph(for: "A"), font.glyph(for: "B"))
        // A character the font lacks falls back to the replacement glyph, not to a blank.
        XCTAssertEqual(font.glyph(for: "漢"), font.fallbackGlyph)
        XCTAssertGreaterThan(ink("漢"), 0)
    }

    func testDamagedFontIsAClearError() throws {
        let path = try HUDTestSupport.temporaryDirectory(self).appendingPathComponent("bad.hudfont").path
        try Data("HUDFONT1\u{8}\0\u{10}\0".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try BitmapFont(path: path)) { error in
            XCTAssertTrue(error.localizedDescription.contains("make_font.py"), error.localizedDescription)
        }
        XCTAssertThrowsError(try BitmapFont(path: path + ".missing")) { error in
            XCTAssertEqual(error as? HUDError, .fontMissing(path: path + ".missing"))
        }
    }
}
