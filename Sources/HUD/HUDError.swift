import Foundation

/// What can go wrong drawing or recording the HUD.
public enum HUDError: LocalizedError, Equatable {
    case fontMissing(path: String)
    case badFont(path: String, reason: String)
    case assetsNotFound(searched: [String])
    case framebufferIncomplete(status: String)
    case glError(operation: String, code: String)
    case badFrameSize(width: Int, height: Int, limit: Int)
    case pngWriteFailed(path: String, reason: String)
    case pngReadFailed(path: String, reason: String)
    case cannotCreateOutput(path: String, reason: String)
    case ffmpegFailed(path: String, status: Int32, log: String)
    case ffmpegPipeFailed(path: String, reason: String)
    case badOutputName(path: String)
    case badSchedule(fps: Double, from: Double, to: Double?)
    case jpegFailed(reason: String)

    public var errorDescription: String? {
        switch self {
        case .fontMissing(let path):
            return "HUD font \(path) is missing. Set GPTOSS_GL_HOME to the gptoss-gl checkout (it holds Assets/fonts)."
        case .badFont(let path, let reason):
            return "HUD font \(path) is damaged: \(reason). Regenerate it with scripts/make_font.py."
        case .assetsNotFound(let searched):
            return "cannot find the HUD fonts (Assets/fonts); looked in: \(searched.joined(separator: ", ")). Set GPTOSS_GL_HOME to the gptoss-gl checkout."
        case .framebufferIncomplete(let status):
            return "the HUD's offscreen framebuffer is incomplete (\(status)). The driver may not render to RGBA8 textures."
        case .glError(let operation, let code):
            return "GL error \(code) during HUD \(operation)."
        case .badFrameSize(let width, let height, let limit):
            return "frame size \(width)x\(height) is not usable: both sides must be 64...\(limit) pixels and even (video encoders need even sizes)."
        case .pngWriteFailed(let path, let reason):
            return "cannot write PNG \(path): \(reason). Check that the folder is writable and the disk is not full."
        case .pngReadFailed(let path, let reason):
            return "cannot read PNG \(path): \(reason)."
        case .cannotCreateOutput(let path, let reason):
            return "cannot create recording output \(path): \(reason)."
        case .ffmpegFailed(let path, let status, let log):
            return "ffmpeg exited with status \(status) while writing \(path). Its last words:\n\(log)"
        case .ffmpegPipeFailed(let path, let reason):
            return "lost the pipe to ffmpeg while writing \(path): \(reason)."
        case .badSchedule(let fps, let from, let to):
            return "cannot record at \(fps) fps from \(from) s to \(to.map { "\($0) s" } ?? "the end"): fps must be 0...240 and from must not be after to."
        case .jpegFailed(let reason):
            return "JPEG encoding or decoding failed (libjpeg-turbo): \(reason)."
        case .badOutputName(let path):
            return "\(path): a recording goes to a folder (PNG frames) or a .mp4/.webm file; other extensions are not supported."
        }
    }
}
