import ArgumentParser
import Settings
import Foundation
import GLES
import GPTOSS
import Kernels
import HUD
import RepositoryPaths
import Telemetry

/// Options every model-running command shares: which model, how big a KV cache, where
/// telemetry goes, and the HUD recording of the run.
struct ModelRunOptions: ParsableArguments {
    /// The model a newcomer gets without --model: the small GPT-OSS trained by the project.
    static let bundledModel = "Assets/models/gptoss-shakespeare.gguf"

    @Option(help: "The GGUF model: a path or an http(s) URL (default: the bundled \(ModelRunOptions.bundledModel)).")
    var model: String?

    @Option(parsing: .unconditional, help: "Positions the KV cache holds (default: min(model context, 4096)).")
    var context: Int?

    @Option(parsing: .unconditional, help: "Tokens per prefill step (default: the GPU's tuning, 512 on discrete GPUs and 32 on CPU renderers and small GPUs).")
    var batch: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("GPU memory the model may use, like 8G or 512M; when weights, KV cache and scratch exceed it, "
                               + "experts stay in host memory and each layer caches some on the GPU (docs/residency.md).",
                               valueName: "size"))
    var gpuMemoryBudget: String?

    @Option(help: "Record telemetry events as JSON lines to this file.")
    var telemetry: String?

    @Option(help: "Record the HUD of the run: a folder of PNG frames, or FILE.mp4 / FILE.webm (needs ffmpeg).")
    var record: String?

    @Option(parsing: .unconditional, help: "HUD frame size for --record and --live, WxH.")
    var recordSize: String = "1280x720"

    @Option(parsing: .unconditional, help: "HUD frames per second of run time for --record.")
    var recordFps: Double = 30

    @Option(help: ArgumentHelp("Keep this PNG file showing the HUD during the whole run (loading, prefill, decode), "
                               + "replaced atomically; drawn on its own thread and GL context, never slowing the model.",
                               valueName: "file.png"))
    var live: String?

    @Option(parsing: .unconditional, help: "Frames per second aimed at for --live (fewer when a frame is expensive, as on llvmpipe).")
    var liveFps: Double = 10

    @Flag(help: "No progress output on stderr.")
    var quiet = false

    func validate() throws {
        if let context, context <= 0 { throw ValidationError("--context must be positive, got \(context).") }
        if let batch, batch <= 0 { throw ValidationError("--batch must be positive, got \(batch).") }
        if let gpuMemoryBudget, ByteSize.parse(gpuMemoryBudget) == nil {
            throw ValidationError("--gpu-memory-budget must be a size like 8G, 512M or 1073741824, got '\(gpuMemoryBudget)'.")
        }
        guard let size = FrameSize(parsing: recordSize) else {
            throw ValidationError("--record-size must look like 1280x720, got '\(recordSize)'.")
        }
        do { try size.validate() } catch { throw ValidationError("--record-size: \(describe(error))") }
        // Written so that NaN fails too.
        guard recordFps > 0, recordFps <= 240 else { throw ValidationError("--record-fps must be in (0, 240], got \(recordFps).") }
        guard liveFps > 0, liveFps <= 60 else { throw ValidationError("--live-fps must be in (0, 60], got \(liveFps).") }
        if let live, (live as NSString).pathExtension.lowercased() != "png" {
            throw ValidationError("--live names a .png file (the latest frame), got '\(live)'.")
        }
    }

    /// The model location: --model, else the bundled model found in the checkout.
    func modelLocation() throws -> String {
        if let model { return model }
        guard let path = RepositoryRoot.find(Self.bundledModel, home: try RunEnvironment.configuration().home) else {
            throw ValidationError("The bundled model \(Self.bundledModel) was not found; pass --model PATH|URL "
                                  + "or set GPTOSS_GL_HOME to the gptoss-gl checkout.")
        }
        return path
    }

    /// A loaded model with the run's telemetry bus and, with --record, the HUD recorder that
    /// must be finished (on this thread, which owns the GL context) after the last event.
    struct Loaded {
        let model: GPTOSSModel
        let telemetry: TelemetryBus
        let recorder: HUDRecorder?
        let live: LiveHUD?

        /// Closes every sink of the telemetry; the recorder, one of them, draws and writes the
        /// recording then; the live HUD draws its last frame.
        func finish() throws {
            try telemetry.finish()
            if let recorder {
                Terminal.stderr("recorded \(recorder.framesWritten) HUD frames to \(recorder.destination)\n")
            }
            if let live { Terminal.stderr(live.summary + "\n") }
        }
    }

    /// Opens the GPU, attaches the recorder (so the HUD sees the whole load), loads the model
    /// with progress on stderr. A failure is also reported as an error event, so a recording
    /// ends on the HUD's error frame.
    /// `streamsText`: the answer goes to stdout as it is generated, so the reporter keeps the
    /// terminal free of its per-token decode line (the summary still prints at the end).
    /// `liveDrawsWhenIdle`: the live HUD keeps its full frame rate even while no events arrive
    /// (bench: its timed decode emits none, and the point is to measure drawing at that rate).
    /// `attach`: adds more sinks to the run's bus before anything is loaded (the server's
    /// dashboard HUD), so they see the whole load.
    func load(tool: String, streamsText: Bool = false, sequences: Int = 1, liveDrawsWhenIdle: Bool = false,
              attach: (TelemetryBus, RunConfiguration) throws -> Void = { _, _ in }) throws -> Loaded {
        let location = try modelLocation()
        let bus = TelemetryBus()
        bus.add(ProgressReporter(style: .forStderr(quiet: quiet, json: false), showsDecodeLine: !streamsText))
        if let telemetry { bus.add(try JSONLRecorder(path: telemetry)) }
        let environment = try RunEnvironment.configuration()
        var live: LiveHUD?
        if let path = self.live {
            live = try startLive(path: path, bus: bus, environment: environment, drawsWhenIdle: liveDrawsWhenIdle)
        }
        try attach(bus, environment)
        let context = try GLContext.createHeadless(options: environment.gl)
        var recorder: HUDRecorder?
        if let record {
            let options = HUDRecorder.Options(size: FrameSize(parsing: recordSize) ?? .hd, fps: recordFps,
                                              ffmpeg: environment.ffmpeg, home: environment.home)
            recorder = try HUDRecorder.open(recordPath: record, context: context, options: options)
            bus.add(recorder!)
        }
        bus.emit(.session(SessionInfo(tool: tool, model: (location as NSString).lastPathComponent, source: location)))
        bus.emit(.limits(DeviceLimits(context.limits)))
        do {
            // Big prefill steps keep a discrete GPU busy (and let its tiled kernels reuse weights);
            // CPU renderers and small GPUs keep short ones.
            let kernels = try KernelLibrary(context: context, shaders: .located(home: environment.home),
                                            tuning: .forLimits(context.limits, overrides: environment.tuning))
            kernels.verifiesGroupedExperts = environment.verifiesGroupedExperts
            if environment.omitsLaunchBarriers { kernels.launchBarrier = nil }
            if environment.chainsWithoutProbe { try kernels.chainWithoutProbe() }
            let prefillBatch = batch ?? kernels.tuning.prefillBatch
            var options = ModelOptions(context: self.context, batch: prefillBatch, gpuMemoryBudget: gpuMemoryBudget.flatMap(ByteSize.parse),
                                       sequences: sequences,
                                       uploadMethod: environment.uploadMethod, checksEveryDispatch: environment.checksEveryDispatch,
                                       printsLoadTimings: environment.printsLoadTimings)
            options.fileOptions = environment.fileOptions
            let model = try GPTOSSModel.load(location: location, context: context, options: options, kernels: kernels, telemetry: bus)
            if let cache = model.weights.expertCache {
                Terminal.stderr("gpu memory budget: experts cached, \(cache.slots) of \(model.config.expertCount) per layer on the GPU, "
                                + "\(ByteSize.format(cache.hostBytes)) in host memory\n")
            }
            return Loaded(model: model, telemetry: bus, recorder: recorder, live: live)
        } catch {
            bus.emit(.error(ErrorReport(message: describe(error), stage: nil)))
            try? bus.finish()
            throw error
        }
    }
}

extension ModelRunOptions {
    /// Attaches the live HUD to `bus` and starts its thread, before anything is loaded so the
    /// file shows the whole load; says where the frame is.
    func startLive(path: String, bus: TelemetryBus, environment: RunConfiguration, drawsWhenIdle: Bool = false) throws -> LiveHUD {
        let clock = bus.clock
        var options = LiveHUD.Options(size: FrameSize(parsing: recordSize) ?? .hd, fps: liveFps)
        if drawsWhenIdle { options.idleFPS = liveFps }
        let live = try LiveFrameFile.open(path: path, options: options, clock: { clock.now() },
                                          fontsDirectory: try HUDAssets.fontsDirectory(home: environment.home),
                                          glOptions: environment.gl, warn: { Terminal.stderr($0 + "\n") })
        bus.add(live)
        live.start()
        Terminal.stderr("live HUD: \(path) (\(recordSize), up to \(Self.formatFPS(liveFps)) fps; reload it in an image viewer)\n")
        return live
    }

    static func formatFPS(_ fps: Double) -> String {
        fps == fps.rounded() ? String(Int(fps)) : String(format: "%.1f", fps)
    }
}

extension LiveHUD {
    /// One line for the end of a run: frames drawn and what they cost.
    var summary: String {
        let stats = self.stats
        return String(format: "live HUD: %d frames in %.1f s (%.1f fps), %.0f ms each (draw, readback, PNG)",
                      stats.frames, stats.elapsed, stats.achievedFPS, stats.meanFrameSeconds * 1000)
    }
}

/// Parses "12,345,678" into ids, naming the option and the bad item.
func parseTokenList(_ text: String, option: String = "--tokens") throws -> [Int] {
    let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    guard !items.isEmpty else { throw ValidationError("\(option) is empty; give comma-separated ids like 12,345,678.") }
    return try items.map { item in
        guard let id = Int(item), id >= 0 else {
            throw ValidationError("\(option): '\(item)' is not a token id (a non-negative integer).")
        }
        return id
    }
}

/// An error as one line for the terminal and the HUD.
func describe(_ error: Error) -> String {
    (error as? LocalizedError)?.errorDescription ?? "\(error)"
}

/// Runs `body`, printing any error as one clear line on stderr and exiting with status 1.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        Terminal.stderr("error: \(describe(error))\n")
        throw ExitCode(1)
    }
}
