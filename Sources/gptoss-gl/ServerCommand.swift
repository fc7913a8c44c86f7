import ArgumentParser
import Foundation
import GPTOSS
import HUD
import Server
import Tokenizer

/// `gptoss-gl server`: the OpenAI-compatible HTTP API (docs/server.md) over the model.
struct ServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Answer OpenAI-compatible API requests (chat and text completions, streaming, tools) over HTTP.",
        discussion: """
        Endpoints: POST /v1/chat/completions, POST /v1/completions, GET /v1/models, GET /health, GET /metrics, \
        and the dashboard: GET / (the live HUD), /hud.png, /hud.mjpg. \
        Binds 127.0.0.1 by default; prints the URL when it listens. SIGTERM or Ctrl-C stops admitting, lets running \
        answers finish for --shutdown-grace seconds, and exits 0. See docs/server.md.
        """
    )

    @OptionGroup var options: ModelRunOptions

    @Option(help: "Address to listen on (0.0.0.0 for every interface: then set --api-key).")
    var host = "127.0.0.1"

    @Option(parsing: .unconditional, help: "Port to listen on (0 picks a free one; the printed URL says which).")
    var port = 8000

    @Option(parsing: .unconditional, help: "Sequences decoded together in one GPU step (continuous batching); each has its own --context positions.")
    var parallel = 1

    @Option(parsing: .unconditional, help: "Requests that may wait for a slot; one more is answered 429.")
    var queue = 16

    @Option(parsing: .unconditional, help: "Require 'Authorization: Bearer KEY' on every endpoint but /health.")
    var apiKey: String?

    @Option(parsing: .unconditional, help: "Seconds running answers may continue after SIGTERM/SIGINT before they are cut off.")
    var shutdownGrace: Double = 10

    @Option(parsing: .unconditional, help: "Largest request body in bytes (larger: 413).")
    var maxBodyBytes = ServerOptions.defaultMaxBodyBytes

    @Option(parsing: .unconditional, help: "Seconds a connection may send nothing while no answer is written to it (idle keep-alive, or stalled mid-request) before it is closed; 0: never.")
    var idleTimeout = ServerOptions.defaultIdleTimeoutSeconds

    @Option(parsing: .unconditional, help: "Connections open at once; one more gets 503 and is closed. 0: no limit.")
    var maxConnections = ServerOptions.defaultMaxConnections

    @Flag(help: "No dashboard: no live HUD, no GET /, /hud.png, /hud.mjpg.")
    var noDashboard = false

    @Option(parsing: .unconditional, help: "Frames per second the dashboard's HUD aims at (fewer when a frame is expensive, as on llvmpipe).")
    var dashboardFps: Double = 5

    func validate() throws {
        if !(0 ... 65535).contains(port) { throw ValidationError("--port must be 0...65535, got \(port).") }
        if parallel < 1 { throw ValidationError("--parallel must be at least 1, got \(parallel).") }
        if queue < 0 { throw ValidationError("--queue must be ≥ 0, got \(queue).") }
        if let apiKey, apiKey.isEmpty { throw ValidationError("--api-key is empty; give a key or leave the option out.") }
        if !(shutdownGrace >= 0 && shutdownGrace <= 3600) { throw ValidationError("--shutdown-grace must be 0...3600 seconds, got \(shutdownGrace).") }
        if !(idleTimeout >= 0 && idleTimeout <= 86400) { throw ValidationError("--idle-timeout must be 0...86400 seconds, got \(idleTimeout).") }
        if maxConnections < 0 { throw ValidationError("--max-connections must be ≥ 0 (0: no limit), got \(maxConnections).") }
        if maxBodyBytes < 1024 { throw ValidationError("--max-body-bytes must be at least 1024, got \(maxBodyBytes).") }
        if !(dashboardFps > 0 && dashboardFps <= 30) { throw ValidationError("--dashboard-fps must be in (0, 30], got \(dashboardFps).") }
    }

    func run() throws {
        try reportingErrors {
            // The dashboard's HUD draws on its own thread and GL context from the run's telemetry,
            // from before the load on; the server only hands out its latest frames.
            let frames = LiveFrameStore()
            let loaded = try options.load(tool: "server", streamsText: true, sequences: parallel) { bus, environment in
                guard !noDashboard else { return }
                let clock = bus.clock
                // Idle (no requests), one frame a second: the clock moves, the CPU rests.
                let hud = try LiveHUD(options: LiveHUD.Options(size: FrameSize(parsing: options.recordSize) ?? .hd, fps: dashboardFps,
                                                               idleFPS: 1),
                                      clock: { clock.now() }, fontsDirectory: try HUDAssets.fontsDirectory(home: environment.home),
                                      glOptions: environment.gl, warn: { Terminal.stderr($0 + "\n") }) { image, time in
                    try frames.put(image, time: time)
                }
                bus.add(hud)
                hud.start()
            }
            let tokenizer = try BPETokenizer(gguf: loaded.model.file)
            let location = try options.modelLocation()
            let modelName = ((location as NSString).lastPathComponent as NSString).deletingPathExtension
            let tokenText: (Int) -> String = { id in (try? tokenizer.decode([id])) ?? "<\(id)>" }
            // One slot: the serial engine (the generator, with its full telemetry: router, attention);
            // several: continuous batching over the model's sequence slots.
            let engine: any CompletionEngine = parallel == 1
                ? SerialCompletionEngine(model: loaded.model, queueCapacity: queue, telemetry: loaded.telemetry, tokenText: tokenText)
                : try BatchCompletionEngine(model: loaded.model, queueCapacity: queue, telemetry: loaded.telemetry, tokenText: tokenText)
            let server = try OpenAIServer(engine: engine, tokenizer: tokenizer, options: ServerOptions(
                host: host, port: port, apiKey: apiKey, modelName: modelName, maxBodyBytes: maxBodyBytes,
                shutdownGraceSeconds: shutdownGrace, idleTimeoutSeconds: idleTimeout, maxConnections: maxConnections),
                dashboard: noDashboard ? nil : DashboardFrames(
                    latestPNG: { try frames.latestPNG() },
                    next: { after, timeout in await frames.next(after: after, timeout: timeout).map { ($0.index, $0.jpeg) } }))
            let slots = engine.slots, context = engine.contextPerSequence, queue = queue
            let outcome = BlockingOutcome()
            Task.detached {
                do {
                    try await server.run { url in
                        print("gptoss-gl server: \(modelName) at \(url) (\(slots) slot\(slots == 1 ? "" : "s"), \(context) positions each, queue \(queue))")
                        if !noDashboard { print("dashboard: \(url)/ (the live HUD: \(url)/hud.mjpg, \(url)/hud.png)") }
                        print("try: curl \(url)/v1/chat/completions -H 'Content-Type: application/json' "
                              + "-d '{\"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}]}'")
                        fflush(stdout)
                    }
                    outcome.finish(nil)
                } catch {
                    outcome.finish(error)
                }
            }
            if let error = outcome.wait() { throw error }
            try loaded.finish()
            Terminal.stderr("gptoss-gl server: stopped\n")
        }
    }
}

/// Waits on this thread for the server task's end (the command itself is synchronous).
private final class BlockingOutcome: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var error: Error?

    func finish(_ error: Error?) {
        self.error = error
        done.signal()
    }

    func wait() -> Error? {
        done.wait()
        return error
    }
}
