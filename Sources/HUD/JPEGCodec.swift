import CTurboJPEG
import Foundation

/// JPEG through libjpeg-turbo's TurboJPEG API (errors come back as return values, never as a
/// longjmp): the frames of the server's MJPEG stream, and decoding them in tests.
public enum JPEGCodec {
    /// Encodes `image` (alpha dropped) at `quality` 1...100, 4:2:0, the fast DCT.
    public static func encode(_ image: RGBAImage, quality: Int = 80) throws -> Data {
        guard let handle = tjInitCompress() else { throw HUDError.jpegFailed(reason: lastError(nil)) }
        defer { tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            tjCompress2(handle, pixels.baseAddress, Int32(image.width), Int32(image.width * 4), Int32(image.height),
                        Int32(TJPF_RGBA.rawValue), &buffer, &size, Int32(TJSAMP_420.rawValue),
                        Int32(min(100, max(1, quality))), TJFLAG_FASTDCT)
        }
        defer { if let buffer { tjFree(buffer) } }
        guard status == 0, let buffer else { throw HUDError.jpegFailed(reason: lastError(handle)) }
        return Data(bytes: buffer, count: Int(size))
    }

    /// Decodes a JPEG into RGBA (alpha 255).
    public static func decode(_ data: Data) throws -> RGBAImage {
        guard let handle = tjInitDecompress() else { throw HUDError.jpegFailed(reason: lastError(nil)) }
        defer { tjDestroy(handle) }
        return try data.withUnsafeBytes { raw -> RGBAImage in
            let bytes = raw.bindMemory(to: UInt8.self).baseAddress
            var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
            guard tjDecompressHeader3(handle, bytes, UInt(data.count), &width, &height, &subsampling, &colorspace) == 0,
                  width > 0, height > 0 else {
                throw HUDError.jpegFailed(reason: lastError(handle))
            }
            var image = RGBAImage(width: Int(width), height: Int(height))
            let status = image.pixels.withUnsafeMutableBufferPointer { pixels in
                tjDecompress2(handle, bytes, UInt(data.count), pixels.baseAddress, width, width * 4, height,
                              Int32(TJPF_RGBA.rawValue), 0)
            }
            guard status == 0 else { throw HUDError.jpegFailed(reason: lastError(handle)) }
            return image
        }
    }

    private static func lastError(_ handle: tjhandle?) -> String {
        guard let message = tjGetErrorStr2(handle) else { return "unknown TurboJPEG error" }
        return String(cString: message)
    }
}
