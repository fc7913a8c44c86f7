import Foundation

/// Where recorded frames go: numbered PNGs in a folder, or a video through ffmpeg.
public protocol FrameOutput: AnyObject {
    /// Takes frame `index` (0, 1, 2, … in order).
    func write(_ frame: RGBAImage, index: Int) throws
    /// Flushes and closes; afterwards the output is complete under its final name.
    func finish() throws
    /// Where the frames ended up, for the user.
    var destination: String { get }
}

/// Frames as `frame-000000.png`, … in a folder (created if needed). Earlier frames of that
/// pattern in the folder are removed first so a shorter recording never mixes with an old one.
public final class PNGSequenceOutput: FrameOutput {
    public let directory: String
    public var destination: String { directory }

    public init(directory: String) throws {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for name in try FileManager.default.contentsOfDirectory(atPath: directory) where Self.isFrameName(name) {
                try FileManager.default.removeItem(atPath: directory + "/" + name)
            }
        } catch {
            throw HUDError.cannotCreateOutput(path: directory, reason: (error as NSError).localizedDescription)
        }
    }

    public static func frameName(_ index: Int) -> String { String(format: "frame-%06d.png", index) }

    static func isFrameName(_ name: String) -> Bool {
        name.count == 16 && name.hasPrefix("frame-") && name.hasSuffix(".png") && name.dropFirst(6).prefix(6).allSatisfy(\.isNumber)
    }

    public func write(_ frame: RGBAImage, index: Int) throws {
        try PNGFile.write(frame, to: directory + "/" + Self.frameName(index))
    }

    public func finish() throws {}
}

/// Opens the output a `--record`/`--out` argument names: a .mp4 or .webm file goes to ffmpeg; an
/// existing folder, a name ending in "/", or a name with no extension or one that starts with a
/// digit (e.g. "frames-0.5") is a folder of PNGs. Without ffmpeg a video request keeps PNG
/// frames in `<name>-frames/` and says so through `warn`.
public enum RecordingOutput {
    public static func open(_ path: String, size: FrameSize, fps: Double, ffmpeg: FFmpegLocation = FFmpegLocation(),
                            warn: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) throws -> FrameOutput {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        let existingFolder = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
        let suffix = url.pathExtension.lowercased()
        // A name like "frames-0.5" is a folder; one like "run.gif" is a file type we cannot write.
        let looksLikeFileType = suffix.first?.isLetter ?? false
        switch existingFolder || path.hasSuffix("/") ? "" : suffix {
        case let other where other.isEmpty || !looksLikeFileType:
            return try PNGSequenceOutput(directory: path)
        case "mp4", "webm":
            let container = url.pathExtension.lowercased() == "mp4" ? FFmpegVideoOutput.Container.mp4 : .webm
            guard let ffmpeg = FFmpegVideoOutput.findExecutable(ffmpeg) else {
                let folder = url.deletingPathExtension().path + "-frames"
                warn("ffmpeg not found (install the Debian package ffmpeg, or set GPTOSS_GL_FFMPEG); keeping PNG frames in \(folder) instead of \(path)")
                return try PNGSequenceOutput(directory: folder)
            }
            return try FFmpegVideoOutput(path: path, executable: ffmpeg, container: container, size: size, fps: fps)
        default:
            throw HUDError.badOutputName(path: path)
        }
    }
}
