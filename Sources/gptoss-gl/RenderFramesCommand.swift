import ArgumentParser
import Foundation
import GLES
import HUD
import Telemetry

/// `gptoss-gl render-frames`: a telemetry log (from --telemetry) → HUD frames or a video.
struct RenderFramesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render-frames",
        abstract: "Replay a telemetry log into HUD frames (PNG folder) or a video (.mp4/.webm).",
        discussion: """
        The HUD is a function of the events so far and the frame time, so the frames are the ones \
        a live --record run draws at the same size and fps. Video needs ffmpeg; without it the \
        PNG frames are kept in <name>-frames/ and a note says so.
        """
    )

    @Option(name: .customLong("telemetry"), help: "The JSONL log written by --telemetry.")
    var telemetryPath: String

    @Option(help: "A folder for PNG frames, or a .mp4/.webm file.")
    var out: String

    @Option(parsing: .unconditional, help: "Frame size WxH (even sides, 64 or more).")
    var size = "1280x720"

    @Option(parsing: .unconditional, help: "Frames per second of run time.")
    var fps: Double = 30

    @Option(parsing: .unconditional, help: "First frame at this run time, in seconds.")
    var from: Double = 0

    @Option(parsing: .unconditional, help: "Last frame at this run time, in seconds (default: the last event plus 1.5 s).")
    var to: Double?

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
        guard let frameSize = FrameSize(parsing: size) else {
            throw ValidationError("--size must look like 1280x720, got '\(size)'.")
        }
        do { try frameSize.validate() } catch { throw ValidationError(error.localizedDescription) }
        guard fps > 0, fps <= 240 else { throw ValidationError("--fps must be in 0...240, got \(fps).") }
        guard from >= 0, from.isFinite else { throw ValidationError("--from must be a finite time of 0 s or more, got \(from).") }
        if let to, !(to >= from && to.isFinite) { throw ValidationError("--to must be a finite time at or after --from (\(from)), got \(to).") }
    }

    func run() throws {
        let say: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        do {
            let events = try JSONLReplayer.read(path: telemetryPath)
            let environment = try RunEnvironment.configuration()
            let options = HUDRecorder.Options(size: FrameSize(parsing: size)!, fps: fps, from: from, to: to,
                                              ffmpeg: environment.ffmpeg, home: environment.home)
            let context = try GLContext.createHeadless(options: environment.gl)
            var lastPercent = -1
            let summary = try HUDReplay.render(events: events, outputPath: out, options: options, context: context,
                                               warn: say) { done, total in
                let percent = done * 100 / max(1, total)
                if !quiet, percent / 10 != lastPercent / 10 {
                    lastPercent = percent
                    say("rendering \(done)/\(total) frames")
                }
            }
            if !quiet {
                say(String(format: "wrote %d frames (%@ @ %g fps) to %@ in %.1f s", summary.frames, size, fps,
                           summary.destination, summary.seconds))
            }
        } catch {
            say("error: \(error.localizedDescription)")
            throw ExitCode(1)
        }
    }
}
