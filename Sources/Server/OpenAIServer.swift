import Foundation
import GPTOSS
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Tokenizer

/// The OpenAI-compatible HTTP API over a `CompletionEngine` (docs/server.md):
/// `POST /v1/chat/completions`, `POST /v1/completions`, `GET /v1/models`, `GET /health`,
/// `GET /metrics`. Prompts are rendered and answers parsed here; the engine only sees token ids.
public final class OpenAIServer: @unchecked Sendable { // every stored property is immutable
    public let engine: any CompletionEngine
    public let options: ServerOptions
    let tokenizer: BPETokenizer
    let renderer: HarmonyRenderer
    let metrics = ServerMetrics()
    /// Open connections against `--max-connections` (shown in /metrics).
    let connections: ConnectionCount
    /// Ids that end a raw completion: Harmony's stops and the end-of-text token when the vocabulary has one.
    let rawStopTokens: Set<Int>
    /// The live HUD's frames for `GET /`, `/hud.png` and `/hud.mjpg`; nil: no dashboard.
    let dashboard: DashboardFrames?

    public init(engine: any CompletionEngine, tokenizer: BPETokenizer, options: ServerOptions,
                dashboard: DashboardFrames? = nil) throws {
        self.engine = engine
        self.dashboard = dashboard
        self.options = options
        self.tokenizer = tokenizer
        connections = ConnectionCount(limit: options.maxConnections)
        renderer = try HarmonyRenderer(tokenizer: tokenizer)
        rawStopTokens = renderer.control.stopTokens.union([tokenizer.tokenID(named: "<|endoftext|>")].compactMap { $0 })
    }

    // MARK: - Running

    /// The routes with their middleware (error shape and metrics outermost, then the API key).
    public func makeRouter() -> Router<ServerRequestContext> {
        let router = Router(context: ServerRequestContext.self)
        router.middlewares.add(ErrorAndMetricsMiddleware(metrics: metrics))
        if let key = options.apiKey { router.middlewares.add(APIKeyMiddleware(key: key)) }
        router.post("/v1/chat/completions") { request, context in try await self.chatCompletions(request, context: context) }
        router.post("/v1/completions") { request, context in try await self.completions(request, context: context) }
        router.get("/v1/models") { _, _ in self.models() }
        router.get("/health") { _, _ in self.health() }
        if let dashboard { Dashboard.addRoutes(to: router, frames: dashboard, modelName: options.modelName) }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: self.metrics.exposition(self.engine.stats(),
                                                                                     connections: self.connections.snapshot))))
        }
        return router
    }

    /// Serves until SIGTERM or SIGINT, or until `stop` returns (or the task is cancelled).
    /// `onReady` gets the base URL once the socket listens. On a signal or `stop` the engine stops
    /// admitting, running answers get `shutdownGraceSeconds` to finish (then end with an error
    /// event), and the server closes.
    public func run(onReady: @escaping @Sendable (String) -> Void = { _ in },
                    stop: (@Sendable () async -> Void)? = nil) async throws {
        var logger = Logger(label: "gptoss-gl.server")
        logger.logLevel = .warning
        let host = options.host
        let idleTimeout = options.idleTimeoutSeconds > 0 ? TimeAmount.nanoseconds(Int64(options.idleTimeoutSeconds * 1e9)) : nil
        // Every connection gets a ConnectionLimit (past --max-connections: 503 and close) and a
        // ClientWatch (a generation stops when its client leaves).
        let connections = self.connections
        let app = Application(router: makeRouter(),
                              server: .http1(configuration: .init(additionalChannelHandlers: [ConnectionLimit(count: connections), ClientWatch()],
                                                                  idleTimeout: idleTimeout)),
                              configuration: .init(address: .hostname(host, port: options.port), serverName: "gptoss-gl"),
                              onServerRunning: { channel in
                                  let port = channel.localAddress?.port ?? 0
                                  let shownHost = host.contains(":") ? "[\(host)]" : host
                                  onReady("http://\(shownHost):\(port)")
                              },
                              logger: logger)
        // Services stop in reverse order: the engine drains first, then the HTTP server closes.
        let group = ServiceGroup(configuration: .init(
            services: [app, EngineDrain(engine: engine, graceSeconds: options.shutdownGraceSeconds)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        guard let stop else { return try await group.run() }
        // Ends when the service group does (the stop task only triggers its graceful shutdown).
        try await withThrowingTaskGroup(of: Bool.self) { tasks in
            tasks.addTask { try await group.run(); return true }
            tasks.addTask {
                await stop()
                await group.triggerGracefulShutdown()
                return false
            }
            while let groupEnded = try await tasks.next() {
                if groupEnded { tasks.cancelAll(); break }
            }
        }
    }

    // MARK: - Endpoints

    /// The body as JSON, within the size and nesting limits.
    func readJSON(_ request: Request) async throws -> OrderedJSON {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: options.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw APIError.bodyTooLarge(limit: options.maxBodyBytes)
        }
        do {
            return try OrderedJSON.parse(Data(buffer.readableBytesView), maxDepth: options.maxJSONDepth)
        } catch let error as OrderedJSON.ParseError {
            if error.tooDeep {
                throw APIError.invalid("The request JSON nests deeper than \(options.maxJSONDepth) levels.", code: "json_too_deep")
            }
            throw APIError.invalid("The request body is not valid JSON: \(error.message) at byte \(error.offset).", code: "invalid_json")
        }
    }

    func chatCompletions(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let chat = try ChatRequest(try await readJSON(request))
        let forced = try chat.forcedHeader.map(harmonyIDs) ?? []
        let prompt = renderer.renderForCompletion(chat.conversation) + forced
        let watch = try await context.clientWatch()
        let events = try engine.submit(CompletionRequest(
            prompt: prompt, maxTokens: chat.generation.tokenLimit(promptTokens: prompt.count, context: engine.contextPerSequence),
            sampling: chat.generation.sampling, stopTokens: renderer.control.stopTokens)).endingWhenClientLeaves(watch)
        var output = try ChatOutput(tokenizer: tokenizer, stop: chat.generation.stop)
        let forcedDelta = output.feedForced(forced)
        let chunks = ChatChunks(model: options.modelName)

        guard chat.generation.stream else {
            var engineReason: FinishReason?
            do {
                loop: for try await event in events {
                    switch event {
                    case .token(let token):
                        _ = output.feed(token.id)
                        if output.stoppedByString { break loop }
                    case .finished(let reason, _, _): engineReason = reason
                    case .admitted: break
                    }
                }
            } catch let error as ClientGone {
                throw error
            } catch {
                throw APIError.from(error)
            }
            _ = output.finish()
            metrics.countTokens(prompt: prompt.count, completion: output.generatedTokens)
            return JSONResponse.make(chunks.completion(output, finishReason: output.finishReason(engine: engineReason),
                                                       promptTokens: prompt.count))
        }

        let includeUsage = chat.generation.includeUsage
        let metrics = self.metrics
        let started = output
        return Response(status: .ok, headers: Self.eventStreamHeaders, body: ResponseBody { writer in
            var output = started
            try await writer.write(ServerSentEvents.event(chunks.chunk(forcedDelta, role: true, includeUsage: includeUsage)))
            var iterator = events.makeAsyncIterator()
            var engineReason: FinishReason?
            while true {
                let event: CompletionEvent?
                do {
                    event = try await iterator.next()
                } catch is ClientGone {
                    throw ClientGone()
                } catch {
                    // The engine gave up (shutdown, a GPU error): say so in the stream and end it cleanly.
                    try await writer.write(ServerSentEvents.event(APIError.from(error).json))
                    try await writer.write(ServerSentEvents.done)
                    try await writer.finish(nil)
                    return
                }
                guard let event else { break }
                if case .finished(let reason, _, _) = event { engineReason = reason }
                guard case .token(let token) = event else { continue }
                let delta = output.feed(token.id)
                if !delta.isEmpty { try await writer.write(ServerSentEvents.event(chunks.chunk(delta, includeUsage: includeUsage))) }
                if output.stoppedByString { break }
            }
            let tail = output.finish()
            if !tail.isEmpty { try await writer.write(ServerSentEvents.event(chunks.chunk(tail, includeUsage: includeUsage))) }
            try await writer.write(ServerSentEvents.event(chunks.chunk(ChatDelta(), finishReason: output.finishReason(engine: engineReason),
                                                                        includeUsage: includeUsage)))
            if includeUsage {
                try await writer.write(ServerSentEvents.event(chunks.usageChunk(promptTokens: prompt.count,
                                                                                completionTokens: output.generatedTokens)))
            }
            metrics.countTokens(prompt: prompt.count, completion: output.generatedTokens)
            try await writer.write(ServerSentEvents.done)
            try await writer.finish(nil)
        })
    }

    static let eventStreamHeaders: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]

    func models() -> Response {
        JSONResponse.make(.object([.init("object", .string("list")), .init("data", .array([.object([
            .init("id", .string(options.modelName)), .init("object", .string("model")), .init("created", .int(0)),
            .init("owned_by", .string("gptoss-gl")),
        ])]))]))
    }

    func health() -> Response {
        let stats = engine.stats()
        return JSONResponse.make(.object([
            .init("status", .string("ok")), .init("model", .string(options.modelName)),
            .init("slots", .int(stats.slots)), .init("active_sequences", .int(stats.activeSequences)),
            .init("queued_requests", .int(stats.queuedRequests)), .init("queue_capacity", .int(stats.queueCapacity)),
            .init("context_per_sequence", .int(stats.contextPerSequence)),
        ]))
    }

    /// Text with Harmony control tokens spelled out (`<|channel|>`…) as ids; the rest encoded as text.
    func harmonyIDs(_ text: String) throws -> [Int] {
        var ids: [Int] = []
        var rest = Substring(text)
        while let open = rest.range(of: "<|"), let close = rest[open.upperBound...].range(of: "|>") {
            ids += tokenizer.encode(String(rest[..<open.lowerBound]))
            ids.append(try tokenizer.requireTokenID(named: String(rest[open.lowerBound ..< close.upperBound])))
            rest = rest[close.upperBound...]
        }
        return ids + tokenizer.encode(String(rest))
    }
}

/// Drains the engine when the service group shuts down (it is the last service, so it stops first).
struct EngineDrain: Service {
    let engine: any CompletionEngine
    let graceSeconds: Double

    func run() async throws {
        try? await gracefulShutdown()
        await engine.shutdown(within: graceSeconds)
    }
}
