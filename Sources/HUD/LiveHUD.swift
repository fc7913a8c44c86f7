import Foundation
import GLES
import Telemetry

/// The HUD drawn while the run happens: a telemetry sink that hands events to its own thread,
/// which owns a separate headless GL context and draws the latest frame now and then.
///
/// Inference never waits on a frame: `receive` only appends the event under a lock, and the
/// renderer draws on its own context and thread. When a frame costs more than a fraction
/// (`maxBusyFraction`, or `maxBusyFractionOnGPU` on a GPU) of the frame interval, as on
/// llvmpipe, the interval grows instead: frames
/// are dropped, the run is not slowed. While no events arrive the HUD still animates, but at
/// most `idleFPS` frames a second.
///
/// Each frame is `HUDRenderer.render(state, time:)` of the events received so far at the run
/// clock's time, so it is a frame a replay of the log would draw at that moment.
public final class LiveHUD: TelemetrySink, @unchecked Sendable {
    public struct Options: Sendable {
        public var size: FrameSize
        /// The frame rate aimed at; the renderer goes slower when frames are expensive.
        public var fps: Double
        /// Share of the wall time the renderer may spend drawing and delivering frames on a CPU
        /// renderer (llvmpipe), where drawing takes the cores inference runs on.
        public var maxBusyFraction: Double
        /// The same share on a GPU. There a frame's cost is mostly the PNG or JPEG encode on this
        /// thread's own core (drawing and readback are a few ms of GPU time), so the renderer
        /// may be busier without slowing inference: on an H100 a 40 ms frame at 10 fps left
        /// decode within noise (BENCHMARKS.md), where the CPU share would have held it to 6 fps.
        public var maxBusyFractionOnGPU: Double
        /// Frame rate while no new events arrive.
        public var idleFPS: Double

        public init(size: FrameSize = .hd, fps: Double = 10, maxBusyFraction: Double = 0.25, maxBusyFractionOnGPU: Double = 0.6,
                    idleFPS: Double = 2) {
            self.size = size; self.fps = fps; self.maxBusyFraction = maxBusyFraction
            self.maxBusyFractionOnGPU = maxBusyFractionOnGPU; self.idleFPS = idleFPS
        }

        /// The share that applies on a device: `maxBusyFraction` on a software renderer.
        public func busyFraction(softwareRenderer: Bool) -> Double {
            softwareRenderer ? maxBusyFraction : maxBusyFractionOnGPU
        }
    }

    /// What the renderer has done so far.
    public struct Statistics: Sendable {
        public var frames = 0
        /// Seconds spent drawing and delivering frames.
        public var busySeconds = 0.0
        /// Mean cost of a frame (draw, readback and delivery), seconds.
        public var meanFrameSeconds: Double { frames > 0 ? busySeconds / Double(frames) : 0 }
        /// The interval the renderer settled on last, seconds.
        public var interval = 0.0
        /// Seconds from the first frame's start to the last frame's end.
        public var elapsed = 0.0
        /// Frames per second achieved.
        public var achievedFPS: Double { elapsed > 0 ? Double(frames) / elapsed : 0 }
    }

    public let options: Options
    private let clock: @Sendable () -> Double
    private let deliver: (RGBAImage, Double) throws -> Void
    private let fontsDirectory: String?
    private let glOptions: GLOptions
    private let warn: (String) -> Void
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var pending: [TelemetryEvent] = []
    private var finishing = false
    private var threadDone = false
    private var statistics = Statistics()
    private var failure: Error?
    private var started = false

    /// - Parameters:
    ///   - clock: the run's clock (seconds since the run started): `bus.clock.now`.
    ///   - deliver: takes each frame and its time, on the renderer thread (write a file, encode
    ///     a JPEG). Its cost counts as the frame's cost.
    ///   - fontsDirectory: the HUD fonts (`HUDAssets.fontsDirectory(home:)`); found when nil.
    ///   - glOptions: how to open the renderer's own headless context (the run's EGL choice).
    ///   - warn: told once if the renderer fails (the run goes on without live frames).
    public init(options: Options = Options(), clock: @escaping @Sendable () -> Double, fontsDirectory: String? = nil,
                glOptions: GLOptions = GLOptions(),
                warn: @escaping (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) },
                deliver: @escaping (RGBAImage, Double) throws -> Void) throws {
        try options.size.validate()
        guard options.fps > 0, options.fps <= 240, options.maxBusyFraction > 0, options.maxBusyFraction <= 1,
              options.maxBusyFractionOnGPU > 0, options.maxBusyFractionOnGPU <= 1, options.idleFPS > 0 else {
            throw HUDError.badSchedule(fps: options.fps, from: 0, to: nil)
        }
        self.options = options
        self.clock = clock
        self.deliver = deliver
        self.fontsDirectory = fontsDirectory
        self.glOptions = glOptions
        self.warn = warn
    }

    /// Starts the renderer thread (once); events received before are drawn in its first frame.
    public func start() {
        condition.lock()
        defer { condition.unlock() }
        guard !started else { return }
        started = true
        let thread = Thread { [self] in run() }
        thread.name = "gptoss-gl live HUD"
        thread.start()
    }

    public func receive(_ event: TelemetryEvent) {
        condition.lock()
        // A renderer that stopped (it failed, or the run finished) takes no more: a server
        // runs for days, and nothing would ever drain the list.
        if !threadDone { pending.append(event) }
        condition.unlock()
    }

    /// Draws a last frame with every event, stops the thread and frees its context.
    public func finish() throws {
        condition.lock()
        finishing = true
        condition.broadcast()
        if started { while !threadDone { condition.wait() } }
        condition.unlock()
    }

    public var stats: Statistics {
        condition.lock(); defer { condition.unlock() }
        return statistics
    }

    /// The renderer's failure, if it stopped early.
    public var error: Error? {
        condition.lock(); defer { condition.unlock() }
        return failure
    }

    /// Waits until at least `count` frames were delivered (for tests and the first frame of a
    /// server); false on timeout or when the renderer stopped first.
    public func waitForFrames(_ count: Int, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while statistics.frames < count {
            if threadDone || !condition.wait(until: deadline) { return statistics.frames >= count }
        }
        return true
    }

    // MARK: - The renderer thread

    private func run() {
        do {
            // The context is made, used and dropped on this thread only.
            let context = try GLContext.createHeadless(options: glOptions)
            let renderer = try HUDRenderer(context: context, fontsDirectory: fontsDirectory)
            try loop(renderer, busyFraction: options.busyFraction(softwareRenderer: context.limits.isSoftwareRenderer))
        } catch {
            condition.lock()
            failure = error
            condition.unlock()
            warn("live HUD stopped: \((error as? LocalizedError)?.errorDescription ?? "\(error)")")
        }
        condition.lock()
        threadDone = true
        condition.broadcast()
        condition.unlock()
    }

    private func loop(_ renderer: HUDRenderer, busyFraction: Double) throws {
        var state = HUDState()
        var interval = 1 / options.fps
        var nextFrame = Date()
        let firstFrame = Date()
        while true {
            condition.lock()
            while !finishing, Date() < nextFrame { _ = condition.wait(until: nextFrame) }
            let last = finishing
            let events = pending
            pending.removeAll(keepingCapacity: true)
            condition.unlock()

            let begin = Date()
            for event in events { state.apply(event) }
            // Read the clock after taking the events, so no event drawn lies in the frame's future.
            let time = max(clock(), state.time)
            let frame = try renderer.render(state, time: time, size: options.size)
            try deliver(frame, time)
            let cost = Date().timeIntervalSince(begin)

            interval = max(1 / options.fps, cost / busyFraction)
            if events.isEmpty { interval = max(interval, 1 / options.idleFPS) }
            condition.lock()
            statistics.frames += 1
            statistics.busySeconds += cost
            statistics.interval = interval
            statistics.elapsed = Date().timeIntervalSince(firstFrame)
            condition.broadcast()
            condition.unlock()
            if last { return }
            nextFrame = begin.addingTimeInterval(interval)
        }
    }
}

/// A file kept showing the latest live frame: each frame replaces it atomically (written to a
/// temporary file in the same folder, then renamed), so a viewer never reads half a PNG.
public enum LiveFrameFile {
    /// A live HUD that keeps `path` current. Fails at once when the folder is missing or not
    /// writable, instead of warning on every frame.
    public static func open(path: String, options: LiveHUD.Options = LiveHUD.Options(), clock: @escaping @Sendable () -> Double,
                            fontsDirectory: String? = nil, glOptions: GLOptions = GLOptions(),
                            warn: @escaping (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) throws -> LiveHUD {
        let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw HUDError.cannotCreateOutput(path: path, reason: "the folder \(folder) does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw HUDError.cannotCreateOutput(path: path, reason: "the folder \(folder) is not writable")
        }
        guard !path.hasSuffix("/"), (path as NSString).pathExtension.lowercased() == "png" else {
            throw HUDError.cannotCreateOutput(path: path, reason: "a live frame is a .png file")
        }
        return try LiveHUD(options: options, clock: clock, fontsDirectory: fontsDirectory, glOptions: glOptions, warn: warn) { frame, _ in
            try PNGFile.write(frame, to: path)
        }
    }
}
