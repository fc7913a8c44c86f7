import Foundation

/// Pipes raw RGBA frames into an ffmpeg child process that encodes H.264 (.mp4) or VP9 (.webm).
/// ffmpeg writes to a hidden partial file that is renamed only when it exits cleanly.
public final class FFmpegVideoOutput: FrameOutput {
    public enum Container { case mp4, webm }

    public let path: String
    public var destination: String { path }
    private let partialPath: String
    private let logPath: String
    private let process = Process()
    private let stdin = Pipe()
    private let frameBytes: Int
    private var closed = false

    /// `explicit` (GPTOSS_GL_FFMPEG) when given, else the first `ffmpeg` in `searchPath` (the
    /// executable passes PATH).
    public static func findExecutable(_ location: FFmpegLocation = FFmpegLocation()) -> String? {
        if let explicit = location.explicit, !explicit.isEmpty {
            return FileManager.default.isExecutableFile(atPath: explicit) ? explicit : nil
        }
        for folder in location.searchPath.split(separator: ":") {
            let candidate = String(folder) + "/ffmpeg"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    public init(path: String, executable: String, container: Container, size: FrameSize, fps: Double) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        partialPath = folder + "/." + url.deletingPathExtension().lastPathComponent + ".partial." + url.pathExtension
        logPath = folder + "/." + url.lastPathComponent + ".ffmpeg.log"
        frameBytes = size.width * size.height * 4
        guard FileManager.default.createFile(atPath: logPath, contents: nil) else {
            throw HUDError.cannotCreateOutput(path: path, reason: "cannot write in \(folder)")
        }
        // A dead ffmpeg must surface as a write error, not kill this process with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        let codec: [String]
        switch container {
        case .mp4: codec = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p", "-movflags", "+faststart"]
        case .webm: codec = ["-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "32", "-deadline", "realtime", "-cpu-used", "8",
                             "-row-mt", "1", "-pix_fmt", "yuv420p"]
        }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-hide_banner", "-loglevel", "error", "-y",
                             "-f", "rawvideo", "-pix_fmt", "rgba", "-s", "\(size.width)x\(size.height)",
                             "-r", String(format: "%g", fps), "-i", "-"] + codec + [partialPath]
        process.standardInput = stdin
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: logPath)
        do {
            try process.run()
        } catch {
            throw HUDError.cannotCreateOutput(path: path, reason: "cannot start \(executable): \(error.localizedDescription)")
        }
    }

    deinit {
        if !closed {
            try? stdin.fileHandleForWriting.close()
            process.waitUntilExit()
            unlink(partialPath)
        }
    }

    public func write(_ frame: RGBAImage, index: Int) throws {
        precondition(frame.pixels.count == frameBytes, "every frame of a video has the size it was opened with")
        let fd = stdin.fileHandleForWriting.fileDescriptor
        try frame.pixels.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    let reason = String(cString: strerror(errno))
                    throw HUDError.ffmpegPipeFailed(path: path, reason: reason + "; ffmpeg said: " + lastLog())
                }
                offset += written
            }
        }
    }

    public func finish() throws {
        guard !closed else { return }
        closed = true
        try? stdin.fileHandleForWriting.close()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            unlink(partialPath)
            throw HUDError.ffmpegFailed(path: path, status: process.terminationStatus, log: lastLog())
        }
        if rename(partialPath, path) != 0 {
            let reason = String(cString: strerror(errno))
            throw HUDError.cannotCreateOutput(path: path, reason: reason)
        }
        unlink(logPath)
    }

    private func lastLog() -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        let lines = text.split(separator: "\n").suffix(8)
        return lines.isEmpty ? "(nothing)" : lines.joined(separator: "\n")
    }
}

/// Where to look for ffmpeg: an explicit executable (GPTOSS_GL_FFMPEG), else the folders of a
/// search path (PATH). The library reads no environment; the executable fills this in.
public struct FFmpegLocation: Sendable, Equatable {
    public var explicit: String?
    public var searchPath: String

    public init(explicit: String? = nil, searchPath: String = "/usr/local/bin:/usr/bin:/bin") {
        self.explicit = explicit; self.searchPath = searchPath
    }
}
