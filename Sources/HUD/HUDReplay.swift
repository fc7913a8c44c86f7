import Foundation
import GLES
import Telemetry

/// Renders a recorded telemetry log into frames: what `gptoss-gl render-frames` runs. The
/// frames are the ones the live run drew (or would have drawn) at the same size and fps.
public enum HUDReplay {
    public struct Summary: Sendable {
        public var frames: Int
        public var destination: String
        public var seconds: Double
    }

    /// Replays `events` into `outputPath` (a folder for PNGs, or .mp4/.webm). `context` is
    /// created headless when nil. `progress` gets (frames done, frames total) now and then.
    public static func render(events: [TelemetryEvent], outputPath: String, options: HUDRecorder.Options,
                              context: GLContext? = nil, warn: @escaping (String) -> Void = { _ in },
                              progress: (Int, Int) -> Void = { _, _ in }) throws -> Summary {
        let start = Date()
        let context = try context ?? GLContext.createHeadless()
        let recorder = try HUDRecorder.open(recordPath: outputPath, context: context, options: options, warn: warn)
        for event in events { recorder.receive(event) }
        let lastTime = events.map(\.time).max() ?? 0
        let end = options.to ?? lastTime + options.tail
        let total = Int(((end - options.from) * options.fps).rounded(.down)) + 1
        let step = max(1, total / 20)
        while recorder.framesWritten < total {
            try recorder.renderDue(upTo: end, maxFrames: step)
            progress(recorder.framesWritten, total)
        }
        try recorder.finish()
        return Summary(frames: recorder.framesWritten, destination: recorder.destination, seconds: Date().timeIntervalSince(start))
    }
}
