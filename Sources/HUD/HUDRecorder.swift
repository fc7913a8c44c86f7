import Foundation
import GLES
import Telemetry

/// Records the HUD of a run: a telemetry sink that keeps the events, and a renderer that draws
/// frame k at run time `from + k / fps` from exactly the events stamped at or before it.
///
/// Threads: `receive` may be called from any thread (the bus calls it). `renderDue` and `finish`
/// draw with GL, so call them on the thread that owns the renderer's context.
///
/// Two ways to drive it in a live run, with identical frames:
/// - deferred (no cost during inference): never call `renderDue`; call `finish()` after the run.
/// - progressive: between decode steps call `renderDue(upTo: bus.clock.now(), maxFrames: 1)`,
///   which draws at most one due frame per call, then `finish()` draws the rest.
public final class HUDRecorder: TelemetrySink, @unchecked Sendable {
    public struct Options: Sendable {
        public var size: FrameSize
        public var fps: Double
        /// First frame time (seconds of run time).
        public var from: Double
        /// Last frame time; nil: the last event plus `tail`.
        public var to: Double?
        /// Seconds recorded after the last event when `to` is nil, so the end can be seen.
        public var tail: Double
        /// Where ffmpeg is (video recordings).
        public var ffmpeg: FFmpegLocation
        /// The checkout, when the binary runs elsewhere (GPTOSS_GL_HOME): where the fonts are.
        public var home: String?

        public init(size: FrameSize = .hd, fps: Double = 30, from: Double = 0, to: Double? = nil, tail: Double = 1.5,
                    ffmpeg: FFmpegLocation = FFmpegLocation(), home: String? = nil) {
            self.size = size; self.fps = fps; self.from = from; self.to = to; self.tail = tail
            self.ffmpeg = ffmpeg; self.home = home
        }
    }

    public let options: Options
    private let renderer: HUDRenderer
    private let output: FrameOutput
    private let lock = NSLock()
    private var pending: [TelemetryEvent] = []
    private var lastEventTime: Double = 0
    private var state = HUDState()
    private var nextFrame = 0
    private var finished = false

    public init(renderer: HUDRenderer, output: FrameOutput, options: Options = Options()) throws {
        try options.size.validate()
        guard options.fps > 0, options.fps <= 240, options.from >= 0, (options.to ?? .infinity) >= options.from else {
            throw HUDError.badSchedule(fps: options.fps, from: options.from, to: options.to)
        }
        self.renderer = renderer
        self.output = output
        self.options = options
    }

    /// The usual set-up for `--record PATH`: a renderer on `context` (the inference context),
    /// the output PATH names (folder of PNGs, .mp4 or .webm), encoding on a background thread.
    /// Add the result to the run's bus; call `finish()` on the context's thread at the end.
    public static func open(recordPath: String, context: GLContext, options: Options = Options(),
                            warn: @escaping (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) throws -> HUDRecorder {
        try options.size.validate()
        let renderer = try HUDRenderer(context: context, fontsDirectory: try HUDAssets.fontsDirectory(home: options.home))
        let output = try RecordingOutput.open(recordPath, size: options.size, fps: options.fps, ffmpeg: options.ffmpeg, warn: warn)
        return try HUDRecorder(renderer: renderer, output: BackgroundFrameOutput(output), options: options)
    }

    /// Frames written so far.
    public var framesWritten: Int { nextFrame }

    public var destination: String { output.destination }

    public func receive(_ event: TelemetryEvent) {
        lock.lock(); defer { lock.unlock() }
        pending.append(event)
        lastEventTime = max(lastEventTime, event.time)
    }

    /// Run time of frame `index`.
    public func frameTime(_ index: Int) -> Double { options.from + Double(index) / options.fps }

    /// Draws the frames due at or before `time` (at most `maxFrames`); returns how many it drew.
    @discardableResult
    public func renderDue(upTo time: Double, maxFrames: Int = .max) throws -> Int {
        let end = min(time, options.to ?? .infinity)
        var drawn = 0
        while drawn < maxFrames, frameTime(nextFrame) <= end + 1e-9 {
            try drawNext()
            drawn += 1
        }
        return drawn
    }

    /// Draws every remaining frame up to `to` (or the last event plus `tail`) and closes the
    /// output. Call once, after the last event.
    public func finish() throws {
        guard !finished else { return }
        finished = true
        let end = options.to ?? ({ lock.lock(); defer { lock.unlock() }; return lastEventTime }() + options.tail)
        try renderDue(upTo: end)
        try output.finish()
    }

    private func drawNext() throws {
        let time = frameTime(nextFrame)
        lock.lock()
        let due = pending.prefix { $0.time <= time }
        pending.removeFirst(due.count)
        lock.unlock()
        for event in due { state.apply(event) }
        let frame = try renderer.render(state, time: time, size: options.size)
        try output.write(frame, index: nextFrame)
        nextFrame += 1
    }
}
