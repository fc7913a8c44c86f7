import CPNG
import Foundation

/// PNG files through libpng's simplified API, which reports errors by return value (the classic
/// API longjmps, which Swift frames must never see).
public enum PNGFile {
    // Header macros Swift cannot import (they are expressions of other macros).
    private static let formatRGBA: UInt32 = 0x03   // PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA
    private static let flagFast: UInt32 = 0x02     // PNG_IMAGE_FLAG_FAST: less compression, more speed

    /// Writes `image` to `path` through a temporary file and a rename, so a failed write never
    /// leaves a half-written PNG under the final name. `fast` trades file size for speed.
    public static func write(_ image: RGBAImage, to path: String, fast: Bool = true) throws {
        let temporary = path + ".partial"
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = UInt32(image.width)
        png.height = UInt32(image.height)
        png.format = formatRGBA
        png.flags = fast ? flagFast : 0
        let ok = image.pixels.withUnsafeBytes { bytes in
            png_image_write_to_file(&png, temporary, 0, bytes.baseAddress, Int32(image.width * 4), nil)
        }
        if ok == 0 {
            let reason = message(&png)
            png_image_free(&png)
            unlink(temporary)
            throw HUDError.pngWriteFailed(path: path, reason: reason)
        }
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw HUDError.pngWriteFailed(path: path, reason: reason)
        }
    }

    /// `image` as PNG bytes in memory (for a web server's /hud.png).
    public static func encode(_ image: RGBAImage, fast: Bool = true) throws -> Data {
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = UInt32(image.width)
        png.height = UInt32(image.height)
        png.format = formatRGBA
        png.flags = fast ? flagFast : 0
        // The first call sizes the buffer (an upper bound), the second writes it.
        var size = 0
        let sized = image.pixels.withUnsafeBytes { bytes in
            png_image_write_to_memory(&png, nil, &size, 0, bytes.baseAddress, Int32(image.width * 4), nil)
        }
        guard sized != 0, size > 0 else {
            let reason = message(&png)
            png_image_free(&png)
            throw HUDError.pngWriteFailed(path: "(memory)", reason: reason)
        }
        var data = Data(count: size)
        let ok = data.withUnsafeMutableBytes { out in
            image.pixels.withUnsafeBytes { bytes in
                png_image_write_to_memory(&png, out.baseAddress, &size, 0, bytes.baseAddress, Int32(image.width * 4), nil)
            }
        }
        guard ok != 0 else {
            let reason = message(&png)
            png_image_free(&png)
            throw HUDError.pngWriteFailed(path: "(memory)", reason: reason)
        }
        return data.prefix(size)
    }

    /// Reads any PNG as 8-bit RGBA.
    public static func read(path: String) throws -> RGBAImage {
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&png, path) != 0 else {
            let reason = message(&png)
            png_image_free(&png)
            throw HUDError.pngReadFailed(path: path, reason: reason)
        }
        png.format = formatRGBA
        let width = Int(png.width), height = Int(png.height)
        var pixels = [UInt8](repeating: 0, count: width * height * 4)
        let ok = pixels.withUnsafeMutableBytes { bytes in
            png_image_finish_read(&png, nil, bytes.baseAddress, Int32(width * 4), nil)
        }
        guard ok != 0 else {
            let reason = message(&png)
            png_image_free(&png)
            throw HUDError.pngReadFailed(path: path, reason: reason)
        }
        return RGBAImage(width: width, height: height, pixels: pixels)
    }

    private static func message(_ png: inout png_image) -> String {
        withUnsafeBytes(of: &png.message) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
